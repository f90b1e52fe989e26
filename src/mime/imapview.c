/*
 * imapview.c: ENVELOPE, BODYSTRUCTURE and BODY[section] (RFC 3501 §7.4.2,
 * §6.4.5) computed from a MIME tree. Run by the IMAP server; no I/O.
 */
#include "mime/imapview.h"

#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "mime/addr.h"
#include "mime/hdr.h"

/* RFC 3501 §4.3 string: quoted when possible, else a literal. */
static int
put_string(struct buf *out, const char *s, size_t n)
{
	size_t i;
	int lit = 0, r = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80)
			lit = 1;
	}
	if (lit) {
		/* RFC 3501 §4.3: a literal is CHAR8, so no NUL: a space. */
		r |= buf_printf(out, "{%zu}\r\n", n);
		if (r != 0 || buf_reserve(out, n) == -1)
			return -1;
		for (i = 0; i < n; i++)
			out->data[out->len++] = s[i] != '\0' ? s[i] : ' ';
		out->data[out->len] = '\0';
		return 0;
	}
	if (buf_reserve(out, n * 2 + 2) == -1)
		return -1;
	out->data[out->len++] = '"';
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			out->data[out->len++] = '\\';
		out->data[out->len++] = s[i];
	}
	out->data[out->len++] = '"';
	out->data[out->len] = '\0';
	return 0;
}

static int
put_nstring(struct buf *out, const char *s)
{
	if (s == NULL)
		return buf_puts(out, "NIL");
	return put_string(out, s, strlen(s));
}

/* Gets a header field into tmp; returns it or NULL when absent. */
static const char *
field(const struct mime_tree *t, const struct mime_part *p, const char *name,
    struct buf *tmp)
{
	buf_reset(tmp);
	if (mime_part_header_get(t, p, name, tmp) != 1)
		return NULL;
	return buf_cstr(tmp);
}

/* An address list: "((name adl mailbox host) ...)" or NIL. */
static int
put_addrs(struct buf *out, const char *v)
{
	struct mime_addr_parser *ap;
	struct mime_addr a;
	int n = 0, r = 0;

	if (v == NULL)
		return buf_puts(out, "NIL");
	ap = mime_addr_parser_new(v, strlen(v));
	while (r == 0 && mime_addr_next(ap, &a, NULL) == 1) {
		r |= buf_puts(out, n++ == 0 ? "((" : " (");
		switch (a.kind) {
		case MIME_ADDR_GROUP_START:
			/* §7.4.2: (NIL NIL "group" NIL) */
			r |= buf_puts(out, "NIL NIL ");
			r |= put_nstring(out, a.name);
			r |= buf_puts(out, " NIL)");
			break;
		case MIME_ADDR_GROUP_END:
			r |= buf_puts(out, "NIL NIL NIL NIL)");
			break;
		case MIME_ADDR_MAILBOX:
			r |= put_nstring(out, a.name);
			r |= buf_putc(out, ' ');
			r |= put_nstring(out, a.route);
			r |= buf_putc(out, ' ');
			r |= put_nstring(out, a.local);
			r |= buf_putc(out, ' ');
			r |= put_nstring(out, a.domain);
			r |= buf_putc(out, ')');
			break;
		}
	}
	mime_addr_parser_free(&ap);
	if (n == 0)
		return buf_puts(out, "NIL");
	return r | buf_putc(out, ')');
}

int
mime_imap_envelope(const struct mime_tree *t, size_t msg, struct buf *out)
{
	const struct mime_part *p = mime_tree_part(t, msg);
	struct buf tmp, from;
	const char *v, *f;
	size_t start = out->len;
	int r = 0;

	if (p == NULL)
		return -1;
	buf_init(&tmp, out->max);
	buf_init(&from, out->max);
	r |= buf_putc(out, '(');
	r |= put_nstring(out, field(t, p, "Date", &tmp));
	r |= buf_putc(out, ' ');
	r |= put_nstring(out, field(t, p, "Subject", &tmp));
	r |= buf_putc(out, ' ');
	f = field(t, p, "From", &from);
	r |= put_addrs(out, f);
	r |= buf_putc(out, ' ');
	/* §7.4.2: absent or empty Sender and Reply-To mean From. */
	v = field(t, p, "Sender", &tmp);
	r |= put_addrs(out, v != NULL && *v != '\0' ? v : f);
	r |= buf_putc(out, ' ');
	v = field(t, p, "Reply-To", &tmp);
	r |= put_addrs(out, v != NULL && *v != '\0' ? v : f);
	r |= buf_putc(out, ' ');
	r |= put_addrs(out, field(t, p, "To", &tmp));
	r |= buf_putc(out, ' ');
	r |= put_addrs(out, field(t, p, "Cc", &tmp));
	r |= buf_putc(out, ' ');
	r |= put_addrs(out, field(t, p, "Bcc", &tmp));
	r |= buf_putc(out, ' ');
	r |= put_nstring(out, field(t, p, "In-Reply-To", &tmp));
	r |= buf_putc(out, ' ');
	r |= put_nstring(out, field(t, p, "Message-ID", &tmp));
	r |= buf_putc(out, ')');
	buf_free(&tmp);
	buf_free(&from);
	if (r != 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

/*
 * body-fld-param. add_charset: a text part without a charset parameter
 * gets the RFC 2046 §4.1.2 default, as IMAP clients expect.
 */
static int
put_params(struct buf *out, const struct mime_params *pp, int add_charset)
{
	const char *n, *v;
	size_t pos = 0;
	int r = 0, first = 1;

	if (add_charset && mime_params_get_raw(pp, "charset") != NULL)
		add_charset = 0;
	if (pp->count == 0 && !add_charset)
		return buf_puts(out, "NIL");
	r |= buf_putc(out, '(');
	if (add_charset) {
		r |= buf_puts(out, "\"charset\" \"us-ascii\"");
		first = 0;
	}
	while (mime_params_next(pp, &pos, &n, &v)) {
		if (!first)
			r |= buf_putc(out, ' ');
		first = 0;
		r |= put_string(out, n, strlen(n));
		r |= buf_putc(out, ' ');
		r |= put_string(out, v, strlen(v));
	}
	return r | buf_putc(out, ')');
}

/* body-fld-dsp, body-fld-lang and body-fld-loc. */
static int
put_ext_tail(struct buf *out, const struct mime_part *p)
{
	int r = 0;

	r |= buf_putc(out, ' ');
	if (p->disposition == NULL || *p->disposition == '\0')
		r |= buf_puts(out, "NIL");
	else {
		r |= buf_putc(out, '(');
		r |= put_nstring(out, p->disposition);
		r |= buf_putc(out, ' ');
		r |= put_params(out, &p->disp_params, 0);
		r |= buf_putc(out, ')');
	}
	r |= buf_putc(out, ' ');
	if (p->language == NULL)
		r |= buf_puts(out, "NIL");
	else {
		/* RFC 3066 tags separated by commas: a list of strings. */
		const char *s = p->language;
		int n = 0;

		r |= buf_putc(out, '(');
		while (*s != '\0') {
			size_t k;

			while (*s == ' ' || *s == '\t' || *s == ',')
				s++;
			k = strcspn(s, " \t,");
			if (k == 0)
				break;
			if (n++ > 0)
				r |= buf_putc(out, ' ');
			r |= put_string(out, s, k);
			s += k;
		}
		if (n == 0)
			r |= buf_puts(out, "\"\"");
		r |= buf_putc(out, ')');
	}
	r |= buf_putc(out, ' ');
	r |= put_nstring(out, p->location);
	return r;
}

static int
put_body(const struct mime_tree *t, size_t idx, int ext, struct buf *out,
    unsigned depth)
{
	const struct mime_part *p = mime_tree_part(t, idx);
	const char *type = p->type, *subtype = p->subtype;
	int r = 0;
	size_t c;

	if (p->flags & MIME_PART_F_MULTIPART) {
		r |= buf_putc(out, '(');
		for (c = p->first_child; c != MIME_PART_NONE && r == 0;
		    c = mime_tree_part(t, c)->next)
			r |= put_body(t, c, ext, out, depth + 1);
		r |= buf_putc(out, ' ');
		r |= put_nstring(out, subtype);
		if (ext) {
			r |= buf_putc(out, ' ');
			r |= put_params(out, &p->params, 0);
			r |= put_ext_tail(out, p);
		}
		return r | buf_putc(out, ')');
	}
	if (strcmp(type, "multipart") == 0) {
		/* A multipart without usable boundary: text, as the body. */
		type = "text";
		subtype = "plain";
	}
	r |= buf_putc(out, '(');
	r |= put_nstring(out, type);
	r |= buf_putc(out, ' ');
	r |= put_nstring(out, subtype);
	r |= buf_putc(out, ' ');
	r |= put_params(out, &p->params, strcmp(type, "text") == 0);
	r |= buf_putc(out, ' ');
	r |= put_nstring(out, p->id);
	r |= buf_putc(out, ' ');
	r |= put_nstring(out, p->description);
	r |= buf_putc(out, ' ');
	r |= put_nstring(out, p->cte_raw != NULL ? p->cte_raw : "7BIT");
	r |= buf_printf(out, " %zu", p->body_end - p->body_start);
	if (p->flags & MIME_PART_F_MESSAGE) {
		r |= buf_putc(out, ' ');
		r |= mime_imap_envelope(t, p->first_child, out);
		r |= buf_putc(out, ' ');
		r |= put_body(t, p->first_child, ext, out, depth + 1);
		r |= buf_printf(out, " %zu", p->body_lines);
	} else if (strcmp(type, "message") == 0 &&
	    (strcmp(subtype, "rfc822") == 0 || strcmp(subtype, "global") == 0)) {
		/*
		 * Not opened (base64 encoded, or past a limit), but the
		 * grammar wants body-type-msg: an empty envelope and body.
		 */
		r |= buf_puts(out, " (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
		    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
		    "\"7BIT\" 0 0");
		r |= buf_puts(out, ext ? " NIL NIL NIL NIL)" : ")");
		r |= buf_printf(out, " %zu", p->body_lines);
	} else if (strcmp(type, "text") == 0)
		r |= buf_printf(out, " %zu", p->body_lines);
	if (ext) {
		r |= buf_putc(out, ' ');
		r |= put_nstring(out, p->md5);
		r |= put_ext_tail(out, p);
	}
	return r | buf_putc(out, ')');
}

int
mime_imap_bodystructure(const struct mime_tree *t, size_t part, int extended,
    struct buf *out)
{
	size_t start = out->len;

	if (mime_tree_part(t, part) == NULL)
		return -1;
	if (put_body(t, part, extended, out, 0) != 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

enum section_kind {
	SEC_WHOLE,		/* the whole message: "" */
	SEC_BODY,		/* the part's body ("" or "1.2") */
	SEC_MIME,
	SEC_HEADER,
	SEC_TEXT,
	SEC_FIELDS,
	SEC_FIELDS_NOT,
};

struct section {
	enum section_kind kind;
	size_t		 part;	/* the part, or for HEADER/TEXT the message */
	const char	*fields;	/* "(From To)" for SEC_FIELDS* */
	size_t		 fields_len;
};

static int
sec_fail(const char *why, const char **errstr_out)
{
	if (errstr_out != NULL)
		*errstr_out = why;
	return -1;
}

static int
word_is(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - p) >= n && strncasecmp(p, w, n) == 0;
}

/* The n-th (1-based) child of a multipart, or MIME_PART_NONE. */
static size_t
nth_child(const struct mime_tree *t, size_t idx, unsigned long n)
{
	size_t c = mime_tree_part(t, idx)->first_child;

	while (c != MIME_PART_NONE && --n > 0)
		c = mime_tree_part(t, c)->next;
	return c;
}

/* RFC 3501 §6.4.5 section-spec to a part and a kind. */
static int
parse_section(const struct mime_tree *t, const char *spec, size_t len,
    struct section *s, const char **errstr_out)
{
	const char *p = spec, *end = spec + len;
	size_t cur = 0;		/* the message (or part) addressed so far */
	int is_msg = 1;		/* cur is a message: HEADER/TEXT apply */

	memset(s, 0, sizeof(*s));
	while (p < end && *p >= '0' && *p <= '9') {
		const struct mime_part *cp = mime_tree_part(t, cur);
		unsigned long n = 0;

		while (p < end && *p >= '0' && *p <= '9') {
			n = n * 10 + (*p++ - '0');
			if (n > 1000000)
				return sec_fail("section: bad part number",
				    errstr_out);
		}
		if (n == 0)
			return sec_fail("section: part 0", errstr_out);
		if (!is_msg && (cp->flags & MIME_PART_F_MESSAGE)) {
			/* Into the encapsulated message. */
			cur = cp->first_child;
			cp = mime_tree_part(t, cur);
			is_msg = 1;
		}
		if (cp->flags & MIME_PART_F_MULTIPART) {
			if ((cur = nth_child(t, cur, n)) == MIME_PART_NONE)
				return sec_fail("section: no such part",
				    errstr_out);
		} else if (!(is_msg && n == 1))
			return sec_fail("section: no such part", errstr_out);
		is_msg = 0;
		if (p < end && *p == '.')
			p++;
		else
			break;
	}
	s->part = cur;
	if (p == end) {
		/* "" is the whole message; "1.2" is a part's body. */
		s->kind = is_msg ? SEC_WHOLE : SEC_BODY;
		return 0;
	}
	if (word_is(p, end, "MIME") && end - p == 4) {
		if (is_msg)
			return sec_fail("section: MIME needs a part",
			    errstr_out);
		s->kind = SEC_MIME;
		return 0;
	}
	/* HEADER and TEXT address a message: the top or a message/rfc822. */
	if (!is_msg) {
		const struct mime_part *cp = mime_tree_part(t, cur);

		if (!(cp->flags & MIME_PART_F_MESSAGE))
			return sec_fail("section: not a message/rfc822 part",
			    errstr_out);
		s->part = cp->first_child;
	}
	if (word_is(p, end, "HEADER.FIELDS.NOT")) {
		s->kind = SEC_FIELDS_NOT;
		p += 17;
	} else if (word_is(p, end, "HEADER.FIELDS")) {
		s->kind = SEC_FIELDS;
		p += 13;
	} else if (word_is(p, end, "HEADER") && end - p == 6) {
		s->kind = SEC_HEADER;
		return 0;
	} else if (word_is(p, end, "TEXT") && end - p == 4) {
		s->kind = SEC_TEXT;
		return 0;
	} else
		return sec_fail("section: unknown section", errstr_out);
	while (p < end && *p == ' ')
		p++;
	if (p == end || *p != '(' || end[-1] != ')')
		return sec_fail("section: expected field list", errstr_out);
	s->fields = p + 1;
	s->fields_len = end - p - 2;
	return 0;
}

int
mime_imap_section_range(const struct mime_tree *t, const char *spec,
    size_t len, size_t *off_out, size_t *len_out, const char **errstr_out)
{
	struct section s;
	const struct mime_part *p;
	size_t dlen;

	if (parse_section(t, spec, len, &s, errstr_out) == -1)
		return -1;
	p = mime_tree_part(t, s.part);
	switch (s.kind) {
	case SEC_WHOLE:
		*off_out = p->hdr_start;
		*len_out = (s.part == 0 ? (mime_tree_data(t, &dlen), dlen) :
		    p->body_end) - p->hdr_start;
		return 0;
	case SEC_BODY:
		*off_out = p->body_start;
		*len_out = p->body_end - p->body_start;
		return 0;
	case SEC_MIME:
	case SEC_HEADER:
		*off_out = p->hdr_start;
		*len_out = p->body_start - p->hdr_start;
		return 0;
	case SEC_TEXT:
		*off_out = p->body_start;
		*len_out = (s.part == 0 ? (mime_tree_data(t, &dlen), dlen) :
		    p->body_end) - p->body_start;
		return 0;
	case SEC_FIELDS:
	case SEC_FIELDS_NOT:
		break;
	}
	return 1;
}

/* Is name (n bytes) in the list "From To \"X-Y\""? */
static int
in_list(const char *list, size_t llen, const char *name, size_t n)
{
	const char *p = list, *end = list + llen;

	while (p < end) {
		const char *w;

		while (p < end && (*p == ' ' || *p == '"'))
			p++;
		w = p;
		while (p < end && *p != ' ' && *p != '"')
			p++;
		if ((size_t)(p - w) == n && n > 0 && strncasecmp(w, name, n) == 0)
			return 1;
	}
	return 0;
}

int
mime_imap_section_fetch(const struct mime_tree *t, const char *spec,
    size_t len, struct buf *out, const char **errstr_out)
{
	struct mime_hdr_field f;
	const struct mime_part *p;
	struct section s;
	const char *data;
	size_t off, n, dlen, pos, start = out->len;
	int r;

	r = mime_imap_section_range(t, spec, len, &off, &n, errstr_out);
	if (r == -1)
		return -1;
	data = mime_tree_data(t, &dlen);
	if (r == 0) {
		if (buf_append(out, data + off, n) == -1)
			return sec_fail("section: output too large",
			    errstr_out);
		return 0;
	}
	parse_section(t, spec, len, &s, NULL);
	p = mime_tree_part(t, s.part);
	pos = p->hdr_start;
	while (pos < p->body_start &&
	    mime_hdr_scan(data, p->body_start, &pos, &f)) {
		int hit = in_list(s.fields, s.fields_len, f.name, f.name_len);

		if (hit != (s.kind == SEC_FIELDS_NOT) &&
		    buf_append(out, f.name, f.size) == -1)
			goto full;
	}
	if (buf_append(out, "\r\n", 2) == -1)
		goto full;
	return 0;
full:
	buf_truncate(out, start);
	return sec_fail("section: output too large", errstr_out);
}
