/*
 * build.c: message composition for the user agent and the queue's
 * bounces. Encodings: RFC 2045 §6 (7bit, 8bit, quoted-printable, base64),
 * RFC 2047 for header text, RFC 2231 for file names. The only thing here
 * that is not pure computation is libmagic's database, loaded on first use
 * to detect attachment types from their bytes (magic_buffer).
 */
#include "mime/build.h"

#include <magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "mime/charset.h"
#include "mime/codec.h"
#include "mime/date.h"
#include "mime/hdr.h"
#include "mime/rfc2047.h"

#define BUILD_MAX	((size_t)1 << 32)	/* 4 GiB of output at most */

struct field {
	char		*name;
	struct buf	 value;	/* encoded, folded, ready to emit */
	size_t		 col;	/* characters on the value's last line */
};

struct attachment {
	char		*filename;
	char		*type;
	char		*data;
	size_t		 len;
};

struct mime_build {
	char			*domain;
	unsigned		 flags;
	struct field		*fields;
	size_t			 nfields;
	struct attachment	*att;
	size_t			 natt;
	char			*text;
	size_t			 text_len;
	char			*html;		/* NULL: no HTML alternative */
	size_t			 html_len;
	int			 has_date;
	time_t			 date;
	int			 tz;
	char			*msgid;
	char			*mp_subtype;	/* "mixed" unless set */
	char			*mp_params;
	magic_t			 magic;
};

static int
fail(const char *why, const char **errstr_out)
{
	if (errstr_out != NULL)
		*errstr_out = why;
	return -1;
}

struct mime_build *
mime_build_new(const char *domain, unsigned flags)
{
	struct mime_build *b = xcalloc(1, sizeof(*b));

	b->domain = xstrdup(domain != NULL && *domain != '\0' ? domain :
	    "localhost");
	b->flags = flags;
	return b;
}

void
mime_build_free(struct mime_build **bp)
{
	struct mime_build *b = *bp;
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nfields; i++) {
		free(b->fields[i].name);
		buf_free(&b->fields[i].value);
	}
	for (i = 0; i < b->natt; i++) {
		free(b->att[i].filename);
		free(b->att[i].type);
		free(b->att[i].data);
	}
	free(b->fields);
	free(b->att);
	free(b->text);
	free(b->html);
	free(b->domain);
	free(b->msgid);
	free(b->mp_subtype);
	free(b->mp_params);
	if (b->magic != NULL)
		magic_close(b->magic);
	free(b);
	*bp = NULL;
}

static int
valid_name(const char *name)
{
	const char *p;

	if (*name == '\0' || strlen(name) > 76)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (*p < 33 || *p > 126 || *p == ':')
			return 0;
	return 1;
}

static struct field *
find_field(struct mime_build *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nfields; i++)
		if (strcasecmp(b->fields[i].name, name) == 0)
			return &b->fields[i];
	return NULL;
}

static struct field *
add_field(struct mime_build *b, const char *name)
{
	struct field *f;

	b->fields = xreallocarray(b->fields, b->nfields + 1,
	    sizeof(*b->fields));
	f = &b->fields[b->nfields++];
	f->name = xstrdup(name);
	buf_init(&f->value, BUILD_MAX);
	f->col = strlen(name) + 2;
	return f;
}

/* Updates col to the length of the value's last line. */
static void
update_col(struct field *f, size_t from)
{
	const char *v = buf_cstr(&f->value), *nl = NULL, *p;

	for (p = v + from; (p = strchr(p, '\n')) != NULL; p++)
		nl = p;
	if (nl != NULL)
		f->col = f->value.len - (size_t)(nl + 1 - v);
	else
		f->col += f->value.len - from;
}

int
mime_build_field(struct mime_build *b, const char *name, const char *value,
    const char **errstr_out)
{
	struct field *f;

	if (!valid_name(name))
		return fail("build: bad field name", errstr_out);
	if (strpbrk(value, "\r\n") != NULL)
		return fail("build: line break in field value", errstr_out);
	f = add_field(b, name);
	if (mime_rfc2047_encode(value, strlen(value), f->col, &f->value) == -1)
		return fail("build: field too large", errstr_out);
	update_col(f, 0);
	return 0;
}

/* RFC 5322 §3.2.3 atext plus the space: a phrase that needs no quotes. */
static int
is_plain_phrase(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == ' ' ||
		    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL))
			return 0;
	}
	return 1;
}

int
mime_build_addr(struct mime_build *b, const char *field,
    const char *display_name, const char *addr_spec, const char **errstr_out)
{
	struct buf one;
	struct field *f;
	size_t from;
	const char *p;
	int r = 0, ascii = 1;

	if (!valid_name(field))
		return fail("build: bad field name", errstr_out);
	if (addr_spec == NULL || strpbrk(addr_spec, "\r\n<> ,") != NULL ||
	    strchr(addr_spec, '@') == NULL || strlen(addr_spec) > 900)
		return fail("build: bad address", errstr_out);
	if (display_name != NULL && strpbrk(display_name, "\r\n") != NULL)
		return fail("build: line break in display name", errstr_out);
	buf_init(&one, BUILD_MAX);
	if (display_name != NULL && *display_name != '\0') {
		for (p = display_name; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x80)
				ascii = 0;
		if (ascii && is_plain_phrase(display_name) &&
		    strstr(display_name, "=?") == NULL)
			r |= buf_puts(&one, display_name);
		else if (ascii && strlen(display_name) < 200 &&
		    strstr(display_name, "=?") == NULL) {
			/* A quoted string (RFC 5322 §3.2.4). */
			r |= buf_putc(&one, '"');
			for (p = display_name; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					r |= buf_putc(&one, '\\');
				r |= buf_putc(&one, *p);
			}
			r |= buf_putc(&one, '"');
		} else {
			/* Encoded words are allowed in a phrase (§5 (3)). */
			struct buf enc;

			buf_init(&enc, BUILD_MAX);
			r |= mime_rfc2047_encode(display_name,
			    strlen(display_name), 0, &enc);
			if (strncmp(buf_cstr(&enc), "=?", 2) != 0) {
				/* Came back plain: force the encoding. */
				buf_reset(&enc);
				r |= buf_puts(&enc, "=?UTF-8?B?");
				r |= mime_b64_encode(display_name,
				    strlen(display_name), 0, &enc);
				r |= buf_puts(&enc, "?=");
			}
			r |= buf_append(&one, enc.data, enc.len);
			buf_free(&enc);
		}
		{
			/* Fold before "<" when the line could pass 998. */
			const char *nl = one.data != NULL ?
			    memrchr(one.data, '\n', one.len) : NULL;
			size_t last = nl != NULL ? one.len - (size_t)(nl + 1 -
			    one.data) : one.len;

			r |= buf_puts(&one, last + strlen(addr_spec) + 80 >
			    MIME_HDR_LINE_MAX ? "\r\n <" : " <");
		}
		r |= buf_puts(&one, addr_spec);
		r |= buf_putc(&one, '>');
	} else
		r |= buf_puts(&one, addr_spec);
	if ((f = find_field(b, field)) == NULL)
		f = add_field(b, field);
	else
		r |= buf_putc(&f->value, ',');
	from = f->value.len;
	/* Fold before the address when the line would pass 78. */
	if (from > 0 && f->col + 1 + one.len > MIME_HDR_LINE_SOFT)
		r |= buf_puts(&f->value, "\r\n ");
	else if (from > 0)
		r |= buf_putc(&f->value, ' ');
	r |= buf_append(&f->value, one.data, one.len);
	buf_free(&one);
	update_col(f, from);
	return r == 0 ? 0 : fail("build: field too large", errstr_out);
}

void
mime_build_date(struct mime_build *b, time_t t, int tz_minutes)
{
	b->has_date = 1;
	b->date = t;
	b->tz = tz_minutes;
}

int
mime_build_message_id(struct mime_build *b, const char *id,
    const char **errstr_out)
{
	size_t n = strlen(id);

	if (n < 3 || id[0] != '<' || id[n - 1] != '>' ||
	    strpbrk(id, "\r\n ") != NULL || n > 900)
		return fail("build: bad Message-ID", errstr_out);
	free(b->msgid);
	b->msgid = xstrdup(id);
	return 0;
}

/* Parameters "a=b; c=d" with token values only: no quoting needed. */
static int
valid_params(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 32 || *s >= 127 || strchr("\"\\()<>@,[]?", *s) != NULL)
			return 0;
	return 1;
}

int
mime_build_multipart_type(struct mime_build *b, const char *subtype,
    const char *params, const char **errstr_out)
{
	const char *p;

	if (*subtype == '\0' || strlen(subtype) > 60 ||
	    (params != NULL && (strlen(params) > 400 || !valid_params(params))))
		return fail("build: bad multipart type", errstr_out);
	for (p = subtype; *p != '\0'; p++)
		if (*p <= 32 || *p >= 127 || strchr("()<>@,;:\\\"/[]?=", *p))
			return fail("build: bad multipart type", errstr_out);
	free(b->mp_subtype);
	free(b->mp_params);
	b->mp_subtype = xstrdup(subtype);
	b->mp_params = params != NULL ? xstrdup(params) : NULL;
	return 0;
}

void
mime_build_text(struct mime_build *b, const char *utf8, size_t len)
{
	free(b->text);
	b->text = xmalloc(len + 1);
	memcpy(b->text, utf8, len);
	b->text[len] = '\0';
	b->text_len = len;
}

void
mime_build_html(struct mime_build *b, const char *utf8, size_t len)
{
	free(b->html);
	b->html = xmalloc(len + 1);
	memcpy(b->html, utf8, len);
	b->html[len] = '\0';
	b->html_len = len;
}

static int
valid_type(const char *t)
{
	const char *slash = strchr(t, '/'), *p;

	if (slash == NULL || slash == t || slash[1] == '\0' ||
	    strlen(t) > 200)
		return 0;
	for (p = t; *p != '\0'; p++)
		if (p != slash && (*p <= 32 || *p >= 127 ||
		    strchr("()<>@,;:\\\"/[]?=", *p) != NULL))
			return 0;
	return 1;
}

int
mime_build_attach(struct mime_build *b, const char *filename,
    const void *data, size_t len, const char *content_type,
    const char **errstr_out)
{
	struct attachment *a;
	const char *type = content_type;

	if (type == NULL) {
		if (b->magic == NULL && (b->magic = magic_open(MAGIC_MIME_TYPE))
		    != NULL && magic_load(b->magic, NULL) != 0) {
			magic_close(b->magic);
			b->magic = NULL;
		}
		if (b->magic != NULL)
			type = magic_buffer(b->magic, data, len);
		if (type == NULL || !valid_type(type))
			type = "application/octet-stream";
	} else if (!valid_type(type))
		return fail("build: bad content type", errstr_out);
	if (filename != NULL && strpbrk(filename, "\r\n") != NULL)
		return fail("build: line break in file name", errstr_out);
	b->att = xreallocarray(b->att, b->natt + 1, sizeof(*b->att));
	a = &b->att[b->natt++];
	a->filename = filename != NULL ? xstrdup(filename) : NULL;
	a->type = xstrdup(type);
	{
		char *p;

		for (p = a->type; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 32;
	}
	a->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(a->data, data, len);
	a->len = len;
	return 0;
}

enum enc { ENC_7BIT, ENC_8BIT, ENC_QP, ENC_BASE64 };

static const char *enc_names[] = { "7bit", "8bit", "quoted-printable",
    "base64" };

/*
 * Picks an encoding for text (text != 0: line ends are ours to choose) or
 * for bytes that must come back exactly.
 */
static enum enc
choose(const char *s, size_t n, int text, unsigned flags)
{
	size_t i, line = 0, high = 0;
	int bad = 0, longl = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '\n') {
			if (!text && (i == 0 || s[i - 1] != '\r'))
				bad = 1;	/* a bare LF would become CRLF */
			line = 0;
			continue;
		}
		if (c == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			bad = 1;
		if (c == '\0')
			bad = 1;
		if (c >= 0x80)
			high++;
		if (++line > MIME_HDR_LINE_MAX - 2)
			longl = 1;	/* quoted-printable can fold it */
	}
	if (!bad && !longl && high == 0)
		return ENC_7BIT;
	if (!bad && !longl && text && (flags & MIME_BUILD_8BIT) &&
	    mime_utf8_is_valid(s, n))
		return ENC_8BIT;
	if (text && !bad && high * 3 < n)
		return ENC_QP;
	return ENC_BASE64;
}

/* Appends text with its line ends made CRLF. */
static int
put_crlf(struct buf *out, const char *s, size_t n)
{
	size_t i, start = 0;
	int r = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '\n')
			continue;
		r |= buf_append(out, s + start, i - start);
		if (i == start || s[i - 1] != '\r')
			r |= buf_putc(out, '\r');
		r |= buf_putc(out, '\n');
		start = i + 1;
	}
	return r | buf_append(out, s + start, n - start);
}

/*
 * Encodes a body. last != 0: it ends the message, so it must end with a
 * line end; quoted-printable gets a soft one so the text is unchanged.
 */
static int
put_body(struct buf *out, const char *s, size_t n, enum enc e, int last)
{
	int r = 0;

	switch (e) {
	case ENC_7BIT:
	case ENC_8BIT:
		r |= put_crlf(out, s, n);
		break;
	case ENC_QP:
		r |= mime_qp_encode(s, n, MIME_QP_TEXT, out);
		break;
	case ENC_BASE64:
		r |= mime_b64_encode(s, n, MIME_CODEC_LINE_MAX, out);
		break;
	}
	if (r == 0 && last && n > 0 && (out->len < 2 ||
	    memcmp(out->data + out->len - 2, "\r\n", 2) != 0))
		r |= buf_puts(out, e == ENC_QP ? "=\r\n" : "\r\n");
	return r;
}

/* Content-Disposition with the file name, RFC 2231 when needed. */
static int
put_disposition(struct buf *out, const char *filename)
{
	const unsigned char *p;
	int r = 0, plain = 1;
	size_t col, k = 0;

	r |= buf_puts(out, "Content-Disposition: attachment");
	if (filename == NULL)
		return r | buf_puts(out, "\r\n");
	for (p = (const unsigned char *)filename; *p != '\0'; p++)
		if (*p < 32 || *p >= 127 || *p == '"' || *p == '\\')
			plain = 0;
	if (plain && strlen(filename) < 60) {
		r |= buf_printf(out, ";\r\n filename=\"%s\"\r\n", filename);
		return r;
	}
	/* RFC 2231 §3-4: filename*0*=utf-8''%XX...; filename*1*=... */
	col = 78;
	for (p = (const unsigned char *)filename; *p != '\0'; p++) {
		if (col > 70) {
			r |= buf_printf(out, ";\r\n filename*%zu*=%s", k,
			    k == 0 ? "utf-8''" : "");
			col = 20;
			k++;
		}
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p)) {
			r |= buf_putc(out, *p);
			col++;
		} else {
			r |= buf_printf(out, "%%%02X", *p);
			col += 3;
		}
	}
	return r | buf_puts(out, "\r\n");
}

/* A boundary that occurs in none of the encoded parts. */
static void
make_boundary(char *bnd, size_t size, struct buf *parts, size_t n)
{
	uint8_t rnd[12];
	size_t i, k;

	for (;;) {
		arc4random_buf(rnd, sizeof(rnd));
		k = (size_t)snprintf(bnd, size, "=_postern_");
		for (i = 0; i < sizeof(rnd) && k + 2 < size; i++)
			k += (size_t)snprintf(bnd + k, size - k, "%02x", rnd[i]);
		for (i = 0; i < n; i++)
			if (parts[i].data != NULL && memmem(parts[i].data,
			    parts[i].len, bnd, strlen(bnd)) != NULL)
				break;
		if (i == n)
			return;
	}
}

static int
put_one_text(struct buf *out, const char *subtype, const char *t, size_t n,
    unsigned flags, int last)
{
	enum enc e = choose(t, n, 1, flags);
	int r = 0;

	r |= buf_printf(out, "Content-Type: text/%s; charset=%s\r\n", subtype,
	    e == ENC_7BIT ? "us-ascii" : "utf-8");
	r |= buf_printf(out, "Content-Transfer-Encoding: %s\r\n\r\n",
	    enc_names[e]);
	return r | put_body(out, t, n, e, last);
}

static void make_boundary(char *, size_t, struct buf *, size_t);

/*
 * The body: text/plain, or with HTML a multipart/alternative of the plain
 * text and the HTML (RFC 2046 §5.1.4: simplest first).
 */
static int
put_text_part(struct mime_build *b, struct buf *out, int last)
{
	struct buf alt[2];
	char bnd[64];
	int r = 0, i;

	if (b->html == NULL)
		return put_one_text(out, "plain", b->text != NULL ? b->text :
		    "", b->text_len, b->flags, last);
	for (i = 0; i < 2; i++)
		buf_init(&alt[i], BUILD_MAX);
	r |= put_one_text(&alt[0], "plain", b->text != NULL ? b->text : "",
	    b->text_len, b->flags, 0);
	r |= put_one_text(&alt[1], "html", b->html, b->html_len, b->flags, 0);
	make_boundary(bnd, sizeof(bnd), alt, 2);
	r |= buf_printf(out, "Content-Type: multipart/alternative;\r\n"
	    " boundary=\"%s\"\r\n\r\n", bnd);
	for (i = 0; i < 2; i++) {
		r |= buf_printf(out, "--%s\r\n", bnd);
		r |= buf_append(out, alt[i].data, alt[i].len);
		r |= buf_puts(out, "\r\n");
		buf_free(&alt[i]);
	}
	r |= buf_printf(out, "--%s--\r\n", bnd);
	return r;
}

int
mime_build_finish(struct mime_build *b, struct buf *out,
    const char **errstr_out)
{
	size_t start = out->len, i, n = b->natt + 1;
	struct buf *parts;
	char bnd[64];
	int r = 0;

	/* Header fields, in the order given, then ours. */
	if (!b->has_date)
		mime_build_date(b, time(NULL), 0);
	for (i = 0; i < b->nfields; i++) {
		r |= buf_printf(out, "%s: ", b->fields[i].name);
		r |= buf_append(out, b->fields[i].value.data,
		    b->fields[i].value.len);
		r |= buf_puts(out, "\r\n");
	}
	if (find_field(b, "Date") == NULL) {
		r |= buf_puts(out, "Date: ");
		r |= mime_date_format(b->date, b->tz, out);
		r |= buf_puts(out, "\r\n");
	}
	if (find_field(b, "Message-ID") == NULL) {
		if (b->msgid != NULL)
			r |= buf_printf(out, "Message-ID: %s\r\n", b->msgid);
		else {
			uint8_t rnd[10];
			size_t k;

			arc4random_buf(rnd, sizeof(rnd));
			r |= buf_printf(out, "Message-ID: <%lld.",
			    (long long)b->date);
			for (k = 0; k < sizeof(rnd); k++)
				r |= buf_printf(out, "%02x", rnd[k]);
			r |= buf_printf(out, "@%s>\r\n", b->domain);
		}
	}
	r |= buf_puts(out, "MIME-Version: 1.0\r\n");
	if (b->natt == 0) {
		r |= put_text_part(b, out, 1);
		goto done;
	}
	/* Encode every part first so the boundary can be checked. */
	parts = xcalloc(n, sizeof(*parts));
	for (i = 0; i < n; i++)
		buf_init(&parts[i], BUILD_MAX);
	r |= put_text_part(b, &parts[0], 0);
	for (i = 0; i < b->natt; i++) {
		struct attachment *a = &b->att[i];
		struct buf *pb = &parts[i + 1];
		int text = strncmp(a->type, "text/", 5) == 0;
		int message = strncmp(a->type, "message/", 8) == 0;
		enum enc e = choose(a->data, a->len, message, MIME_BUILD_8BIT);

		if (message) {
			/* RFC 2046 §5.2: 7bit or 8bit; line ends are ours. */
			if (e == ENC_QP)
				e = ENC_8BIT;
		} else if (!text && e != ENC_7BIT)
			e = ENC_BASE64;
		else if (e == ENC_QP || e == ENC_8BIT)
			e = ENC_BASE64;	/* bytes must come back exactly */
		r |= buf_printf(pb, "Content-Type: %s", a->type);
		if (text && mime_utf8_is_valid(a->data, a->len))
			r |= buf_puts(pb, e == ENC_7BIT ?
			    "; charset=us-ascii" : "; charset=utf-8");
		r |= buf_printf(pb, "\r\nContent-Transfer-Encoding: %s\r\n",
		    enc_names[e]);
		if (a->filename != NULL)
			r |= put_disposition(pb, a->filename);
		r |= buf_puts(pb, "\r\n");
		r |= put_body(pb, a->data, a->len, e, 0);
	}
	make_boundary(bnd, sizeof(bnd), parts, n);
	r |= buf_printf(out, "Content-Type: multipart/%s;",
	    b->mp_subtype != NULL ? b->mp_subtype : "mixed");
	if (b->mp_params != NULL)
		r |= buf_printf(out, "\r\n %s;", b->mp_params);
	r |= buf_printf(out, "\r\n boundary=\"%s\"\r\n\r\n", bnd);
	r |= buf_puts(out, "This is a multi-part message in MIME format.\r\n");
	for (i = 0; i < n; i++) {
		r |= buf_printf(out, "\r\n--%s\r\n", bnd);
		/* The CRLF before the next delimiter belongs to it. */
		r |= buf_append(out, parts[i].data, parts[i].len);
		buf_free(&parts[i]);
	}
	free(parts);
	r |= buf_printf(out, "\r\n--%s--\r\n", bnd);
done:
	if (r != 0) {
		buf_truncate(out, start);
		return fail("build: output too large", errstr_out);
	}
	return 0;
}
