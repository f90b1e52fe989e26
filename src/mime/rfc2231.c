/*
 * rfc2231.c: parameter lists of Content-Type and Content-Disposition
 * (RFC 2045 §5.1, RFC 2183 §2) and RFC 2231 parameter value continuations,
 * charsets and languages. Pure computation.
 */
#include "mime/rfc2231.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "mime/charset.h"
#include "mime/rfc2047.h"

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips white space and (nested) comments, RFC 5322 §3.2.2 CFWS. */
static const char *
skip_cfws(const char *p, const char *end)
{
	while (p < end) {
		if (is_wsp(*p)) {
			p++;
			continue;
		}
		if (*p != '(')
			break;
		{
			int depth = 0;

			for (; p < end; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				else if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
			}
		}
	}
	return p;
}

static int
put_lower(struct buf *out, const char *s, size_t n)
{
	size_t i;

	if (buf_reserve(out, n + 1) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c != '\0')	/* NUL separates the blob's strings */
			out->data[out->len++] = (c >= 'A' && c <= 'Z') ?
			    c + 32 : c;
	}
	out->data[out->len++] = '\0';
	out->data[out->len] = '\0';
	return 0;
}

/* Appends a value (token or quoted string) and its NUL; returns the end. */
static const char *
put_value(const char *p, const char *end, struct buf *out, int *err)
{
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (*p == '\r' || *p == '\n' || *p == '\0')
				continue;	/* folding inside the quotes */
			if (buf_putc(out, *p) == -1)
				*err = 1;
		}
		if (p < end)
			p++;
	} else {
		const char *s = p, *e;

		/* Lenient: an unquoted value runs to the next ';'. */
		while (p < end && *p != ';')
			p++;
		e = p;
		while (e > s && is_wsp(e[-1]))
			e--;
		for (; s < e; s++)
			if (*s != '\0' && buf_putc(out, *s) == -1)
				*err = 1;
	}
	if (buf_putc(out, '\0') == -1)
		*err = 1;
	return p;
}

int
mime_params_parse(const char *value, size_t len, struct buf *out,
    const char **lead_out, struct mime_params *params_out,
    const char **errstr_out)
{
	const char *p = value, *end = value + len;
	size_t start = out->len, count = 0;
	struct buf lead;
	int err = 0;

	/* The leading value, without comments and white space. */
	buf_init(&lead, len);
	while (p < end && *p != ';') {
		const char *q = skip_cfws(p, end);

		if (q != p) {
			p = q;
			continue;
		}
		if (buf_putc(&lead, *p++) == -1)
			err = 1;
	}
	if (put_lower(out, buf_cstr(&lead), lead.len) == -1)
		err = 1;
	buf_free(&lead);

	while (p < end && !err) {
		const char *n;
		size_t nlen;

		p++;	/* the ';' */
		p = skip_cfws(p, end);
		n = p;
		while (p < end && *p != '=' && *p != ';' && !is_wsp(*p) &&
		    *p != '(')
			p++;
		nlen = p - n;
		p = skip_cfws(p, end);
		if (nlen == 0 || p == end || *p != '=') {
			/* Not a parameter: skip to the next ';'. */
			while (p < end && *p != ';') {
				if (*p == '"') {
					for (p++; p < end && *p != '"'; p++)
						if (*p == '\\' && p + 1 < end)
							p++;
				}
				if (p < end)
					p++;
			}
			continue;
		}
		p = skip_cfws(p + 1, end);
		if (put_lower(out, n, nlen) == -1) {
			err = 1;
			break;
		}
		p = put_value(p, end, out, &err);
		count++;
		p = skip_cfws(p, end);
		/* Junk after a quoted value: skip to the next ';'. */
		while (p < end && *p != ';')
			p++;
	}
	if (err) {
		buf_truncate(out, start);
		if (errstr_out != NULL)
			*errstr_out = "params: output too large";
		return -1;
	}
	{
		size_t ll = strlen(out->data + start) + 1;

		*lead_out = out->data + start;
		params_out->count = count;
		params_out->len = out->len - start - ll;
		params_out->blob = count > 0 ? out->data + start + ll : NULL;
	}
	return 0;
}

int
mime_params_next(const struct mime_params *p, size_t *pos,
    const char **name_out, const char **value_out)
{
	const char *n;

	if (p->blob == NULL || *pos >= p->len)
		return 0;
	n = p->blob + *pos;
	*name_out = n;
	n += strlen(n) + 1;
	*value_out = n;
	n += strlen(n) + 1;
	*pos = n - p->blob;
	return 1;
}

const char *
mime_params_get_raw(const struct mime_params *p, const char *name)
{
	const char *n, *v;
	size_t pos = 0;

	while (mime_params_next(p, &pos, &n, &v))
		if (strcasecmp(n, name) == 0)
			return v;
	return NULL;
}

struct segment {
	unsigned long	 index;
	int		 extended;	/* "*" after the index: %XX encoded */
	const char	*value;
};

static int
segment_cmp(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;

	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->value < y->value ? -1 : x->value > y->value;
}

/* RFC 2231 §4: %XX octets in an extended value. */
static int
put_percent(struct buf *raw, const char *s)
{
	for (; *s != '\0'; s++) {
		int h, l;

		if (*s == '%' && (h = hex_digit(s[1])) >= 0 &&
		    (l = hex_digit(s[2])) >= 0) {
			if (buf_putc(raw, (char)(h << 4 | l)) == -1)
				return -1;
			s += 2;
		} else if (buf_putc(raw, *s) == -1)
			return -1;
	}
	return 0;
}

/*
 * Matches "name*", "name*N" or "name*N*" against a parameter name. Returns
 * 1 with the segment filled in, 0 when it is not one of ours.
 */
static int
match_segment(const char *pn, const char *name, size_t nlen,
    struct segment *s)
{
	const char *q;
	char *e;

	if (strncasecmp(pn, name, nlen) != 0 || pn[nlen] != '*')
		return 0;
	q = pn + nlen + 1;
	if (*q == '\0') {
		s->index = 0;
		s->extended = 1;
		return 1;
	}
	if (*q < '0' || *q > '9' || (q[0] == '0' && q[1] >= '0' && q[1] <= '9'))
		return 0;
	s->index = strtoul(q, &e, 10);
	if (*e == '*' && e[1] == '\0')
		s->extended = 1;
	else if (*e == '\0')
		s->extended = 0;
	else
		return 0;
	return 1;
}

int
mime_params_get(const struct mime_params *p, const char *name,
    struct buf *out, const char **errstr_out)
{
	struct segment *segs = NULL, s;
	size_t nsegs = 0, cap = 0, pos = 0, nlen = strlen(name), i;
	size_t start = out->len;
	const char *pn, *pv, *plain = NULL;
	char charset[MIME_CHARSET_NAME_MAX + 1] = "";
	struct buf raw;
	int r = 0;

	while (mime_params_next(p, &pos, &pn, &pv)) {
		if (plain == NULL && strcasecmp(pn, name) == 0)
			plain = pv;
		if (!match_segment(pn, name, nlen, &s))
			continue;
		if (nsegs == cap) {
			cap = cap ? cap * 2 : 8;
			segs = xreallocarray(segs, cap, sizeof(*segs));
		}
		s.value = pv;
		segs[nsegs++] = s;
	}
	if (nsegs == 0) {
		if (plain == NULL)
			return 0;
		if (mime_rfc2047_decode(plain, strlen(plain), out,
		    errstr_out) == -1)
			return -1;
		return 1;
	}
	qsort(segs, nsegs, sizeof(*segs), segment_cmp);
	buf_init(&raw, out->max);
	for (i = 0; i < nsegs; i++) {
		const char *v = segs[i].value;

		if (segs[i].index != i)
			break;	/* a gap or a duplicate ends the value */
		if (i == 0 && segs[i].extended) {
			/* RFC 2231 §4: charset'language'value. */
			const char *q1 = strchr(v, '\''), *q2;

			if (q1 != NULL && (q2 = strchr(q1 + 1, '\'')) != NULL) {
				size_t cl = q1 - v;

				if (cl <= MIME_CHARSET_NAME_MAX) {
					memcpy(charset, v, cl);
					charset[cl] = '\0';
				}
				v = q2 + 1;
			}
		}
		if (segs[i].extended ? put_percent(&raw, v) == -1 :
		    buf_puts(&raw, v) == -1) {
			r = -1;
			break;
		}
	}
	if (r == 0 && mime_charset_to_utf8(charset[0] ? charset : "utf-8",
	    raw.data != NULL ? raw.data : "", raw.len, out, NULL) == -1)
		r = -1;
	buf_free(&raw);
	free(segs);
	if (r == -1) {
		buf_truncate(out, start);
		if (errstr_out != NULL)
			*errstr_out = "params: output too large";
		return -1;
	}
	return 1;
}
