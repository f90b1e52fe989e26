/*
 * search.c: SEARCH key parser and matcher (RFC 3501 §6.4.4; RFC 7162
 * §3.1.5 MODSEQ). Pure apart from the caller's load callback; run by the
 * imap role process. See search.h.
 */
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wctype.h>

#include "imapd/imapd-private.h"
#include "imapd/search.h"
#include "lib/util.h"
#include "mime/charset.h"
#include "mime/date.h"
#include "mime/rfc2047.h"
#include "mime/tree.h"

#define TEXT_MAX	(STORE_MSG_MAX * 2)

enum skind {
	SK_ALL, SK_AND, SK_OR, SK_NOT, SK_SEQ, SK_UID, SK_FLAG, SK_UNFLAG,
	SK_KEYWORD, SK_UNKEYWORD, SK_NEW, SK_OLD, SK_RECENT, SK_BEFORE, SK_ON,
	SK_SINCE, SK_SENTBEFORE, SK_SENTON, SK_SENTSINCE, SK_LARGER,
	SK_SMALLER, SK_HEADER, SK_BODY, SK_TEXT, SK_MODSEQ,
};

struct snode {
	enum skind	 kind;
	size_t		 child, next;	/* indexes, or SIZE_MAX */
	unsigned	 flag;
	int64_t		 day;		/* days since 1970-01-01 */
	uint64_t	 num;
	char		*field;		/* HEADER name */
	char		*str;		/* keyword, or folded needle */
	struct imapd_seqset set;
	struct imapd_seqset rset;	/* set resolved for rstar */
	uint32_t	 rstar;
};

struct imapd_search {
	struct snode	*nodes;
	size_t		 n;
	bool		 modseq;
	/* per-message cache */
	const struct imapd_search_msg *cur;
	bool		 loaded;
	const char	*data;
	size_t		 len;
	struct mime_tree *tree;
	struct buf	 hdr, body;	/* folded decoded text */
	bool		 hdr_done, body_done;
};

struct sparser {
	const struct imapd_tok *t;
	size_t		 n, pos;
	struct imapd_search *s;
	const char	*err;
};

static size_t
node_new(struct sparser *p, enum skind kind)
{
	struct snode *nd;

	if (p->s->n == SEARCH_NODES_MAX)
		return SIZE_MAX;
	p->s->nodes = xreallocarray(p->s->nodes, p->s->n + 1,
	    sizeof(*p->s->nodes));
	nd = &p->s->nodes[p->s->n];
	memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	nd->child = nd->next = SIZE_MAX;
	return p->s->n++;
}

static const struct imapd_tok *
next_tok(struct sparser *p)
{
	return p->pos < p->n ? &p->t[p->pos++] : NULL;
}

static const char *
next_string(struct sparser *p)
{
	const struct imapd_tok *t = next_tok(p);

	if (t == NULL || !imapd_tok_is_astring(t))
		return NULL;
	return t->s;
}

/* date = d-Mon-yyyy (§9 "date"), quotes already removed. */
static int
parse_date(const char *s, int64_t *day)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned d = 0, m, y = 0, i;

	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 2; i++)
		d = d * 10 + (unsigned)(s[i] - '0');
	if (i == 0 || s[i] != '-' || d < 1 || d > 31)
		return -1;
	s += i + 1;
	for (m = 0; m < 12; m++)
		if (strncasecmp(s, months + m * 3, 3) == 0)
			break;
	if (m == 12 || s[3] != '-')
		return -1;
	s += 4;
	for (i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		y = y * 10 + (unsigned)(s[i] - '0');
	}
	if (s[4] != '\0')
		return -1;
	*day = mime_days_from_civil(y, m + 1, d);
	return 0;
}

static size_t parse_key(struct sparser *p, unsigned depth);

/* Keys until the end or a ')' become the children of an AND node. */
static size_t
parse_list(struct sparser *p, unsigned depth, bool paren)
{
	size_t and = node_new(p, SK_AND), last = SIZE_MAX, k;

	if (and == SIZE_MAX)
		return SIZE_MAX;
	for (;;) {
		if (p->pos >= p->n) {
			if (paren) {
				p->err = "Missing )";
				return SIZE_MAX;
			}
			break;
		}
		if (p->t[p->pos].type == IMAPD_TOK_LIST_END) {
			if (!paren) {
				p->err = "Unexpected )";
				return SIZE_MAX;
			}
			p->pos++;
			break;
		}
		if ((k = parse_key(p, depth + 1)) == SIZE_MAX)
			return SIZE_MAX;
		if (last == SIZE_MAX)
			p->s->nodes[and].child = k;
		else
			p->s->nodes[last].next = k;
		last = k;
	}
	if (last == SIZE_MAX) {
		p->err = "Empty search key list";
		return SIZE_MAX;
	}
	return and;
}

static const struct {
	const char	*name;
	enum skind	 kind;
	unsigned	 flag;
} simple_keys[] = {
	{ "ALL", SK_ALL, 0 },
	{ "ANSWERED", SK_FLAG, STORE_FLAG_ANSWERED },
	{ "DELETED", SK_FLAG, STORE_FLAG_DELETED },
	{ "DRAFT", SK_FLAG, STORE_FLAG_DRAFT },
	{ "FLAGGED", SK_FLAG, STORE_FLAG_FLAGGED },
	{ "SEEN", SK_FLAG, STORE_FLAG_SEEN },
	{ "UNANSWERED", SK_UNFLAG, STORE_FLAG_ANSWERED },
	{ "UNDELETED", SK_UNFLAG, STORE_FLAG_DELETED },
	{ "UNDRAFT", SK_UNFLAG, STORE_FLAG_DRAFT },
	{ "UNFLAGGED", SK_UNFLAG, STORE_FLAG_FLAGGED },
	{ "UNSEEN", SK_UNFLAG, STORE_FLAG_SEEN },
	{ "NEW", SK_NEW, 0 },
	{ "OLD", SK_OLD, 0 },
	{ "RECENT", SK_RECENT, 0 },
};

static const struct {
	const char	*name;
	enum skind	 kind;
} date_keys[] = {
	{ "BEFORE", SK_BEFORE }, { "ON", SK_ON }, { "SINCE", SK_SINCE },
	{ "SENTBEFORE", SK_SENTBEFORE }, { "SENTON", SK_SENTON },
	{ "SENTSINCE", SK_SENTSINCE },
};

static size_t
text_key(struct sparser *p, enum skind kind, const char *field)
{
	const char *str;
	size_t k;
	struct buf b;

	if ((str = next_string(p)) == NULL) {
		p->err = "Missing search string";
		return SIZE_MAX;
	}
	if ((k = node_new(p, kind)) == SIZE_MAX)
		return SIZE_MAX;
	buf_init(&b, 1 << 20);
	imapd_search_fold(str, strlen(str), &b);
	p->s->nodes[k].str = buf_steal(&b, NULL);
	if (p->s->nodes[k].str == NULL)
		p->s->nodes[k].str = xstrdup("");
	if (field != NULL)
		p->s->nodes[k].field = xstrdup(field);
	return k;
}

static size_t
parse_key(struct sparser *p, unsigned depth)
{
	const struct imapd_tok *t;
	const char *a, *str;
	size_t k, i;

	if (depth > SEARCH_DEPTH_MAX) {
		p->err = "Search too deeply nested";
		return SIZE_MAX;
	}
	if ((t = next_tok(p)) == NULL) {
		p->err = "Missing search key";
		return SIZE_MAX;
	}
	if (t->type == IMAPD_TOK_LIST_START)
		return parse_list(p, depth, true);
	if (t->type != IMAPD_TOK_ATOM) {
		p->err = "Invalid search key";
		return SIZE_MAX;
	}
	a = t->s;
	for (i = 0; i < nitems(simple_keys); i++)
		if (strcasecmp(a, simple_keys[i].name) == 0) {
			if ((k = node_new(p, simple_keys[i].kind)) != SIZE_MAX)
				p->s->nodes[k].flag = simple_keys[i].flag;
			return k;
		}
	for (i = 0; i < nitems(date_keys); i++)
		if (strcasecmp(a, date_keys[i].name) == 0) {
			int64_t day;

			if ((str = next_string(p)) == NULL ||
			    parse_date(str, &day) == -1) {
				p->err = "Invalid date";
				return SIZE_MAX;
			}
			if ((k = node_new(p, date_keys[i].kind)) != SIZE_MAX)
				p->s->nodes[k].day = day;
			return k;
		}
	if (strcasecmp(a, "NOT") == 0) {
		size_t c;

		if ((k = node_new(p, SK_NOT)) == SIZE_MAX ||
		    (c = parse_key(p, depth + 1)) == SIZE_MAX)
			return SIZE_MAX;
		p->s->nodes[k].child = c;
		return k;
	}
	if (strcasecmp(a, "OR") == 0) {
		size_t c1, c2;

		if ((k = node_new(p, SK_OR)) == SIZE_MAX ||
		    (c1 = parse_key(p, depth + 1)) == SIZE_MAX ||
		    (c2 = parse_key(p, depth + 1)) == SIZE_MAX)
			return SIZE_MAX;
		p->s->nodes[k].child = c1;
		p->s->nodes[c1].next = c2;
		return k;
	}
	if (strcasecmp(a, "KEYWORD") == 0 || strcasecmp(a, "UNKEYWORD") == 0) {
		bool un = a[0] == 'U' || a[0] == 'u';

		if ((str = next_string(p)) == NULL) {
			p->err = "Missing keyword";
			return SIZE_MAX;
		}
		if ((k = node_new(p, un ? SK_UNKEYWORD : SK_KEYWORD)) ==
		    SIZE_MAX)
			return SIZE_MAX;
		/* "$Forwarded" is kept as a flag bit by the store. */
		if (strcasecmp(str, "$Forwarded") == 0) {
			p->s->nodes[k].kind = un ? SK_UNFLAG : SK_FLAG;
			p->s->nodes[k].flag = STORE_FLAG_FORWARDED;
		} else
			p->s->nodes[k].str = xstrdup(str);
		return k;
	}
	if (strcasecmp(a, "LARGER") == 0 || strcasecmp(a, "SMALLER") == 0 ||
	    strcasecmp(a, "MODSEQ") == 0) {
		enum skind kind = (a[0] == 'L' || a[0] == 'l') ? SK_LARGER :
		    (a[0] == 'S' || a[0] == 's') ? SK_SMALLER : SK_MODSEQ;
		char *end;

		if (kind == SK_MODSEQ && p->pos + 2 < p->n &&
		    p->t[p->pos].type == IMAPD_TOK_QUOTED)
			p->pos += 2;	/* entry-name entry-type-req */
		if ((t = next_tok(p)) == NULL || t->type != IMAPD_TOK_ATOM ||
		    t->s[0] < '0' || t->s[0] > '9') {
			p->err = "Invalid number";
			return SIZE_MAX;
		}
		if ((k = node_new(p, kind)) == SIZE_MAX)
			return SIZE_MAX;
		p->s->nodes[k].num = strtoull(t->s, &end, 10);
		if (*end != '\0') {
			p->err = "Invalid number";
			return SIZE_MAX;
		}
		if (kind == SK_MODSEQ)
			p->s->modseq = true;
		return k;
	}
	if (strcasecmp(a, "UID") == 0) {
		if ((t = next_tok(p)) == NULL || t->type != IMAPD_TOK_ATOM ||
		    (k = node_new(p, SK_UID)) == SIZE_MAX ||
		    seqset_parse(t->s, &p->s->nodes[k].set) == -1) {
			p->err = "Invalid UID set";
			return SIZE_MAX;
		}
		return k;
	}
	if (strcasecmp(a, "HEADER") == 0) {
		if ((str = next_string(p)) == NULL || *str == '\0') {
			p->err = "Missing header name";
			return SIZE_MAX;
		}
		return text_key(p, SK_HEADER, str);
	}
	if (strcasecmp(a, "FROM") == 0 || strcasecmp(a, "TO") == 0 ||
	    strcasecmp(a, "CC") == 0 || strcasecmp(a, "BCC") == 0 ||
	    strcasecmp(a, "SUBJECT") == 0)
		return text_key(p, SK_HEADER, a);
	if (strcasecmp(a, "BODY") == 0)
		return text_key(p, SK_BODY, NULL);
	if (strcasecmp(a, "TEXT") == 0)
		return text_key(p, SK_TEXT, NULL);
	/* A sequence set on its own. */
	if ((a[0] >= '1' && a[0] <= '9') || a[0] == '*') {
		if ((k = node_new(p, SK_SEQ)) == SIZE_MAX ||
		    seqset_parse(a, &p->s->nodes[k].set) == -1) {
			p->err = "Invalid sequence set";
			return SIZE_MAX;
		}
		return k;
	}
	p->err = "Unknown search key";
	return SIZE_MAX;
}

int
imapd_search_parse(const struct imapd_tok *toks, size_t n,
    struct imapd_search **out, const char **errstr_out)
{
	struct sparser p = { toks, n, 0, NULL, NULL };

	p.s = xcalloc(1, sizeof(*p.s));
	buf_init(&p.s->hdr, TEXT_MAX);
	buf_init(&p.s->body, TEXT_MAX);
	if (n == 0) {
		p.err = "Missing search key";
		goto fail;
	}
	if (parse_list(&p, 0, false) == SIZE_MAX)
		goto fail;
	*out = p.s;
	return 0;
fail:
	if (p.err == NULL)
		p.err = "Search too complex";
	*errstr_out = p.err;
	imapd_search_free(&p.s);
	return -1;
}

void
imapd_search_free(struct imapd_search **sp)
{
	struct imapd_search *s = *sp;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->nodes[i].field);
		free(s->nodes[i].str);
		seqset_free(&s->nodes[i].set);
		seqset_free(&s->nodes[i].rset);
	}
	free(s->nodes);
	mime_tree_free(&s->tree);
	buf_free(&s->hdr);
	buf_free(&s->body);
	free(s);
	*sp = NULL;
}

bool
imapd_search_has_modseq(const struct imapd_search *s)
{
	return s->modseq;
}

/* --- text ------------------------------------------------------------ */

static locale_t utf8_loc;

static void
utf8_locale_init(void)
{
	utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* C.UTF-8 for towlower_l, made once per process (the imap role runs
 * several loop threads). (locale_t)0 when it is missing. */
static locale_t
utf8_locale(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, utf8_locale_init);
	return utf8_loc;
}

static void
put_utf8(struct buf *out, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		buf_putc(out, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		buf_append(out, b, 4);
	}
}

/* Lower-cases UTF-8 (towlower in C.UTF-8); invalid bytes pass through.
 * Line ends and runs of white space become one space, so a phrase
 * matches across folded lines. */
void
imapd_search_fold(const char *in, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)in;
	locale_t loc = utf8_locale();
	size_t i = 0, n;
	bool space = false;

	while (i < len) {
		uint32_t cp;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			if (!space)
				buf_putc(out, ' ');
			space = true;
			i++;
			continue;
		}
		space = false;
		if (s[i] < 0x80) {
			/* A run of ASCII other than white space, lower-cased
			 * straight into the buffer (most text is this). */
			size_t end = i;
			char *d;

			while (end < len && s[end] < 0x80 && s[end] != ' ' &&
			    s[end] != '\t' && s[end] != '\r' && s[end] != '\n')
				end++;
			if (buf_reserve(out, end - i) == -1)
				return;	/* past TEXT_MAX: the rest is cut */
			d = out->data + out->len;
			for (; i < end; i++)
				*d++ = (char)(s[i] >= 'A' && s[i] <= 'Z' ?
				    s[i] + 32 : s[i]);
			out->len = (size_t)(d - out->data);
			out->data[out->len] = '\0';
			continue;
		}
		n = mime_utf8_seq_len(s + i, len - i);
		if (n == 0) {
			buf_putc(out, (char)s[i++]);
			continue;
		}
		cp = n == 2 ? (s[i] & 0x1fu) : n == 3 ? (s[i] & 0x0fu) :
		    (s[i] & 0x07u);
		for (size_t j = 1; j < n; j++)
			cp = (cp << 6) | (s[i + j] & 0x3fu);
		if (loc != (locale_t)0)
			cp = (uint32_t)towlower_l((wint_t)cp, loc);
		put_utf8(out, cp);
		i += n;
	}
}

static int
load_msg(struct imapd_search *s)
{
	const char *err;

	if (s->loaded)
		return s->data != NULL ? 1 : 0;
	s->loaded = true;
	if (s->cur->load == NULL ||
	    s->cur->load(s->cur->load_arg, &s->data, &s->len) != 1) {
		s->data = NULL;
		return 0;
	}
	if (mime_tree_parse(s->data, s->len, NULL, &s->tree, &err) == -1) {
		s->data = NULL;
		return 0;
	}
	return 1;
}

/* Calls fn for every field of the header [start, end): name, value. */
static bool
header_find(const char *h, size_t len, const char *field, const char *needle,
    struct buf *tmp)
{
	size_t i = 0, flen = field ? strlen(field) : 0;

	while (i < len) {
		size_t start = i, colon = SIZE_MAX, end;
		const char *err;

		/* a field runs to a line end not followed by white space */
		for (end = i; end < len; end++) {
			if (h[end] == ':' && colon == SIZE_MAX)
				colon = end;
			if (h[end] == '\n' && (end + 1 >= len ||
			    (h[end + 1] != ' ' && h[end + 1] != '\t')))
				break;
		}
		i = end + 1;
		if (colon == SIZE_MAX)
			continue;
		if (field != NULL && (colon - start != flen ||
		    strncasecmp(h + start, field, flen) != 0))
			continue;
		buf_reset(tmp);
		if (*needle == '\0')
			return true;	/* §6.4.4: the field exists */
		{
			struct buf dec;

			buf_init(&dec, TEXT_MAX);
			mime_rfc2047_decode(h + colon + 1, end - colon - 1,
			    &dec, &err);
			imapd_search_fold(dec.data ? dec.data : "", dec.len,
			    tmp);
			buf_free(&dec);
		}
		if (strstr(buf_cstr(tmp), needle) != NULL)
			return true;
	}
	return false;
}

/* Decoded, folded text of every text part (and of the message when it
 * is not MIME at all). */
static void
body_text(struct imapd_search *s)
{
	size_t i, n = mime_tree_count(s->tree);
	struct buf utf8;
	const char *err;

	buf_init(&utf8, TEXT_MAX);
	for (i = 0; i < n; i++) {
		const struct mime_part *pt = mime_tree_part(s->tree, i);

		if (pt->flags & (MIME_PART_F_MULTIPART | MIME_PART_F_MESSAGE))
			continue;
		buf_reset(&utf8);
		if (strcmp(pt->type, "text") == 0)
			mime_part_text_utf8(s->tree, pt, &utf8, &err);
		else
			continue;
		imapd_search_fold(utf8.data ? utf8.data : "", utf8.len,
		    &s->body);
		buf_putc(&s->body, ' ');
	}
	buf_free(&utf8);
}

/* Charsets in which ASCII bytes are ASCII text (iso-2022-*, utf-7 and
 * utf-16 are not). */
static bool
ascii_charset(const char *cs)
{
	return cs == NULL || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "utf-8") == 0 || strncasecmp(cs, "iso-8859-", 9) ==
	    0 || strncasecmp(cs, "windows-125", 11) == 0;
}

static bool
all_ascii(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc < 0x80;
}

/* needle (folded: lower case) in hay, ASCII letters matched in either
 * case. */
static bool
ascii_ci_contains(const char *hay, size_t hl, const char *needle, size_t nl)
{
	unsigned char lo = (unsigned char)needle[0];
	unsigned char up = lo >= 'a' && lo <= 'z' ? lo - 32 : lo;

	for (size_t i = 0; i + nl <= hl; i++) {
		unsigned char c = (unsigned char)hay[i];
		size_t j;

		if (c != lo && c != up)
			continue;
		for (j = 1; j < nl; j++) {
			c = (unsigned char)hay[i + j];
			if (c >= 'A' && c <= 'Z')
				c += 32;
			if (c != (unsigned char)needle[j])
				break;
		}
		if (j == nl)
			return true;
	}
	return false;
}

/*
 * The common BODY search without decoding or folding: when the needle is
 * ASCII without white space and every text part is plain ASCII as it
 * stands (no transfer encoding, an ASCII-compatible charset, no byte
 * past 0x7f: then decoding, charset conversion and folding could not
 * change what matches), the needle is looked for in the raw parts.
 * 1 found, 0 not found, -1 not applicable (the caller decodes).
 */
static int
body_fast(struct imapd_search *s, const char *needle)
{
	size_t i, n = mime_tree_count(s->tree), nl = strlen(needle);

	if (nl == 0 || strchr(needle, ' ') != NULL ||
	    !all_ascii((const unsigned char *)needle, nl))
		return -1;
	for (i = 0; i < n; i++) {
		const struct mime_part *pt = mime_tree_part(s->tree, i);

		if (pt->flags & (MIME_PART_F_MULTIPART | MIME_PART_F_MESSAGE) ||
		    strcmp(pt->type, "text") != 0)
			continue;
		if ((pt->cte != MIME_CTE_7BIT && pt->cte != MIME_CTE_8BIT &&
		    pt->cte != MIME_CTE_BINARY) ||
		    !ascii_charset(mime_params_get_raw(&pt->params,
		    "charset")) ||
		    !all_ascii((const unsigned char *)s->data + pt->body_start,
		    pt->body_end - pt->body_start))
			return -1;
	}
	for (i = 0; i < n; i++) {
		const struct mime_part *pt = mime_tree_part(s->tree, i);

		if (pt->flags & (MIME_PART_F_MULTIPART | MIME_PART_F_MESSAGE) ||
		    strcmp(pt->type, "text") != 0)
			continue;
		if (ascii_ci_contains(s->data + pt->body_start, pt->body_end -
		    pt->body_start, needle, nl))
			return 1;
	}
	return 0;
}

static bool
match_text(struct imapd_search *s, const struct snode *nd)
{
	const struct mime_part *top;
	struct buf tmp;
	bool r = false;

	if (load_msg(s) != 1)
		return false;
	top = mime_tree_part(s->tree, 0);
	if (nd->kind == SK_HEADER || nd->kind == SK_TEXT) {
		buf_init(&tmp, TEXT_MAX);
		r = header_find(s->data + top->hdr_start, top->body_start -
		    top->hdr_start, nd->kind == SK_HEADER ? nd->field : NULL,
		    nd->str, &tmp);
		buf_free(&tmp);
		if (r || nd->kind == SK_HEADER)
			return r;
	}
	if (!s->body_done) {
		int fast = body_fast(s, nd->str);

		if (fast != -1)
			return fast == 1;
		s->body_done = true;
		body_text(s);
	}
	return strstr(buf_cstr(&s->body), nd->str) != NULL;
}

static int64_t
day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : (t - 86399) / 86400;
}

/* The Date: header's day in its own zone, or -1 (§6.4.4 SENT*). */
static bool
sent_day(struct imapd_search *s, int64_t *day)
{
	const struct mime_part *top;
	struct buf b;
	time_t t;
	int tz, r;
	const char *err;

	if (load_msg(s) != 1)
		return false;
	top = mime_tree_part(s->tree, 0);
	buf_init(&b, 4096);
	r = mime_part_header_get(s->tree, top, "Date", &b);
	if (r == 1 && mime_date_parse(b.data, b.len, &t, &tz, &err) == 0) {
		*day = day_of((int64_t)t + tz * 60);
		buf_free(&b);
		return true;
	}
	buf_free(&b);
	return false;
}

static bool
has_keyword(const char *list, const char *kw)
{
	size_t len = strlen(kw);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *sp = strchr(p, ' ');
		size_t l = sp ? (size_t)(sp - p) : strlen(p);

		if (l == len && strncasecmp(p, kw, len) == 0)
			return true;
		p = sp ? sp + 1 : NULL;
	}
	return false;
}

/* The set resolved once per value of "*" (one per SEARCH). */
static bool
set_has(struct snode *nd, uint32_t v, uint32_t star)
{
	if (nd->rset.r == NULL || nd->rstar != star) {
		seqset_free(&nd->rset);
		seqset_resolve(&nd->set, star, &nd->rset);
		nd->rstar = star;
	}
	return seqset_in(&nd->rset, v);
}

static bool
match_node(struct imapd_search *s, size_t i)
{
	const struct snode *nd = &s->nodes[i];
	const struct imapd_search_msg *m = s->cur;
	int64_t day;
	size_t c;

	switch (nd->kind) {
	case SK_ALL:
		return true;
	case SK_AND:
		for (c = nd->child; c != SIZE_MAX; c = s->nodes[c].next)
			if (!match_node(s, c))
				return false;
		return true;
	case SK_OR:
		return match_node(s, nd->child) ||
		    match_node(s, s->nodes[nd->child].next);
	case SK_NOT:
		return !match_node(s, nd->child);
	case SK_SEQ:
		return set_has(&s->nodes[i], m->seq, m->nmsgs);
	case SK_UID:
		return set_has(&s->nodes[i], m->uid, m->maxuid);
	case SK_FLAG:
		return (m->flags & nd->flag) != 0;
	case SK_UNFLAG:
		return (m->flags & nd->flag) == 0;
	case SK_KEYWORD:
		return has_keyword(m->keywords, nd->str);
	case SK_UNKEYWORD:
		return !has_keyword(m->keywords, nd->str);
	case SK_NEW:
		return m->recent && !(m->flags & STORE_FLAG_SEEN);
	case SK_OLD:
		return !m->recent;
	case SK_RECENT:
		return m->recent;
	case SK_BEFORE:
		return day_of(m->internaldate) < nd->day;
	case SK_ON:
		return day_of(m->internaldate) == nd->day;
	case SK_SINCE:
		return day_of(m->internaldate) >= nd->day;
	case SK_SENTBEFORE:
		return sent_day(s, &day) && day < nd->day;
	case SK_SENTON:
		return sent_day(s, &day) && day == nd->day;
	case SK_SENTSINCE:
		return sent_day(s, &day) && day >= nd->day;
	case SK_LARGER:
		return m->size > nd->num;
	case SK_SMALLER:
		return m->size < nd->num;
	case SK_MODSEQ:
		return m->modseq >= nd->num;
	case SK_HEADER:
	case SK_BODY:
	case SK_TEXT:
		return match_text(s, nd);
	}
	return false;
}

int
imapd_search_match(struct imapd_search *s, const struct imapd_search_msg *m)
{
	bool r;

	s->cur = m;
	s->loaded = false;
	s->data = NULL;
	s->len = 0;
	s->body_done = false;
	buf_reset(&s->body);
	mime_tree_free(&s->tree);
	r = match_node(s, 0);
	mime_tree_free(&s->tree);
	return r ? 1 : 0;
}
