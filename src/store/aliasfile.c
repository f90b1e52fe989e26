/*
 * aliasfile.c: aliases(5) parsing (see aliasfile.h). Runs in posternctl.
 */
#include "store/aliasfile.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"

struct store_aliasfile {
	const char	*text;
	size_t		 len;
	size_t		 off;		/* start of the next physical line */
	unsigned	 lineno;	/* lines consumed so far */
	unsigned	 entry_line;
	enum store_aliasfile_mode mode;
	struct buf	 logical;	/* the logical line, then its pieces */
	struct store_aliasfile_target *targets;
	size_t		 ntargets;
	struct store_aliasfile_entry entry;
};

struct store_aliasfile *
store_aliasfile_new(const char *text, size_t len,
    enum store_aliasfile_mode mode)
{
	struct store_aliasfile *p = xcalloc(1, sizeof(*p));

	p->text = text;
	p->len = len;
	p->mode = mode;
	buf_init(&p->logical, STORE_ALIASFILE_LINE_MAX);
	return p;
}

void
store_aliasfile_free(struct store_aliasfile **pp)
{
	struct store_aliasfile *p = *pp;

	if (p == NULL)
		return;
	buf_free(&p->logical);
	free(p->targets);
	free(p);
	*pp = NULL;
}

unsigned
store_aliasfile_line(const struct store_aliasfile *p)
{
	return p->entry_line;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next physical line [*s, *s + *n) without its LF (or CRLF). */
static bool
physical(struct store_aliasfile *p, const char **s, size_t *n)
{
	const char *nl;
	size_t l;

	if (p->off >= p->len)
		return false;
	*s = p->text + p->off;
	nl = memchr(*s, '\n', p->len - p->off);
	l = nl ? (size_t)(nl - *s) : p->len - p->off;
	p->off += l + (nl ? 1 : 0);
	if (l > 0 && (*s)[l - 1] == '\r')
		l--;
	*n = l;
	p->lineno++;
	return true;
}

/* Whether a physical line holds only blanks or is a comment. */
static bool
ignorable(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_blank(s[i]))
		i++;
	return i == n || s[i] == '#';
}

/*
 * Joins the next logical line into p->logical: 1, 0 at the end, -1 too
 * long. In ALIASES mode a line starting with a blank continues the one
 * before; the line break counts as a comma when the text before it does
 * not already end in one. In LIST mode every line stands alone.
 */
static int
logical_line(struct store_aliasfile *p)
{
	const char *s;
	size_t n, save_off, l;
	unsigned save_line;
	int toolong = 0;

	buf_reset(&p->logical);
	do {
		if (!physical(p, &s, &n))
			return 0;
	} while (ignorable(s, n));
	p->entry_line = p->lineno;
	if (buf_append(&p->logical, s, n) == -1)
		toolong = 1;
	while (p->mode == STORE_ALIASFILE_ALIASES) {
		save_off = p->off;
		save_line = p->lineno;
		if (!physical(p, &s, &n))
			break;
		/* Comments and blank lines may sit between continuations. */
		if (n > 0 && !is_blank(s[0]) && s[0] != '#') {
			p->off = save_off;
			p->lineno = save_line;
			break;
		}
		if (ignorable(s, n))
			continue;
		l = p->logical.len;
		while (l > 0 && is_blank(p->logical.data[l - 1]))
			l--;
		if ((l > 0 && p->logical.data[l - 1] != ',' &&
		    p->logical.data[l - 1] != ':' &&
		    buf_putc(&p->logical, ',') == -1) ||
		    buf_append(&p->logical, s, n) == -1)
			toolong = 1;
	}
	return toolong ? -1 : 1;
}

/* Trims blanks off [*s, *e). */
static void
trim(char **s, char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

/*
 * Unquotes [s, e) in place into a NUL-terminated string: a "..." span
 * loses its quotes and a backslash inside it escapes the next byte.
 */
static int
unquote(char *s, char *e, const char **errstr_out)
{
	char *o = s;
	bool q = false;

	for (char *c = s; c < e; c++) {
		if (*c == '"') {
			q = !q;
			continue;
		}
		if (q && *c == '\\' && c + 1 < e)
			c++;
		*o++ = *c;
	}
	if (q) {
		*errstr_out = "unterminated quote";
		return -1;
	}
	*o = '\0';
	return 0;
}

static int
add_target(struct store_aliasfile *p, char *s, char *e,
    const char **errstr_out)
{
	struct store_aliasfile_target *t;
	bool quoted;

	trim(&s, &e);
	if (s == e) {
		*errstr_out = "empty target";
		return -1;
	}
	quoted = *s == '"';
	if (unquote(s, e, errstr_out) == -1)
		return -1;
	if (s[0] == '\0') {
		*errstr_out = "empty target";
		return -1;
	}
	if (p->ntargets >= STORE_ALIASFILE_TARGETS_MAX) {
		*errstr_out = "too many targets";
		return -1;
	}
	p->targets = xreallocarray(p->targets, p->ntargets + 1,
	    sizeof(*p->targets));
	t = &p->targets[p->ntargets++];
	t->value = s;
	t->type = STORE_TARGET_ADDRESS;
	if (s[0] == '|')
		t->type = STORE_TARGET_PIPE;
	else if (s[0] == '/')
		t->type = STORE_TARGET_FILE;
	else if (!quoted && strncmp(s, ":include:", 9) == 0) {
		t->type = STORE_TARGET_INCLUDE;
		t->value = s + 9;
		while (is_blank(*t->value))
			t->value++;
		if (*t->value == '\0') {
			*errstr_out = ":include: without a file";
			return -1;
		}
	}
	return 0;
}

/* Splits [s, e) at commas outside quotes. */
static int
split_targets(struct store_aliasfile *p, char *s, char *e,
    const char **errstr_out)
{
	char *start = s;
	bool q = false;

	p->ntargets = 0;
	for (char *c = s; c <= e; c++) {
		if (c < e && *c == '"')
			q = !q;
		else if (c < e && q && *c == '\\' && c + 1 < e)
			c++;
		else if (c == e || (!q && *c == ',')) {
			/* A trailing comma before the end is tolerated. */
			char *a = start, *b = c;
			trim(&a, &b);
			if (!(c == e && a == b && p->ntargets > 0) &&
			    add_target(p, start, c, errstr_out) == -1)
				return -1;
			start = c + 1;
		}
	}
	if (q) {
		*errstr_out = "unterminated quote";
		return -1;
	}
	return 0;
}

int
store_aliasfile_next(struct store_aliasfile *p,
    const struct store_aliasfile_entry **entry_out, const char **errstr_out)
{
	char *s, *e, *colon, *ns, *ne;
	bool q = false;
	int r;

	if ((r = logical_line(p)) == 0)
		return 0;
	if (r == -1) {
		*errstr_out = "line too long";
		return -1;
	}
	s = p->logical.data;
	e = s + p->logical.len;
	if (memchr(s, '\0', p->logical.len) != NULL) {
		*errstr_out = "NUL byte in line";
		return -1;
	}
	p->entry.name = NULL;
	if (p->mode == STORE_ALIASFILE_ALIASES) {
		for (colon = s; colon < e; colon++) {
			if (*colon == '"')
				q = !q;
			else if (!q && *colon == ':')
				break;
		}
		if (colon == e) {
			*errstr_out = "missing ':' after the alias name";
			return -1;
		}
		ns = s;
		ne = colon;
		trim(&ns, &ne);
		if (ns == ne) {
			*errstr_out = "empty alias name";
			return -1;
		}
		if (unquote(ns, ne, errstr_out) == -1)
			return -1;
		if (ns[0] == '\0') {
			*errstr_out = "empty alias name";
			return -1;
		}
		p->entry.name = ns;
		s = colon + 1;
	}
	if (split_targets(p, s, e, errstr_out) == -1)
		return -1;
	p->entry.targets = p->targets;
	p->entry.ntargets = p->ntargets;
	p->entry.line = p->entry_line;
	*entry_out = &p->entry;
	return 1;
}
