/*
 * fetch-parse.c: FETCH attribute parsing (RFC 3501 §6.4.5, §9 fetch-att
 * and section; RFC 7162 §3.1.4 CHANGEDSINCE). Pure; run by the imap role
 * process.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/fetch.h"
#include "imapd/imapd-private.h"
#include "lib/util.h"

bool
imapd_fetch_has(const struct imapd_fetch *f, enum imapd_fitem_kind kind)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->items[i].kind == kind)
			return true;
	return false;
}

int
imapd_fetch_add(struct imapd_fetch *f, enum imapd_fitem_kind kind)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->items[i].kind == kind && kind != IMAPD_FI_SECTION &&
		    kind != IMAPD_FI_BINARY && kind != IMAPD_FI_BINARY_SIZE)
			return 0;
	if (f->n == IMAPD_FETCH_ITEMS_MAX)
		return -1;
	memset(&f->items[f->n], 0, sizeof(f->items[0]));
	f->items[f->n++].kind = kind;
	return 0;
}

/* section-spec (§9): [part *("." part)] ["." ] msgtext, MIME needs a
 * part; HEADER.FIELDS[.NOT] takes a parenthesised list. */
bool
imapd_fetch_spec_ok(const char *s)
{
	bool part = false;

	while (*s >= '1' && *s <= '9') {
		while (*s >= '0' && *s <= '9')
			s++;
		part = true;
		if (*s != '.')
			return *s == '\0';
		s++;
		if (*s < '1' || *s > '9')
			break;
	}
	if (*s == '\0')
		return !part;	/* "1." is not a section */
	if (strcasecmp(s, "HEADER") == 0 || strcasecmp(s, "TEXT") == 0)
		return true;
	if (strcasecmp(s, "MIME") == 0)
		return part;
	if (strncasecmp(s, "HEADER.FIELDS.NOT (", 19) == 0)
		s += 19;
	else if (strncasecmp(s, "HEADER.FIELDS (", 15) == 0)
		s += 15;
	else
		return false;
	return strlen(s) >= 2 && s[strlen(s) - 1] == ')';
}

/* BODY[...]<o.n> or BODY.PEEK[...]<o.n> */
/* section-binary (RFC 3516 §4.2): part numbers only, or nothing. */
static bool
binary_spec_ok(const char *s)
{
	while (*s != '\0') {
		if (*s < '1' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s == '.' && s[1] == '\0')
			return false;
		if (*s == '.')
			s++;
	}
	return true;
}

/* BODY[...]<o.n>, BODY.PEEK[...]<o.n>, BINARY[...]<o.n>,
 * BINARY.PEEK[...]<o.n>, BINARY.SIZE[...] */
static int
parse_section(struct imapd_fetch *f, const char *a)
{
	const char *lb = strchr(a, '['), *rb = strrchr(a, ']');
	enum imapd_fitem_kind kind = IMAPD_FI_SECTION;
	struct imapd_fitem *it;
	size_t plen;
	bool peek = false;
	char *end;

	if (lb == NULL || rb == NULL || rb < lb ||
	    (size_t)(rb - lb - 1) >= IMAPD_SECTION_MAX)
		return -1;
	plen = (size_t)(lb - a);
	if (plen == 9 && strncasecmp(a, "BODY.PEEK", 9) == 0)
		peek = true;
	else if (plen == 4 && strncasecmp(a, "BODY", 4) == 0)
		;
	else if (plen == 11 && strncasecmp(a, "BINARY.PEEK", 11) == 0) {
		kind = IMAPD_FI_BINARY;
		peek = true;
	} else if (plen == 6 && strncasecmp(a, "BINARY", 6) == 0)
		kind = IMAPD_FI_BINARY;
	else if (plen == 11 && strncasecmp(a, "BINARY.SIZE", 11) == 0) {
		kind = IMAPD_FI_BINARY_SIZE;
		peek = true;
	} else
		return -1;
	if (imapd_fetch_add(f, kind) == -1)
		return -1;
	it = &f->items[f->n - 1];
	it->peek = peek;
	memcpy(it->spec, lb + 1, (size_t)(rb - lb - 1));
	it->spec[rb - lb - 1] = '\0';
	if (kind == IMAPD_FI_SECTION ? !imapd_fetch_spec_ok(it->spec) :
	    !binary_spec_ok(it->spec))
		return -1;
	a = rb + 1;
	if (*a == '<' && kind != IMAPD_FI_BINARY_SIZE) {
		it->partial = true;
		it->off = strtoull(a + 1, &end, 10);
		if (end == a + 1 || *end != '.')
			return -1;
		a = end + 1;
		it->len = strtoull(a, &end, 10);
		if (end == a || *end != '>' || end[1] != '\0' || it->len == 0)
			return -1;
	} else if (*a != '\0')
		return -1;
	if (it->spec[0] != '\0')
		f->need_tree = true;
	f->need_msg = true;
	if (!it->peek)
		f->sets_seen = true;
	return 0;
}

static int
parse_item(struct imapd_fetch *f, const char *a)
{
	static const struct {
		const char	*name;
		enum imapd_fitem_kind	 kind;
	} simple[] = {
		{ "FLAGS", IMAPD_FI_FLAGS }, { "INTERNALDATE", IMAPD_FI_INTERNALDATE },
		{ "RFC822.SIZE", IMAPD_FI_SIZE }, { "ENVELOPE", IMAPD_FI_ENVELOPE },
		{ "BODY", IMAPD_FI_BODY }, { "BODYSTRUCTURE", IMAPD_FI_BODYSTRUCTURE },
		{ "UID", IMAPD_FI_UID }, { "MODSEQ", IMAPD_FI_MODSEQ },
		{ "RFC822", IMAPD_FI_RFC822 }, { "RFC822.HEADER", IMAPD_FI_RFC822_HEADER },
		{ "RFC822.TEXT", IMAPD_FI_RFC822_TEXT },
	};
	size_t i;

	/* §6.4.5 macros */
	if (strcasecmp(a, "ALL") == 0)
		return imapd_fetch_add(f, IMAPD_FI_FLAGS) | imapd_fetch_add(f, IMAPD_FI_INTERNALDATE) |
		    imapd_fetch_add(f, IMAPD_FI_SIZE) | imapd_fetch_add(f, IMAPD_FI_ENVELOPE);
	if (strcasecmp(a, "FAST") == 0)
		return imapd_fetch_add(f, IMAPD_FI_FLAGS) | imapd_fetch_add(f, IMAPD_FI_INTERNALDATE) |
		    imapd_fetch_add(f, IMAPD_FI_SIZE);
	if (strcasecmp(a, "FULL") == 0)
		return imapd_fetch_add(f, IMAPD_FI_FLAGS) | imapd_fetch_add(f, IMAPD_FI_INTERNALDATE) |
		    imapd_fetch_add(f, IMAPD_FI_SIZE) | imapd_fetch_add(f, IMAPD_FI_ENVELOPE) | imapd_fetch_add(f, IMAPD_FI_BODY);
	if (strchr(a, '[') != NULL)
		return parse_section(f, a);
	for (i = 0; i < nitems(simple); i++) {
		if (strcasecmp(a, simple[i].name) != 0)
			continue;
		switch (simple[i].kind) {
		case IMAPD_FI_RFC822:
		case IMAPD_FI_RFC822_TEXT:
			f->sets_seen = true;
			f->need_tree = true;
			f->need_msg = true;
			break;
		case IMAPD_FI_RFC822_HEADER:
			f->need_tree = true;
			f->need_msg = true;
			break;
		case IMAPD_FI_MODSEQ:
			f->modseq = true;
			break;
		default:
			break;
		}
		return imapd_fetch_add(f, simple[i].kind);
	}
	return -1;
}

int
imapd_fetch_parse_args(struct imapd_cmdctx *c, struct imapd_fetch *f)
{
	const struct imapd_tok *t = arg_next(c);

	if (t == NULL)
		return -1;
	if (t->type == IMAPD_TOK_ATOM) {
		if (parse_item(f, t->s) == -1)
			return -1;
	} else if (t->type == IMAPD_TOK_LIST_START) {
		while ((t = arg_next(c)) != NULL &&
		    t->type != IMAPD_TOK_LIST_END)
			if (t->type != IMAPD_TOK_ATOM ||
			    parse_item(f, t->s) == -1)
				return -1;
		if (t == NULL || f->n == 0)
			return -1;
	} else
		return -1;
	/* RFC 7162 §3.1.4: (CHANGEDSINCE modseq) */
	if ((t = arg_next(c)) != NULL) {
		if (t->type != IMAPD_TOK_LIST_START ||
		    (t = arg_next(c)) == NULL ||
		    !imapd_tok_is(t, "CHANGEDSINCE") ||
		    (t = arg_next(c)) == NULL || t->type != IMAPD_TOK_ATOM)
			return -1;
		f->changedsince = strtoull(t->s, NULL, 10);
		f->modseq = true;
		if ((t = arg_next(c)) == NULL ||
		    t->type != IMAPD_TOK_LIST_END || !arg_end(c))
			return -1;
	}
	return 0;
}


int
imapd_fetch_parse(const struct imapd_tok *toks, size_t n,
    struct imapd_fetch *f)
{
	struct imapd_cmdctx c;

	memset(&c, 0, sizeof(c));
	c.args = toks;
	c.nargs = n;
	memset(f, 0, sizeof(*f));
	return imapd_fetch_parse_args(&c, f);
}

void
imapd_fetch_partial(const struct imapd_fitem *it, const char **data,
    size_t *len)
{
	if (!it->partial)
		return;
	if (it->off >= *len) {
		*len = 0;
		return;
	}
	*data += it->off;
	*len -= (size_t)it->off;
	if (*len > it->len)
		*len = (size_t)it->len;
}
