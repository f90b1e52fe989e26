/*
 * args.c: walking a command's arguments: astrings, flag lists, sequence
 * sets (RFC 3501 §9 "sequence-set", "flag-list"). Pure; run by the imap
 * role process.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd-private.h"
#include "lib/util.h"

#define SEQSET_RANGES_MAX	100000

const struct imapd_tok *
arg_peek(const struct imapd_cmdctx *c)
{
	return c->pos < c->nargs ? &c->args[c->pos] : NULL;
}

const struct imapd_tok *
arg_next(struct imapd_cmdctx *c)
{
	return c->pos < c->nargs ? &c->args[c->pos++] : NULL;
}

bool
arg_end(const struct imapd_cmdctx *c)
{
	return c->pos >= c->nargs;
}

int
arg_astring(struct imapd_cmdctx *c, char *out, size_t outlen)
{
	const struct imapd_tok *t = arg_next(c);

	if (t == NULL || !imapd_tok_is_astring(t) || t->len >= outlen ||
	    memchr(t->s, '\0', t->len) != NULL)
		return -1;
	memcpy(out, t->s, t->len);
	out[t->len] = '\0';
	return 0;
}

static const struct {
	const char	*name;
	unsigned	 flag;
} sysflags[] = {
	{ "\\Answered",	STORE_FLAG_ANSWERED },
	{ "\\Flagged",	STORE_FLAG_FLAGGED },
	{ "\\Deleted",	STORE_FLAG_DELETED },
	{ "\\Seen",	STORE_FLAG_SEEN },
	{ "\\Draft",	STORE_FLAG_DRAFT },
	{ "$Forwarded",	STORE_FLAG_FORWARDED },
};

/* RFC 3501 §9: flag-keyword = atom; our keywords avoid list syntax. */
static bool
keyword_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return false;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= 0x20 || ch >= 0x7f || strchr("(){%*\"\\]", ch))
			return false;
	}
	return true;
}

int
flag_parse(const char *s, unsigned *flags, struct buf *kw)
{
	size_t i;

	for (i = 0; i < nitems(sysflags); i++)
		if (strcasecmp(s, sysflags[i].name) == 0) {
			*flags |= sysflags[i].flag;
			return 0;
		}
	if (strcasecmp(s, "\\Recent") == 0)
		return 0;	/* §6.4.6: cannot be set; ignore */
	if (!keyword_ok(s))
		return -1;
	if (kw != NULL) {
		/* keep the list free of duplicates */
		const char *p = buf_cstr(kw);
		size_t len = strlen(s);

		while ((p = strstr(p, s)) != NULL) {
			if ((p == buf_cstr(kw) || p[-1] == ' ') &&
			    (p[len] == ' ' || p[len] == '\0'))
				return 0;
			p += len;
		}
		if ((kw->len > 0 && buf_putc(kw, ' ') == -1) ||
		    buf_puts(kw, s) == -1)
			return -1;
	}
	return 0;
}

int
arg_flags(struct imapd_cmdctx *c, unsigned *flags_out, struct buf *kw)
{
	const struct imapd_tok *t = arg_next(c);

	*flags_out = 0;
	if (t == NULL)
		return -1;
	if (t->type == IMAPD_TOK_ATOM)
		return flag_parse(t->s, flags_out, kw);
	if (t->type != IMAPD_TOK_LIST_START)
		return -1;
	while ((t = arg_next(c)) != NULL && t->type != IMAPD_TOK_LIST_END)
		if (t->type != IMAPD_TOK_ATOM ||
		    flag_parse(t->s, flags_out, kw) == -1)
			return -1;
	return t == NULL ? -1 : 0;
}

void
flags_format(struct buf *b, unsigned flags, const char *keywords,
    bool recent)
{
	size_t i;
	bool sp = false;

	buf_putc(b, '(');
	for (i = 0; i < nitems(sysflags); i++)
		if (flags & sysflags[i].flag) {
			if (sp)
				buf_putc(b, ' ');
			buf_puts(b, sysflags[i].name);
			sp = true;
		}
	if (recent) {
		if (sp)
			buf_putc(b, ' ');
		buf_puts(b, "\\Recent");
		sp = true;
	}
	if (keywords != NULL && *keywords != '\0') {
		if (sp)
			buf_putc(b, ' ');
		buf_puts(b, keywords);
	}
	buf_putc(b, ')');
}

/* seq-number = nz-number / "*" */
static int
seqnum(const char **sp, uint32_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s == '*') {
		*out = SEQ_STAR;
		*sp = s + 1;
		return 0;
	}
	if (*s < '1' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	*sp = s;
	return 0;
}

int
seqset_parse(const char *s, struct imapd_seqset *set)
{
	size_t cap = 0;

	set->r = NULL;
	set->n = 0;
	for (;;) {
		uint32_t lo, hi;

		if (seqnum(&s, &lo) == -1)
			goto bad;
		hi = lo;
		if (*s == ':') {
			s++;
			if (seqnum(&s, &hi) == -1)
				goto bad;
		}
		if (lo > hi) {
			uint32_t t = lo;

			lo = hi;
			hi = t;
		}
		if (set->n == SEQSET_RANGES_MAX)
			goto bad;
		if (set->n == cap) {
			cap = cap ? cap * 2 : 4;
			set->r = xreallocarray(set->r, cap, sizeof(*set->r));
		}
		set->r[set->n].lo = lo;
		set->r[set->n].hi = hi;
		set->n++;
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			goto bad;
	}
bad:
	seqset_free(set);
	return -1;
}

void
seqset_free(struct imapd_seqset *set)
{
	free(set->r);
	set->r = NULL;
	set->n = 0;
}

bool
seqset_has(const struct imapd_seqset *set, uint32_t v, uint32_t star)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		uint32_t lo = set->r[i].lo, hi = set->r[i].hi;

		/* "*" is the largest number in use (§9 seq-number). */
		if (lo == SEQ_STAR)
			lo = star;
		if (hi == SEQ_STAR)
			hi = star;
		if (lo > hi) {
			uint32_t t = lo;

			lo = hi;
			hi = t;
		}
		if (v >= lo && v <= hi)
			return true;
	}
	return false;
}

static int
range_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

void
seqset_resolve(const struct imapd_seqset *in, uint32_t star,
    struct imapd_seqset *out)
{
	size_t i, n = 0;

	out->r = xcalloc(in->n + 1, sizeof(*out->r));
	for (i = 0; i < in->n; i++) {
		uint32_t lo = in->r[i].lo, hi = in->r[i].hi;

		lo = lo == SEQ_STAR ? star : lo;
		hi = hi == SEQ_STAR ? star : hi;
		out->r[i].lo = lo < hi ? lo : hi;
		out->r[i].hi = lo < hi ? hi : lo;
	}
	if (in->n > 1)
		qsort(out->r, in->n, sizeof(*out->r), range_cmp);
	for (i = 0; i < in->n; i++) {
		if (n > 0 && (uint64_t)out->r[i].lo <=
		    (uint64_t)out->r[n - 1].hi + 1) {
			if (out->r[i].hi > out->r[n - 1].hi)
				out->r[n - 1].hi = out->r[i].hi;
			continue;
		}
		out->r[n++] = out->r[i];
	}
	out->n = n;
}

bool
seqset_in(const struct imapd_seqset *set, uint32_t v)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v < set->r[mid].lo)
			hi = mid;
		else if (v > set->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

void
uidset_format(struct buf *b, const uint32_t *uids, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (i > 0)
			buf_putc(b, ',');
		if (j == i)
			buf_printf(b, "%u", uids[i]);
		else
			buf_printf(b, "%u:%u", uids[i], uids[j]);
		i = j + 1;
	}
}
