/*
 * tree.c: one forward pass over a whole message builds its MIME tree
 * (RFC 2045 §5-6, RFC 2046 §5.1 multipart, §5.2.1 message/rfc822).
 * Called by the IMAP server (BODYSTRUCTURE, BODY[section]), the queue and
 * the user agent; no I/O.
 *
 * Each entity is parsed by parse_entity: its header with mime_hdr_scan,
 * then its body, which ends at the first line that is a delimiter of any
 * enclosing multipart (so a missing close delimiter cannot swallow the
 * parent's remaining parts) or at the end of the message. Lines are found
 * with memchr, so body bytes are looked at once; the line counter moves
 * forward with the scan, never back.
 */
#include "mime/tree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "mime/charset.h"
#include "mime/codec.h"
#include "mime/hdr.h"

/* Pool chunks start small (most messages have few parts) and double. */
#define POOL_CHUNK_MIN	512
#define POOL_CHUNK_MAX	(64 * 1024)

struct pool_chunk {
	struct pool_chunk	*next;
	size_t			 used, size;
	char			 data[];
};

struct boundary {
	const char	*s;
	size_t		 len;
};

struct mime_tree {
	const char		*data;
	size_t			 len;
	struct mime_part	*parts;
	size_t			 nparts, cap;
	unsigned		 flags;
	struct pool_chunk	*pool;
};

/* The state of one parse; freed at the end of mime_tree_parse. */
struct ctx {
	struct mime_tree	*t;
	struct mime_tree_settings set;
	const char		*d;
	size_t			 len;
	size_t			 nl;	/* line ends before the scan point */
	struct boundary		*bnd;	/* enclosing boundaries, outer first */
	size_t			 nbnd;
	/* Where and why the last entity stopped. */
	size_t			 stop;	/* delimiter line start, or len */
	size_t			 stop_after;	/* after its line end */
	size_t			 stop_which;	/* index in bnd, or SIZE_MAX */
	int			 stop_close;
	struct buf		 scratch;
	struct buf		 blob;
};

static void *
pool_alloc(struct mime_tree *t, size_t n)
{
	struct pool_chunk *c = t->pool;

	n = (n + 7) & ~(size_t)7;
	if (c == NULL || c->size - c->used < n) {
		size_t size = c == NULL ? POOL_CHUNK_MIN :
		    c->size < POOL_CHUNK_MAX ? c->size * 2 : POOL_CHUNK_MAX;

		if (size < n)
			size = n;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = t->pool;
		t->pool = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

static char *
pool_strndup(struct mime_tree *t, const char *s, size_t n)
{
	char *p = pool_alloc(t, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
mime_tree_settings_default(struct mime_tree_settings *s)
{
	s->max_depth = MIME_TREE_DEFAULT_MAX_DEPTH;
	s->max_parts = MIME_TREE_DEFAULT_MAX_PARTS;
}

static size_t
new_part(struct ctx *c, size_t parent, unsigned depth)
{
	struct mime_tree *t = c->t;
	struct mime_part *p;

	if (t->nparts == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 8;

		if (ncap > c->set.max_parts)
			ncap = c->set.max_parts;
		t->parts = xreallocarray(t->parts, ncap, sizeof(*t->parts));
		t->cap = ncap;
	}
	p = &t->parts[t->nparts];
	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->first_child = p->next = MIME_PART_NONE;
	p->depth = depth;
	p->type = "text";
	p->subtype = "plain";
	return t->nparts++;
}

/*
 * Is the line at s a delimiter of an enclosing boundary? RFC 2046 §5.1.1:
 * "--" boundary ["--"] transport-padding CRLF. As Python's email does, only
 * white space may follow (no junk), innermost boundary first.
 */
static int
match_delim(struct ctx *c, size_t s, size_t *which, int *close,
    size_t *after)
{
	const char *d = c->d;
	size_t i, r;

	for (i = c->nbnd; i-- > 0;) {
		const struct boundary *b = &c->bnd[i];

		if (c->len - s - 2 < b->len ||
		    memcmp(d + s + 2, b->s, b->len) != 0)
			continue;
		r = s + 2 + b->len;
		*close = 0;
		if (c->len - r >= 2 && d[r] == '-' && d[r + 1] == '-') {
			*close = 1;
			r += 2;
		}
		while (r < c->len && (d[r] == ' ' || d[r] == '\t'))
			r++;
		if (r < c->len && d[r] == '\r')
			r++;
		if (r < c->len && d[r] != '\n')
			continue;
		*which = i;
		*after = r < c->len ? r + 1 : r;
		return 1;
	}
	return 0;
}

/*
 * Scans lines from pos for a delimiter of any enclosing boundary and sets
 * the stop fields. c->nl counts the line ends passed.
 */
static void
find_stop(struct ctx *c, size_t pos)
{
	const char *d = c->d;
	size_t len = c->len;

	if (c->nbnd == 0) {
		/* Nothing can stop us: count the rest. */
		const char *p = d + pos, *end = d + len;

		while ((p = memchr(p, '\n', end - p)) != NULL) {
			c->nl++;
			p++;
		}
		c->stop = c->stop_after = len;
		c->stop_which = SIZE_MAX;
		return;
	}
	while (pos < len) {
		const char *nl;

		if (d[pos] == '-' && pos + 1 < len && d[pos + 1] == '-' &&
		    match_delim(c, pos, &c->stop_which, &c->stop_close,
		    &c->stop_after)) {
			c->stop = pos;
			return;
		}
		if ((nl = memchr(d + pos, '\n', len - pos)) == NULL)
			break;
		c->nl++;
		pos = nl + 1 - d;
	}
	c->stop = c->stop_after = len;
	c->stop_which = SIZE_MAX;
}

/* Moves past the delimiter line found by find_stop. */
static size_t
pass_delim(struct ctx *c)
{
	if (c->stop_after > c->stop && c->d[c->stop_after - 1] == '\n')
		c->nl++;
	return c->stop_after;
}

/* Sets body_end and body_lines from the stop; nl_body is c->nl then. */
static void
end_body(struct ctx *c, struct mime_part *p, size_t nl_body)
{
	size_t end = c->stop, lfs = c->nl - nl_body;

	if (c->stop < c->len && end == p->body_start && end > p->hdr_start &&
	    c->d[end - 1] == '\n') {
		/*
		 * An empty body right before a delimiter: the line end that
		 * closed the header is the delimiter's (RFC 2046 §5.1.1), so
		 * the header gives it up and the encloser's end stays ours.
		 */
		end--;
		p->hdr_lines--;
		if (end > p->hdr_start && c->d[end - 1] == '\r')
			end--;
		p->body_start = end;
	} else if (c->stop < c->len) {
		/* The line end before a delimiter belongs to it. */
		if (end > p->body_start && c->d[end - 1] == '\n') {
			end--;
			lfs--;
			if (end > p->body_start && c->d[end - 1] == '\r')
				end--;
		}
	}
	p->body_end = end;
	p->body_lines = lfs + (end > p->body_start && c->d[end - 1] != '\n');
}

static int
is_token_char(unsigned char c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static int
valid_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_token_char(s[i]))
			return 0;
	return 1;
}

/* Copies parsed parameters into the tree's pool. */
static void
keep_params(struct ctx *c, struct mime_params *out,
    const struct mime_params *parsed)
{
	*out = *parsed;
	if (parsed->count > 0)
		out->blob = pool_strndup(c->t, parsed->blob, parsed->len);
}

static void
set_ctype(struct ctx *c, struct mime_part *p, const char *v, size_t n)
{
	struct mime_params params;
	const char *lead, *slash;
	size_t ll;

	buf_reset(&c->blob);
	if (mime_params_parse(v, n, &c->blob, &lead, &params, NULL) == -1)
		return;
	ll = strlen(lead);
	slash = memchr(lead, '/', ll);
	if (slash == NULL || !valid_token(lead, slash - lead) ||
	    !valid_token(slash + 1, ll - (slash - lead) - 1))
		return;	/* RFC 2045 §5.2: invalid means the default */
	p->type = pool_strndup(c->t, lead, slash - lead);
	p->subtype = pool_strndup(c->t, slash + 1, ll - (slash - lead) - 1);
	p->flags |= MIME_PART_F_HAS_CTYPE;
	keep_params(c, &p->params, &params);
}

static void
set_disposition(struct ctx *c, struct mime_part *p, const char *v, size_t n)
{
	struct mime_params params;
	const char *lead;

	buf_reset(&c->blob);
	if (mime_params_parse(v, n, &c->blob, &lead, &params, NULL) == -1)
		return;
	p->disposition = pool_strndup(c->t, lead, strlen(lead));
	keep_params(c, &p->disp_params, &params);
}

static void
set_cte(struct ctx *c, struct mime_part *p, const char *v, size_t n)
{
	static const struct {
		const char	*name;
		enum mime_cte	 cte;
	} ctes[] = {
		{ "7bit", MIME_CTE_7BIT }, { "8bit", MIME_CTE_8BIT },
		{ "binary", MIME_CTE_BINARY },
		{ "quoted-printable", MIME_CTE_QP },
		{ "base64", MIME_CTE_BASE64 },
	};
	size_t i, k = 0;

	p->cte_raw = pool_strndup(c->t, v, n);
	/* Comments and white space around the token are ignored. */
	while (k < n && is_token_char(v[k]))
		k++;
	p->cte = MIME_CTE_UNKNOWN;
	for (i = 0; i < nitems(ctes); i++)
		if (strlen(ctes[i].name) == k &&
		    strncasecmp(v, ctes[i].name, k) == 0)
			p->cte = ctes[i].cte;
}

/* Reads the header at pos; returns the body start. */
static size_t
parse_header(struct ctx *c, struct mime_part *p, size_t pos)
{
	struct mime_hdr_field f;
	const char *d = c->d;
	size_t q, k;

	for (;;) {
		size_t which, after;
		int close;

		/* A delimiter line ends the header too (no empty line). */
		if (c->nbnd > 0 && c->len - pos >= 2 && d[pos] == '-' &&
		    d[pos + 1] == '-' &&
		    match_delim(c, pos, &which, &close, &after)) {
			/* The line end before it belongs to the delimiter. */
			if (pos > p->hdr_start && d[pos - 1] == '\n')
				pos--;
			if (pos > p->hdr_start && d[pos - 1] == '\r')
				pos--;
			break;
		}
		q = pos;
		if (!mime_hdr_scan(d, c->len, &q, &f)) {
			pos = q;
			break;
		}
		pos = q;
		if (f.name_len < 8 || strncasecmp(f.name, "content-", 8) != 0)
			continue;
		buf_reset(&c->scratch);
		if (mime_hdr_unfold(f.raw, f.raw_len, &c->scratch) == -1)
			continue;
		{
			const char *v = buf_cstr(&c->scratch);
			size_t n = c->scratch.len;

#define IS(name) mime_hdr_field_is(&f, name)
			if (IS("content-type")) {
				if (!(p->flags & MIME_PART_F_HAS_CTYPE))
					set_ctype(c, p, v, n);
			} else if (IS("content-transfer-encoding")) {
				if (p->cte_raw == NULL)
					set_cte(c, p, v, n);
			} else if (IS("content-disposition")) {
				if (p->disposition == NULL)
					set_disposition(c, p, v, n);
			} else if (IS("content-id")) {
				if (p->id == NULL)
					p->id = pool_strndup(c->t, v, n);
			} else if (IS("content-description")) {
				if (p->description == NULL)
					p->description = pool_strndup(c->t, v,
					    n);
			} else if (IS("content-md5")) {
				if (p->md5 == NULL)
					p->md5 = pool_strndup(c->t, v, n);
			} else if (IS("content-language")) {
				if (p->language == NULL)
					p->language = pool_strndup(c->t, v, n);
			} else if (IS("content-location")) {
				if (p->location == NULL)
					p->location = pool_strndup(c->t, v, n);
			}
#undef IS
		}
	}
	for (k = p->hdr_start; k < pos; k++)
		if (d[k] == '\n')
			p->hdr_lines++;
	c->nl += p->hdr_lines;
	return pos;
}

static void
link_child(struct mime_tree *t, size_t parent, size_t child, size_t *last)
{
	if (*last == MIME_PART_NONE)
		t->parts[parent].first_child = child;
	else
		t->parts[*last].next = child;
	*last = child;
	t->parts[parent].nchildren++;
}

static int
room_for_child(struct ctx *c, unsigned depth)
{
	if (depth + 1 > c->set.max_depth || c->t->nparts >= c->set.max_parts) {
		c->t->flags |= MIME_TREE_F_LIMIT;
		return 0;
	}
	return 1;
}

static size_t parse_entity(struct ctx *, size_t, size_t, unsigned, int);

/* The body of a multipart: preamble, parts, epilogue. */
static void
parse_multipart(struct ctx *c, size_t idx, unsigned depth)
{
	struct mime_part *p = &c->t->parts[idx];
	size_t mine = c->nbnd, last = MIME_PART_NONE, pos, nl_body = c->nl;
	int digest = strcmp(p->subtype, "digest") == 0;

	c->bnd[c->nbnd].s = p->boundary;
	c->bnd[c->nbnd].len = strlen(p->boundary);
	c->nbnd++;
	find_stop(c, p->body_start);	/* the preamble */
	if (c->stop_which != mine) {
		/* None of our delimiters: a leaf after all. */
		c->nbnd--;
		p->flags &= ~MIME_PART_F_MULTIPART;
		p->flags |= MIME_PART_F_NO_BOUNDARY;
		end_body(c, p, nl_body);
		return;
	}
	while (c->stop_which == mine && !c->stop_close) {
		pos = pass_delim(c);
		if (room_for_child(c, depth)) {
			size_t child = parse_entity(c, pos, idx, depth + 1,
			    digest);

			link_child(c->t, idx, child, &last);
		} else
			find_stop(c, pos);	/* skip the part unparsed */
	}
	c->nbnd--;
	p = &c->t->parts[idx];
	if (c->stop_which == mine) {
		/* The close delimiter; the epilogue runs to the parent's. */
		pos = pass_delim(c);
		find_stop(c, pos);
	} else
		p->flags |= MIME_PART_F_NO_CLOSE;
	end_body(c, p, nl_body);
}

/*
 * Parses the entity at pos and returns its index; c->stop says where it
 * ended. digest: the default type is message/rfc822 (RFC 2046 §5.1.5).
 */
static size_t
parse_entity(struct ctx *c, size_t pos, size_t parent, unsigned depth,
    int digest)
{
	size_t idx = new_part(c, parent, depth), nl_body;
	struct mime_part *p = &c->t->parts[idx];
	const char *b;

	if (digest) {
		p->type = "message";
		p->subtype = "rfc822";
	}
	p->hdr_start = pos;
	p->body_start = parse_header(c, p, pos);
	nl_body = c->nl;
	if (strcmp(p->type, "multipart") == 0) {
		b = mime_params_get_raw(&p->params, "boundary");
		if (b == NULL || *b == '\0' ||
		    strlen(b) > MIME_TREE_BOUNDARY_ACCEPT) {
			p->flags |= MIME_PART_F_NO_BOUNDARY;
		} else if (room_for_child(c, depth)) {
			size_t bl = strlen(b);

			/* As Python's email: trailing white space is not
			 * part of the boundary. */
			while (bl > 1 && (b[bl - 1] == ' ' || b[bl - 1] == '\t'))
				bl--;
			p->boundary = pool_strndup(c->t, b, bl);
			p->flags |= MIME_PART_F_MULTIPART;
			parse_multipart(c, idx, depth);
			return idx;
		} else
			p->flags |= MIME_PART_F_LIMIT;
	} else if (strcmp(p->type, "message") == 0 &&
	    (strcmp(p->subtype, "rfc822") == 0 ||
	    strcmp(p->subtype, "global") == 0) &&
	    p->cte != MIME_CTE_BASE64 && p->cte != MIME_CTE_QP) {
		if (room_for_child(c, depth)) {
			size_t child = parse_entity(c, p->body_start, idx,
			    depth + 1, 0);
			size_t last = MIME_PART_NONE;

			p = &c->t->parts[idx];
			p->flags |= MIME_PART_F_MESSAGE;
			link_child(c->t, idx, child, &last);
			/* We end where the encapsulated message ended. */
			end_body(c, p, nl_body);
			return idx;
		}
		p->flags |= MIME_PART_F_LIMIT;
	}
	find_stop(c, p->body_start);
	end_body(c, &c->t->parts[idx], nl_body);
	return idx;
}

static size_t
count_lf(const char *d, size_t from, size_t to)
{
	size_t n = 0;

	for (; from < to; from++)
		n += d[from] == '\n';
	return n;
}

/*
 * Keeps every part inside its parent's body. Only empty parts squeezed
 * between two delimiters can stick out (the line end before a delimiter
 * belongs to it, and so cannot also be theirs); they shrink to nothing at
 * the parent's end. Parents come first in pre-order, so one pass does it.
 */
static void
clamp_parts(struct mime_tree *t)
{
	size_t i;

	for (i = 1; i < t->nparts; i++) {
		struct mime_part *p = &t->parts[i];
		size_t end = t->parts[p->parent].body_end;

		if (p->body_end <= end && p->hdr_start <= end)
			continue;
		if (p->hdr_start > end)
			p->hdr_start = end;
		if (p->body_start > end)
			p->body_start = end;
		p->body_end = end;
		p->hdr_lines = count_lf(t->data, p->hdr_start, p->body_start);
		p->body_lines = count_lf(t->data, p->body_start, end) +
		    (end > p->body_start && t->data[end - 1] != '\n');
	}
}

int
mime_tree_parse(const char *msg, size_t len,
    const struct mime_tree_settings *settings, struct mime_tree **tree_out,
    const char **errstr_out)
{
	struct ctx c;

	memset(&c, 0, sizeof(c));
	if (settings != NULL)
		c.set = *settings;
	else
		mime_tree_settings_default(&c.set);
	if (c.set.max_parts == 0 || c.set.max_depth == 0) {
		if (errstr_out != NULL)
			*errstr_out = "mime tree: limits must be positive";
		return -1;
	}
	if (c.set.max_depth > MIME_TREE_HARD_MAX_DEPTH)
		c.set.max_depth = MIME_TREE_HARD_MAX_DEPTH;
	c.t = xcalloc(1, sizeof(*c.t));
	c.t->data = c.d = msg;
	c.t->len = c.len = len;
	c.bnd = xreallocarray(NULL, c.set.max_depth + 1, sizeof(*c.bnd));
	buf_init(&c.scratch, len + 1);
	buf_init(&c.blob, 2 * len + 16);
	parse_entity(&c, 0, MIME_PART_NONE, 0, 0);
	clamp_parts(c.t);
	buf_free(&c.scratch);
	buf_free(&c.blob);
	free(c.bnd);
	*tree_out = c.t;
	return 0;
}

void
mime_tree_free(struct mime_tree **tp)
{
	struct mime_tree *t = *tp;
	struct pool_chunk *ch, *next;

	if (t == NULL)
		return;
	for (ch = t->pool; ch != NULL; ch = next) {
		next = ch->next;
		free(ch);
	}
	free(t->parts);
	free(t);
	*tp = NULL;
}

size_t
mime_tree_count(const struct mime_tree *t)
{
	return t->nparts;
}

const struct mime_part *
mime_tree_part(const struct mime_tree *t, size_t i)
{
	return i < t->nparts ? &t->parts[i] : NULL;
}

const char *
mime_tree_data(const struct mime_tree *t, size_t *len_out)
{
	*len_out = t->len;
	return t->data;
}

unsigned
mime_tree_flags(const struct mime_tree *t)
{
	return t->flags;
}

size_t
mime_tree_index(const struct mime_tree *t, const struct mime_part *p)
{
	return (size_t)(p - t->parts);
}

int
mime_part_header_get(const struct mime_tree *t, const struct mime_part *p,
    const char *name, struct buf *out)
{
	struct mime_hdr_field f;
	size_t pos = p->hdr_start;

	/* The header region is [hdr_start, body_start): scan only that. */
	while (pos < p->body_start &&
	    mime_hdr_scan(t->data, p->body_start, &pos, &f))
		if (mime_hdr_field_is(&f, name))
			return mime_hdr_unfold(f.raw, f.raw_len, out) == -1 ?
			    -1 : 1;
	return 0;
}

int
mime_part_decode(const struct mime_tree *t, const struct mime_part *p,
    struct buf *out, const char **errstr_out)
{
	const char *b = t->data + p->body_start;
	size_t n = p->body_end - p->body_start;

	if (p->flags & (MIME_PART_F_MULTIPART | MIME_PART_F_MESSAGE))
		goto raw;
	switch (p->cte) {
	case MIME_CTE_BASE64:
		return mime_b64_decode(b, n, MIME_B64_LENIENT, out, errstr_out);
	case MIME_CTE_QP:
		return mime_qp_decode(b, n, 0, out, errstr_out);
	default:
		break;
	}
raw:
	if (buf_append(out, b, n) == -1) {
		if (errstr_out != NULL)
			*errstr_out = "decode: output too large";
		return -1;
	}
	return 0;
}

int
mime_part_filename(const struct mime_tree *t, const struct mime_part *p,
    struct buf *out)
{
	int r;

	(void)t;
	if ((r = mime_params_get(&p->disp_params, "filename", out, NULL)) != 0)
		return r;
	return mime_params_get(&p->params, "name", out, NULL);
}

static int
pref_rank(const char *const *prefs, const char *subtype)
{
	int i;

	for (i = 0; prefs[i] != NULL; i++)
		if (strcmp(prefs[i], subtype) == 0)
			return i;
	return -1;
}

/* One step of mime_tree_body: the best candidate at or under idx. */
static void
find_body(const struct mime_tree *t, size_t idx, const char *const *prefs,
    size_t *best, int *best_rank)
{
	const struct mime_part *p = &t->parts[idx];
	size_t c;
	int rank;

	if (*best_rank == 0)
		return;	/* nothing beats the first choice */
	if (p->disposition != NULL && strcmp(p->disposition, "attachment") == 0)
		return;
	if (strcmp(p->type, "text") == 0) {
		rank = pref_rank(prefs, p->subtype);
		if (rank >= 0 && rank < *best_rank) {
			*best_rank = rank;
			*best = idx;
		}
		return;
	}
	if (!(p->flags & MIME_PART_F_MULTIPART))
		return;
	if (strcmp(p->subtype, "related") != 0) {
		for (c = p->first_child; c != MIME_PART_NONE;
		    c = t->parts[c].next)
			find_body(t, c, prefs, best, best_rank);
		return;
	}
	rank = pref_rank(prefs, "related");
	if (rank >= 0 && rank < *best_rank) {
		*best_rank = rank;
		*best = idx;
	}
	/* RFC 2387 §3.2: the start parameter names the root, else the first. */
	{
		const char *start = mime_params_get_raw(&p->params, "start");
		size_t root = p->first_child;

		for (c = p->first_child; start != NULL && c != MIME_PART_NONE;
		    c = t->parts[c].next)
			if (t->parts[c].id != NULL &&
			    strcmp(t->parts[c].id, start) == 0) {
				root = c;
				break;
			}
		if (root != MIME_PART_NONE)
			find_body(t, root, prefs, best, best_rank);
	}
}

size_t
mime_tree_body(const struct mime_tree *t, const char *const *prefs)
{
	size_t best = MIME_PART_NONE;
	int best_rank = INT32_MAX;

	find_body(t, 0, prefs, &best, &best_rank);
	return best;
}

int
mime_part_text_utf8(const struct mime_tree *t, const struct mime_part *p,
    struct buf *out, const char **errstr_out)
{
	struct buf raw;
	const char *cs = mime_params_get_raw(&p->params, "charset");
	int r;

	buf_init(&raw, out->max);
	if (mime_part_decode(t, p, &raw, errstr_out) == -1) {
		buf_free(&raw);
		return -1;
	}
	r = mime_charset_to_utf8(cs, buf_cstr(&raw), raw.len, out, errstr_out);
	buf_free(&raw);
	return r == -1 ? -1 : 0;
}
