/*
 * addr.c: address lists (RFC 5322 §3.4, obsolete forms of §4.4) and SMTP
 * paths (RFC 5321 §4.1.2, RFC 6531 for SMTPUTF8). Pure computation.
 */
#include "mime/addr.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "mime/charset.h"

struct mime_addr_parser {
	const char	*s, *end, *p;
	int		 in_group;
	struct buf	 name, route, local, domain, comment;
};

/* RFC 5322 §3.2.3 atext; bytes >= 0x80 are accepted (RFC 6532). */
static const unsigned char atext_chars[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static int
is_atext(unsigned char c)
{
	return atext_chars[c];
}

static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct mime_addr_parser *
mime_addr_parser_new(const char *s, size_t len)
{
	struct mime_addr_parser *p = xcalloc(1, sizeof(*p));
	size_t max = len + 16;

	p->s = p->p = s;
	p->end = s + len;
	buf_init(&p->name, max);
	buf_init(&p->route, max);
	buf_init(&p->local, max);
	buf_init(&p->domain, max);
	buf_init(&p->comment, max);
	return p;
}

void
mime_addr_parser_free(struct mime_addr_parser **pp)
{
	struct mime_addr_parser *p = *pp;

	if (p == NULL)
		return;
	buf_free(&p->name);
	buf_free(&p->route);
	buf_free(&p->local);
	buf_free(&p->domain);
	buf_free(&p->comment);
	free(p);
	*pp = NULL;
}

/*
 * Skips white space and comments; keeps the text of the first comment
 * (RFC 5322 §3.2.2) as a fallback display name. Returns 1 when anything
 * was skipped.
 */
static int
skip_cfws(struct mime_addr_parser *p)
{
	const char *start = p->p;

	while (p->p < p->end) {
		if (is_wsp(*p->p)) {
			p->p++;
			continue;
		}
		if (*p->p != '(')
			break;
		{
			int depth = 0, keep = p->comment.len == 0;

			for (; p->p < p->end; p->p++) {
				char c = *p->p;

				if (c == '\\' && p->p + 1 < p->end) {
					p->p++;
					c = *p->p;
				} else if (c == '(') {
					if (depth++ == 0)
						continue;
				} else if (c == ')' && --depth == 0) {
					p->p++;
					break;
				}
				if (keep && c != '\r' && c != '\n')
					buf_putc(&p->comment, c);
			}
		}
	}
	return p->p != start;
}

/* Reads a quoted string's content into out (escapes removed). */
static void
read_quoted(struct mime_addr_parser *p, struct buf *out)
{
	for (p->p++; p->p < p->end && *p->p != '"'; p->p++) {
		char c = *p->p;

		if (c == '\\' && p->p + 1 < p->end)
			c = *++p->p;
		else if (c == '\r' || c == '\n')
			continue;
		buf_putc(out, c);
	}
	if (p->p < p->end)
		p->p++;
}

/* Reads a domain (dot-atoms or a literal) up to a delimiter. */
static void
read_domain(struct mime_addr_parser *p, struct buf *out)
{
	skip_cfws(p);
	while (p->p < p->end) {
		char c = *p->p;

		if (c == '[') {
			/* RFC 5322 §3.4.1 domain-literal, kept with brackets. */
			while (p->p < p->end && *p->p != ']') {
				if (!is_wsp(*p->p))
					buf_putc(out, *p->p);
				p->p++;
			}
			if (p->p < p->end) {
				buf_putc(out, ']');
				p->p++;
			}
		} else if (c == '.' || is_atext(c)) {
			buf_putc(out, c);
			p->p++;
		} else if (is_wsp(c) || c == '(') {
			skip_cfws(p);
		} else
			break;
	}
}

/* Reads words and dots of a phrase or local part up to a special. */
static void
read_words(struct mime_addr_parser *p, unsigned *flags)
{
	int space = 0;

	while (p->p < p->end) {
		char c = *p->p;

		if (is_wsp(c) || c == '(') {
			skip_cfws(p);
			space = 1;
			continue;
		}
		if (c == '"') {
			if (space && p->name.len > 0)
				buf_putc(&p->name, ' ');
			if (p->local.len == 0)
				*flags |= MIME_ADDR_F_QUOTED;
			{
				size_t n0 = p->name.len;

				read_quoted(p, &p->name);
				if (p->name.len > n0)
					buf_append(&p->local, p->name.data + n0,
					    p->name.len - n0);
			}
			space = 0;
			continue;
		}
		if (c == '.' || is_atext(c)) {
			const char *w = p->p;

			while (p->p < p->end && (*p->p == '.' ||
			    is_atext(*p->p)))
				p->p++;
			if (space && p->name.len > 0)
				buf_putc(&p->name, ' ');
			buf_append(&p->name, w, p->p - w);
			buf_append(&p->local, w, p->p - w);
			space = 0;
			continue;
		}
		break;
	}
}

/* Skips to just past the next ',' (or to a ';' ending a group). */
static void
skip_to_next(struct mime_addr_parser *p)
{
	while (p->p < p->end) {
		char c = *p->p;

		if (c == '"') {
			struct buf junk;

			buf_init(&junk, 0);
			/* junk has max 0: read_quoted's appends all fail. */
			read_quoted(p, &junk);
			continue;
		}
		if (c == '(') {
			skip_cfws(p);
			continue;
		}
		if (c == ';' && p->in_group)
			return;
		p->p++;
		if (c == ',')
			return;
	}
}

static const char *
str_or_null(struct buf *b)
{
	return b->len > 0 ? buf_cstr(b) : NULL;
}

int
mime_addr_next(struct mime_addr_parser *p, struct mime_addr *a,
    const char **errstr_out)
{
	unsigned flags = 0;

	memset(a, 0, sizeof(*a));
	for (;;) {
		buf_reset(&p->name);
		buf_reset(&p->route);
		buf_reset(&p->local);
		buf_reset(&p->domain);
		buf_reset(&p->comment);
		flags = 0;
		skip_cfws(p);
		while (p->p < p->end && *p->p == ',') {
			p->p++;
			skip_cfws(p);
		}
		if (p->p >= p->end) {
			if (p->in_group) {
				p->in_group = 0;
				a->kind = MIME_ADDR_GROUP_END;
				a->flags = MIME_ADDR_F_INVALID;
				return 1;
			}
			return 0;
		}
		if (*p->p == ';') {
			p->p++;
			if (p->in_group) {
				p->in_group = 0;
				a->kind = MIME_ADDR_GROUP_END;
				return 1;
			}
			continue;	/* stray ';' */
		}
		read_words(p, &flags);
		skip_cfws(p);
		if (p->p < p->end && *p->p == ':' && !p->in_group) {
			/* RFC 5322 §3.4 group: display-name ":" [list] ";" */
			p->p++;
			p->in_group = 1;
			a->kind = MIME_ADDR_GROUP_START;
			a->name = buf_cstr(&p->name);
			return 1;
		}
		if (p->p < p->end && *p->p == '<') {
			/* name-addr: the words were the display name. */
			buf_reset(&p->local);
			flags = MIME_ADDR_F_ANGLE;
			p->p++;
			skip_cfws(p);
			/* RFC 5322 §4.4 obs-route: "@a,@b:" */
			while (p->p < p->end && (*p->p == '@' || *p->p == ',')) {
				if (*p->p == ',') {
					p->p++;
					skip_cfws(p);
					continue;
				}
				if (p->route.len > 0)
					buf_putc(&p->route, ',');
				buf_putc(&p->route, '@');
				p->p++;
				read_domain(p, &p->route);
			}
			if (p->route.len > 0) {
				if (p->p < p->end && *p->p == ':')
					p->p++;
				else
					flags |= MIME_ADDR_F_INVALID;
			}
			{
				/* The local part, parsed on its own. */
				struct buf keep = p->name;

				buf_init(&p->name, keep.max);
				read_words(p, &flags);
				buf_free(&p->name);
				p->name = keep;
				flags &= ~0u;
			}
			if (p->p < p->end && *p->p == '@') {
				p->p++;
				read_domain(p, &p->domain);
			}
			skip_cfws(p);
			if (p->p < p->end && *p->p == '>')
				p->p++;
			else
				flags |= MIME_ADDR_F_INVALID;
			if (p->name.len == 0 && p->comment.len > 0)
				buf_append(&p->name, p->comment.data,
				    p->comment.len);
		} else if (p->p < p->end && *p->p == '@') {
			/* addr-spec: the words were the local part. */
			p->p++;
			read_domain(p, &p->domain);
			skip_cfws(p);
			buf_reset(&p->name);
			if (p->comment.len > 0)
				buf_append(&p->name, p->comment.data,
				    p->comment.len);
		} else {
			/* Neither: a bare word ("undisclosed-recipients"). */
			buf_reset(&p->name);
			flags |= MIME_ADDR_F_INVALID;
		}
		if (p->domain.len == 0)
			flags |= MIME_ADDR_F_INVALID;
		if (p->p < p->end && *p->p != ',' && *p->p != ';')
			flags |= MIME_ADDR_F_INVALID;
		skip_to_next(p);
		if (p->local.len == 0 && p->domain.len == 0) {
			if (p->p >= p->end && !p->in_group)
				return 0;
			continue;	/* nothing usable in this element */
		}
		a->kind = MIME_ADDR_MAILBOX;
		a->flags = flags;
		a->name = str_or_null(&p->name);
		a->route = str_or_null(&p->route);
		a->local = buf_cstr(&p->local);
		a->domain = str_or_null(&p->domain);
		return 1;
	}
	(void)errstr_out;
}

/* True when s is a dot-atom (RFC 5322 §3.2.3) and needs no quotes. */
static int
is_dot_atom(const char *s)
{
	const char *q;

	if (*s == '\0' || *s == '.')
		return 0;
	for (q = s; *q != '\0'; q++) {
		if (*q == '.' && (q[1] == '.' || q[1] == '\0'))
			return 0;
		if (*q != '.' && !is_atext(*q))
			return 0;
	}
	return 1;
}

int
mime_addr_spec_format(const struct mime_addr *a, struct buf *out)
{
	size_t start = out->len;
	const char *q;
	int r = 0;

	if (a->local == NULL)
		return 0;
	if (is_dot_atom(a->local))
		r |= buf_puts(out, a->local);
	else {
		r |= buf_putc(out, '"');
		for (q = a->local; *q != '\0' && r == 0; q++) {
			if (*q == '"' || *q == '\\')
				r |= buf_putc(out, '\\');
			r |= buf_putc(out, *q);
		}
		r |= buf_putc(out, '"');
	}
	if (a->domain != NULL) {
		r |= buf_putc(out, '@');
		r |= buf_puts(out, a->domain);
	}
	if (r != 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

static int
path_fail(const char *why, const char **errstr_out)
{
	if (errstr_out != NULL)
		*errstr_out = why;
	return -1;
}

/* Bytes of the UTF-8 character at p when SMTPUTF8 allows it, else 0. */
static size_t
utf8_ok(const char *p, const char *end, int flags)
{
	if (!(flags & MIME_PATH_SMTPUTF8) || (unsigned char)*p < 0x80)
		return 0;
	return mime_utf8_seq_len((const unsigned char *)p, end - p);
}

/* RFC 5321 §4.1.2 Domain or address-literal; returns its end or NULL. */
static const char *
path_domain(const char *p, const char *end, int flags)
{
	if (p < end && *p == '[') {
		for (p++; p < end && *p != ']'; p++)
			if (*p < 33 || *p > 126 || *p == '[' || *p == '\\')
				return NULL;
		return p < end && p[-1] != '[' ? p + 1 : NULL;
	}
	for (;;) {
		/* sub-domain = Let-dig [Ldh-str], or U-labels (RFC 6531) */
		const char *label = p;
		size_t n;

		while (p < end) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
			    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-')
				p++;
			else if ((n = utf8_ok(p, end, flags)) > 0)
				p += n;
			else
				break;
		}
		if (p == label || *label == '-' || p[-1] == '-')
			return NULL;
		if (p < end && *p == '.' && p + 1 < end && p[1] != '>') {
			p++;
			continue;
		}
		return p;
	}
}

int
mime_path_parse(const char *s, size_t len, int flags, struct mime_path *out,
    size_t *used_out, const char **errstr_out)
{
	const char *p = s, *end = s + len, *lp, *le, *d;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (p == end || *p != '<')
		return path_fail("path: expected '<'", errstr_out);
	p++;
	if (p < end && *p == '>') {
		if (!(flags & MIME_PATH_NULL_OK))
			return path_fail("path: null path not allowed here",
			    errstr_out);
		out->is_null = 1;
		*used_out = 2;
		return 0;
	}
	/* RFC 5321 §4.1.2 A-d-l: a source route, accepted and ignored. */
	if (p < end && *p == '@') {
		while (p < end && *p == '@') {
			if ((p = path_domain(p + 1, end, flags)) == NULL)
				return path_fail("path: bad source route",
				    errstr_out);
			if (p < end && *p == ',')
				p++;
		}
		if (p == end || *p != ':')
			return path_fail("path: bad source route", errstr_out);
		p++;
	}
	lp = p;
	if (p < end && *p == '"') {
		/* Quoted-string: qtextSMTP and quoted-pairSMTP. */
		out->quoted = 1;
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\') {
				if (++p == end || *p < 32 || *p > 126)
					return path_fail("path: bad quoted pair",
					    errstr_out);
			} else if ((n = utf8_ok(p, end, flags)) > 0)
				p += n - 1;
			else if (*p < 32 || *p > 126)
				return path_fail("path: bad character in "
				    "quoted local part", errstr_out);
		}
		if (p == end)
			return path_fail("path: unterminated quote",
			    errstr_out);
		p++;
	} else {
		/* Dot-string = Atom *("." Atom) */
		for (;;) {
			const char *atom = p;

			while (p < end) {
				if ((unsigned char)*p < 0x80 && is_atext(*p))
					p++;
				else if ((n = utf8_ok(p, end, flags)) > 0)
					p += n;
				else
					break;
			}
			if (p == atom)
				return path_fail("path: bad local part",
				    errstr_out);
			if (p < end && *p == '.') {
				p++;
				continue;
			}
			break;
		}
	}
	le = p;
	if (p < end && *p == '>' && (flags & MIME_PATH_POSTMASTER_OK) &&
	    le - lp == 10 && strncasecmp(lp, "postmaster", 10) == 0) {
		/* RFC 5321 §4.1.1.3: RCPT TO:<Postmaster> */
		memcpy(out->local, lp, 10);
		*used_out = p + 1 - s;
		return 0;
	}
	if (p == end || *p != '@')
		return path_fail("path: expected '@'", errstr_out);
	d = ++p;
	if ((p = path_domain(p, end, flags)) == NULL)
		return path_fail("path: bad domain", errstr_out);
	if (p == end || *p != '>')
		return path_fail("path: expected '>'", errstr_out);
	if ((size_t)(p + 1 - s) > MIME_PATH_MAX)
		return path_fail("path: too long", errstr_out);
	if ((size_t)(p - d) > MIME_PATH_DOMAIN_MAX)
		return path_fail("path: domain too long", errstr_out);
	memcpy(out->local, lp, le - lp);
	memcpy(out->domain, d, p - d);
	*used_out = p + 1 - s;
	return 0;
}
