/*
 * hdr.c: RFC 5322 §2.2 header fields - the incremental parser used by the
 * SMTP server while DATA arrives, and the in-memory scanner used by the
 * MIME tree. No I/O; limits come from the settings.
 */
#include "mime/hdr.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"

/* How far the current line has shown it can start a field. */
enum line_state {
	LS_START,	/* nothing yet */
	LS_CR,		/* a CR first: an empty line if LF follows */
	LS_NAME,	/* field name characters */
	LS_WSP,		/* white space after the name (obsolete syntax) */
	LS_FIELD,	/* a field or a continuation: decided */
};

struct mime_hdr {
	struct mime_hdr_settings set;
	struct buf	in;		/* header bytes not yet consumed */
	size_t		base;		/* stream offset of in.data[0] */
	size_t		pos;		/* next field in in */
	size_t		line_start;	/* stream offset of the last line
					 * that started a new field (or ended
					 * the header); 0 before any */
	size_t		total;		/* header bytes pushed */
	size_t		line_len;	/* current physical line so far */
	int		line_cr;	/* it ended in CR */
	enum line_state	line_state;
	size_t		fields;
	int		ended;		/* the empty line was pushed */
	int		eof;
	int		done;
	int		failed;
	size_t		body;
	struct buf	value;
};

/* RFC 5322 §2.2 ftext: printable US-ASCII except ':'. */
static int
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

void
mime_hdr_settings_default(struct mime_hdr_settings *s)
{
	s->max_line = MIME_HDR_DEFAULT_LINE_MAX;
	s->max_size = MIME_HDR_DEFAULT_SIZE_MAX;
	s->max_fields = MIME_HDR_DEFAULT_FIELDS_MAX;
}

struct mime_hdr *
mime_hdr_new(const struct mime_hdr_settings *settings)
{
	struct mime_hdr *p = xcalloc(1, sizeof(*p));

	if (settings != NULL)
		p->set = *settings;
	else
		mime_hdr_settings_default(&p->set);
	buf_init(&p->in, p->set.max_size + 2);
	buf_init(&p->value, p->set.max_size + 1);
	return p;
}

void
mime_hdr_free(struct mime_hdr **pp)
{
	if (*pp == NULL)
		return;
	buf_free(&(*pp)->in);
	buf_free(&(*pp)->value);
	free(*pp);
	*pp = NULL;
}

static int
fail(struct mime_hdr *p, const char *why, const char **errstr_out)
{
	p->failed = 1;
	if (errstr_out != NULL)
		*errstr_out = why;
	return -1;
}

int
mime_hdr_push(struct mime_hdr *p, const void *data, size_t len,
    const char **errstr_out)
{
	const unsigned char *s = data;
	size_t i, take = len;

	if (p->failed)
		return fail(p, "header: earlier error", errstr_out);
	if (p->ended || p->eof)
		return 0;
	/*
	 * One pass over the bytes: line lengths, the empty line, and whether
	 * each line can start a field at all. A line that cannot ends the
	 * header (as mime_hdr_scan decides), so body bytes after it are not
	 * kept and cannot trip the header limits.
	 */
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		int not_field = 0;

		if (c == '\n') {
			if (p->line_state == LS_NAME || p->line_state == LS_WSP)
				not_field = 1;	/* "word" alone on a line */
			else if (p->line_len == 0 ||
			    (p->line_len == 1 && p->line_cr)) {
				p->ended = 1;	/* the empty line */
				take = i + 1;
				break;
			} else if (p->line_len - p->line_cr > p->set.max_line)
				return fail(p, "header: line too long",
				    errstr_out);
			if (!not_field) {
				p->line_len = 0;
				p->line_cr = 0;
				p->line_state = LS_START;
				continue;
			}
		}
		if (!not_field) {
			p->line_len++;
			p->line_cr = c == '\r';
			if (p->line_len > p->set.max_line + 1)
				return fail(p, "header: line too long",
				    errstr_out);
			switch (p->line_state) {
			case LS_START:
				if (c != ' ' && c != '\t')
					p->line_start = p->base + p->in.len +
					    i;	/* the field before is whole */
				if (c == ' ' || c == '\t')
					p->line_state = LS_FIELD;
				else if (c == '\r')
					p->line_state = LS_CR;
				else if (is_ftext(c))
					p->line_state = LS_NAME;
				else
					not_field = 1;
				break;
			case LS_CR:
				not_field = 1;	/* CR not before LF */
				break;
			case LS_NAME:
				if (c == ':')
					p->line_state = LS_FIELD;
				else if (c == ' ' || c == '\t')
					p->line_state = LS_WSP;
				else if (!is_ftext(c))
					not_field = 1;
				break;
			case LS_WSP:
				if (c == ':')
					p->line_state = LS_FIELD;
				else if (c != ' ' && c != '\t')
					not_field = 1;
				break;
			case LS_FIELD:
				break;
			}
		}
		if (not_field) {
			/* The body starts on this line; the scanner agrees. */
			p->ended = 1;
			take = i + 1;
			break;
		}
	}
	p->total += take;
	if (p->total > p->set.max_size)
		return fail(p, "header: too large", errstr_out);
	/* Drop returned fields now and then: amortized, never per field. */
	if (p->pos > 0 && p->pos >= p->in.len / 2) {
		buf_consume(&p->in, p->pos);
		p->base += p->pos;
		p->pos = 0;
	}
	if (buf_append(&p->in, data, take) == -1)
		return fail(p, "header: too large", errstr_out);
	return 0;
}

void
mime_hdr_finish(struct mime_hdr *p)
{
	p->eof = 1;
}

/*
 * The scanner proper. eof says whether data holds everything there is;
 * without it, 2 means "need more bytes to decide".
 */
static int
scan(const char *data, size_t len, size_t *pos, int eof,
    struct mime_hdr_field *f)
{
	size_t i = *pos, j, e;

again:
	if (i >= len) {
		if (!eof)
			return 2;
		*pos = len;
		return 0;
	}
	if (data[i] == '\n') {
		*pos = i + 1;
		return 0;
	}
	if (data[i] == '\r') {
		if (i + 1 == len && !eof)
			return 2;
		if (i + 1 == len || data[i + 1] == '\n') {
			*pos = i + 1 < len ? i + 2 : len;
			return 0;
		}
	}
	if (data[i] == ' ' || data[i] == '\t') {
		/* A continuation with no field: skip the orphan line. */
		const char *nl = memchr(data + i, '\n', len - i);

		if (nl == NULL) {
			if (!eof)
				return 2;
			*pos = len;
			return 0;
		}
		i = nl + 1 - data;
		goto again;
	}
	memset(f, 0, sizeof(*f));
	for (j = i; j < len && is_ftext(data[j]); j++)
		;
	f->name = data + i;
	f->name_len = j - i;
	/* RFC 5322 §4.5.3 obs-optional: WSP before the colon. */
	for (e = j; e < len && (data[e] == ' ' || data[e] == '\t'); e++)
		f->flags |= MIME_HDR_F_OBS_WSP;
	if (e == len && !eof)
		return 2;
	if (e == len || data[e] != ':' || f->name_len == 0) {
		/* Not a field: the body starts on this line. */
		*pos = i;
		return 0;
	}
	f->raw = data + e + 1;
	f->offset = i;
	for (j = e + 1;;) {
		const char *nl = memchr(data + j, '\n', len - j);

		if (nl == NULL) {
			if (!eof)
				return 2;
			j = len;
			f->raw_len = len - (e + 1);
			break;
		}
		j = nl + 1 - data;
		if (j == len && !eof)
			return 2;
		if (j < len && (data[j] == ' ' || data[j] == '\t'))
			continue;	/* folded */
		f->raw_len = (size_t)(nl - f->raw);
		if (f->raw_len > 0 && nl[-1] == '\r')
			f->raw_len--;
		break;
	}
	f->size = j - i;
	*pos = j;
	return 1;
}

/* Marks NUL and 8-bit bytes; a scan of the field, done once per field. */
static void
mark_bytes(struct mime_hdr_field *f)
{
	size_t k;

	if (memchr(f->raw, '\0', f->raw_len) != NULL)
		f->flags |= MIME_HDR_F_NUL;
	for (k = 0; k < f->raw_len; k++)
		if ((unsigned char)f->raw[k] >= 0x80) {
			f->flags |= MIME_HDR_F_8BIT;
			break;
		}
}

int
mime_hdr_scan(const char *data, size_t len, size_t *pos,
    struct mime_hdr_field *f_out)
{
	int r = scan(data, len, pos, 1, f_out);

	return r == 1;
}

int
mime_hdr_unfold(const char *raw, size_t len, struct buf *out)
{
	const char *p = raw, *end = raw + len;
	size_t start = out->len;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\r' || end[-1] == '\n'))
		end--;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *stop = nl != NULL ? nl : end;

		if (nl != NULL && stop > p && stop[-1] == '\r')
			stop--;
		if (buf_append(out, p, stop - p) == -1) {
			buf_truncate(out, start);
			return -1;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (buf_reserve(out, 0) == 0 && out->data != NULL)
		out->data[out->len] = '\0';
	return 0;
}

int
mime_hdr_next(struct mime_hdr *p, struct mime_hdr_field *f_out,
    const char **errstr_out)
{
	size_t pos;
	int r;

	if (p->failed)
		return fail(p, "header: earlier error", errstr_out);
	if (p->done)
		return 0;
	/*
	 * Scan only when a field is known to be whole (a later line starts
	 * a new one, or the header ended): rescanning a long field on every
	 * small push would be quadratic.
	 */
	if (!p->ended && !p->eof && p->line_start <= p->base + p->pos)
		return 0;
	pos = p->pos;
	r = scan(buf_cstr(&p->in), p->in.len, &pos, p->ended || p->eof, f_out);
	if (r == 2)
		return 0;
	if (r == 0) {
		p->done = 1;
		p->body = p->base + pos;
		return 0;
	}
	if (++p->fields > p->set.max_fields)
		return fail(p, "header: too many fields", errstr_out);
	p->pos = pos;
	f_out->offset += p->base;
	mark_bytes(f_out);
	buf_reset(&p->value);
	if (mime_hdr_unfold(f_out->raw, f_out->raw_len, &p->value) == -1)
		return fail(p, "header: too large", errstr_out);
	f_out->value = buf_cstr(&p->value);
	f_out->value_len = p->value.len;
	return 1;
}

int
mime_hdr_is_done(const struct mime_hdr *p)
{
	return p->done;
}

size_t
mime_hdr_body_offset(const struct mime_hdr *p)
{
	return p->body;
}

int
mime_hdr_field_is(const struct mime_hdr_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->name_len == n && strncasecmp(f->name, name, n) == 0;
}
