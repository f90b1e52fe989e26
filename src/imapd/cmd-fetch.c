/*
 * cmd-fetch.c: FETCH and UID FETCH (RFC 3501 §6.4.5, §7.4.2): FLAGS,
 * INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE, UID,
 * BODY[section]<partial> and BODY.PEEK, RFC822, RFC822.HEADER,
 * RFC822.TEXT, the macros ALL, FAST, FULL, and MODSEQ with the
 * CHANGEDSINCE modifier (RFC 7162). ENVELOPE and BODYSTRUCTURE are cached
 * in the store's index, so FLAGS-only and header-list fetches never open
 * the message files. Run by the imap role process.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd-private.h"
#include "lib/log.h"
#include "lib/util.h"
#include "mime/date.h"
#include "mime/imapview.h"
#include "mime/tree.h"

#define FETCH_ITEMS_MAX	64
#define SECTION_MAX	1024
#define VIEW_MAX	(16 * 1024 * 1024)	/* one ENVELOPE/BODYSTRUCTURE */
#define FETCH_CACHE_WRITES	64	/* cache rows one FETCH writes */

enum fitem_kind {
	FI_FLAGS,
	FI_INTERNALDATE,
	FI_SIZE,
	FI_ENVELOPE,
	FI_BODY,
	FI_BODYSTRUCTURE,
	FI_UID,
	FI_MODSEQ,
	FI_RFC822,
	FI_RFC822_HEADER,
	FI_RFC822_TEXT,
	FI_SECTION,
};

struct fitem {
	enum fitem_kind	 kind;
	bool		 peek;
	char		 spec[SECTION_MAX];
	bool		 partial;
	uint64_t	 off, len;
};

struct fetch {
	struct fitem	 items[FETCH_ITEMS_MAX];
	size_t		 n;
	bool		 need_msg;	/* some item reads the file */
	bool		 need_tree;
	bool		 sets_seen;
	uint64_t	 changedsince;
	bool		 modseq;
};

static bool
has_kind(const struct fetch *f, enum fitem_kind kind)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->items[i].kind == kind)
			return true;
	return false;
}

static int
add(struct fetch *f, enum fitem_kind kind)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->items[i].kind == kind && kind != FI_SECTION)
			return 0;
	if (f->n == FETCH_ITEMS_MAX)
		return -1;
	memset(&f->items[f->n], 0, sizeof(f->items[0]));
	f->items[f->n++].kind = kind;
	return 0;
}

/* section-spec (§9): [part *("." part)] ["." ] msgtext, MIME needs a
 * part; HEADER.FIELDS[.NOT] takes a parenthesised list. */
static bool
spec_ok(const char *s)
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
static int
parse_section(struct fetch *f, const char *a)
{
	const char *lb = strchr(a, '['), *rb = strrchr(a, ']');
	struct fitem *it;
	size_t plen = (size_t)(lb - a);
	char *end;

	if (lb == NULL || rb == NULL || rb < lb ||
	    (size_t)(rb - lb - 1) >= SECTION_MAX)
		return -1;
	if (add(f, FI_SECTION) == -1)
		return -1;
	it = &f->items[f->n - 1];
	if (plen == 9 && strncasecmp(a, "BODY.PEEK", 9) == 0)
		it->peek = true;
	else if (!(plen == 4 && strncasecmp(a, "BODY", 4) == 0))
		return -1;
	memcpy(it->spec, lb + 1, (size_t)(rb - lb - 1));
	it->spec[rb - lb - 1] = '\0';
	if (!spec_ok(it->spec))
		return -1;
	a = rb + 1;
	if (*a == '<') {
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
parse_item(struct fetch *f, const char *a)
{
	static const struct {
		const char	*name;
		enum fitem_kind	 kind;
	} simple[] = {
		{ "FLAGS", FI_FLAGS }, { "INTERNALDATE", FI_INTERNALDATE },
		{ "RFC822.SIZE", FI_SIZE }, { "ENVELOPE", FI_ENVELOPE },
		{ "BODY", FI_BODY }, { "BODYSTRUCTURE", FI_BODYSTRUCTURE },
		{ "UID", FI_UID }, { "MODSEQ", FI_MODSEQ },
		{ "RFC822", FI_RFC822 }, { "RFC822.HEADER", FI_RFC822_HEADER },
		{ "RFC822.TEXT", FI_RFC822_TEXT },
	};
	size_t i;

	/* §6.4.5 macros */
	if (strcasecmp(a, "ALL") == 0)
		return add(f, FI_FLAGS) | add(f, FI_INTERNALDATE) |
		    add(f, FI_SIZE) | add(f, FI_ENVELOPE);
	if (strcasecmp(a, "FAST") == 0)
		return add(f, FI_FLAGS) | add(f, FI_INTERNALDATE) |
		    add(f, FI_SIZE);
	if (strcasecmp(a, "FULL") == 0)
		return add(f, FI_FLAGS) | add(f, FI_INTERNALDATE) |
		    add(f, FI_SIZE) | add(f, FI_ENVELOPE) | add(f, FI_BODY);
	if (strchr(a, '[') != NULL)
		return parse_section(f, a);
	for (i = 0; i < nitems(simple); i++) {
		if (strcasecmp(a, simple[i].name) != 0)
			continue;
		switch (simple[i].kind) {
		case FI_RFC822:
		case FI_RFC822_TEXT:
			f->sets_seen = true;
			f->need_tree = true;
			f->need_msg = true;
			break;
		case FI_RFC822_HEADER:
			f->need_tree = true;
			f->need_msg = true;
			break;
		case FI_MODSEQ:
			f->modseq = true;
			break;
		default:
			break;
		}
		return add(f, simple[i].kind);
	}
	return -1;
}

static int
parse_fetch(struct imapd_cmdctx *c, struct fetch *f)
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

/* A section's bytes, cut by <partial>, as a literal (or "" / NIL). */
static void
send_section(struct imapd_session *s, const struct fitem *it,
    const char *data, size_t len)
{
	if (it->partial) {
		if (it->off >= len)
			len = 0;
		else {
			data += it->off;
			len -= (size_t)it->off;
			if (len > it->len)
				len = (size_t)it->len;
		}
		out_printf(s, "BODY[%s]<%" PRIu64 "> ", it->spec, it->off);
	} else
		out_printf(s, "BODY[%s] ", it->spec);
	out_printf(s, "{%zu}\r\n", len);
	out_write(s, data, len);
}

static void
send_buf_literal(struct imapd_session *s, const char *label,
    const struct buf *b)
{
	out_printf(s, "%s {%zu}\r\n", label, b->len);
	out_write(s, b->data, b->len);
}

/* One message's FETCH response. */
static void
fetch_one(struct imapd_session *s, bool uid,
    const struct fetch *f, struct imapd_msgmeta *m, const struct buf *msg,
    const struct mime_tree *tree, struct buf *tmp)
{
	size_t i;
	bool sp = false;

	out_printf(s, "* %u FETCH (", m->seq);
	if (uid) {
		out_printf(s, "UID %u", m->uid);
		sp = true;
	}
	for (i = 0; i < f->n; i++) {
		const struct fitem *it = &f->items[i];
		const char *err;

		if (it->kind == FI_UID && uid)
			continue;
		if (sp)
			out_printf(s, " ");
		sp = true;
		buf_reset(tmp);
		switch (it->kind) {
		case FI_FLAGS:
			flags_format(tmp, m->flags, m->keywords,
			    view_is_recent(s->view, m->uid));
			out_printf(s, "FLAGS %s", buf_cstr(tmp));
			break;
		case FI_INTERNALDATE:
			mime_date_imap_format((time_t)m->internaldate, 0, tmp);
			out_printf(s, "INTERNALDATE \"%s\"", buf_cstr(tmp));
			break;
		case FI_SIZE:
			out_printf(s, "RFC822.SIZE %" PRIu64, m->size);
			break;
		case FI_UID:
			out_printf(s, "UID %u", m->uid);
			break;
		case FI_MODSEQ:
			out_printf(s, "MODSEQ (%" PRIu64 ")", m->modseq);
			break;
		case FI_ENVELOPE:
			out_printf(s, "ENVELOPE %s", m->envelope ?
			    m->envelope : "NIL");
			break;
		case FI_BODYSTRUCTURE:
			out_printf(s, "BODYSTRUCTURE %s", m->bodystructure ?
			    m->bodystructure : "NIL");
			break;
		case FI_BODY:
			if (tree != NULL)
				mime_imap_bodystructure(tree, 0, 0, tmp);
			out_printf(s, "BODY %s", tmp->len ? buf_cstr(tmp) :
			    "NIL");
			break;
		case FI_RFC822:
			send_buf_literal(s, "RFC822", msg);
			break;
		case FI_RFC822_HEADER:
			if (tree == NULL || mime_imap_section_fetch(tree,
			    "HEADER", 6, tmp, &err) == -1)
				buf_reset(tmp);
			send_buf_literal(s, "RFC822.HEADER", tmp);
			break;
		case FI_RFC822_TEXT:
			if (tree == NULL || mime_imap_section_fetch(tree,
			    "TEXT", 4, tmp, &err) == -1)
				buf_reset(tmp);
			send_buf_literal(s, "RFC822.TEXT", tmp);
			break;
		case FI_SECTION:
			if (it->spec[0] == '\0') {
				send_section(s, it, msg->data ? msg->data : "",
				    msg->len);
				break;
			}
			if (tree == NULL || mime_imap_section_fetch(tree,
			    it->spec, strlen(it->spec), tmp, &err) == -1)
				buf_reset(tmp);	/* no such part: "" */
			send_section(s, it, tmp->data ? tmp->data : "",
			    tmp->len);
			break;
		}
	}
	if (f->modseq) {
		if (!has_kind(f, FI_MODSEQ))
			out_printf(s, "%sMODSEQ (%" PRIu64 ")", sp ? " " : "",
			    m->modseq);
	}
	out_printf(s, ")\r\n");
}

/*
 * Fills the ENVELOPE and BODYSTRUCTURE of m from tree, and the store's
 * cache when save. Each cache write is a durable index transaction
 * (about a millisecond), more than parsing the message again costs, so
 * one FETCH saves at most FETCH_CACHE_WRITES; later FETCHes fill more.
 */
static void
cache_fill(struct imapd_session *s, struct imapd_msgmeta *m,
    const struct mime_tree *tree, bool save)
{
	struct buf env, bs;
	const char *err;

	buf_init(&env, VIEW_MAX);
	buf_init(&bs, VIEW_MAX);
	if (mime_imap_envelope(tree, 0, &env) == 0 &&
	    mime_imap_bodystructure(tree, 0, 1, &bs) == 0) {
		free(m->envelope);
		free(m->bodystructure);
		m->envelope = buf_steal(&env, NULL);
		m->bodystructure = buf_steal(&bs, NULL);
		if (save && store_msg_cache_set(s->view->mbox, m->uid,
		    m->envelope, m->bodystructure, &err) == -1)
			log_warnx("imap: %s: cache: %s", s->user, err);
	}
	buf_free(&env);
	buf_free(&bs);
}

/* A FETCH in progress: it pauses when the output is big, so a client
 * fetching a whole mailbox costs a bounded amount of memory. */
struct fetch_run {
	struct fetch		 f;
	struct imapd_msgmeta	*m;
	size_t			 nm, i, nsaved;
	bool			 need_cache;
	bool			 uid;
	char			 tag[IMAPD_TAG_MAX + 1];
	struct buf		 msg, tmp;
};

void
fetch_run_free(struct fetch_run **rp)
{
	struct fetch_run *r = *rp;

	if (r == NULL)
		return;
	msgmeta_free(r->m, r->nm);
	buf_free(&r->msg);
	buf_free(&r->tmp);
	free(r);
	*rp = NULL;
}

/* Sends responses from message r->i on: true when all are sent, false
 * when it paused for the output to drain. */
static bool
fetch_loop(struct imapd_session *s, struct fetch_run *r)
{
	struct fetch *f = &r->f;
	const char *err = NULL;

	for (; r->i < r->nm; r->i++) {
		struct imapd_msgmeta *m = &r->m[r->i];
		struct mime_tree *tree = NULL;
		bool seen_now = false, tree_needed = f->need_tree;
		int rr = 1;

		if (s->out.len >= IMAPD_OUT_CHUNK)
			return false;
		if (r->need_cache && (m->envelope == NULL ||
		    m->bodystructure == NULL))
			tree_needed = true;
		if (f->need_msg || tree_needed)
			rr = view_read(s, m->uid, &r->msg);
		if (rr == 0)
			continue;	/* expunged meanwhile */
		if (rr == -1) {
			log_warnx("imap: %s: cannot read UID %u", s->user,
			    m->uid);
			continue;
		}
		if (tree_needed && mime_tree_parse(r->msg.data ? r->msg.data :
		    "", r->msg.len, NULL, &tree, &err) == -1)
			tree = NULL;
		if (tree != NULL && r->need_cache && (m->envelope == NULL ||
		    m->bodystructure == NULL))
			cache_fill(s, m, tree, r->nsaved++ <
			    FETCH_CACHE_WRITES);
		/* §6.4.5: BODY[...] without PEEK sets \Seen. */
		if (f->sets_seen && !s->view->readonly &&
		    !(m->flags & STORE_FLAG_SEEN)) {
			uint64_t ms;

			if (store_msg_flags(s->view->mbox, m->uid,
			    STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, &ms,
			    &err) == 1) {
				m->flags |= STORE_FLAG_SEEN;
				m->modseq = ms;
				seen_now = true;
				view_own_change(s->view, m->uid, ms);
			}
		}
		/* §7.4.2: a FLAGS change goes with the response. */
		if (seen_now && !has_kind(f, FI_FLAGS) && f->n <
		    FETCH_ITEMS_MAX) {
			f->items[f->n++].kind = FI_FLAGS;
			fetch_one(s, r->uid, f, m, &r->msg, tree, &r->tmp);
			f->n--;
		} else
			fetch_one(s, r->uid, f, m, &r->msg, tree, &r->tmp);
		mime_tree_free(&tree);
		if (s->action != IMAPD_ACT_NONE)
			break;
	}
	/* Big message buffers are not kept between commands. */
	buf_free(&r->msg);
	buf_free(&r->tmp);
	return true;
}

void
fetch_resume(struct imapd_session *s)
{
	struct fetch_run *r = s->fetch;

	if (!fetch_loop(s, r)) {
		s->action = IMAPD_ACT_FLUSH;
		return;
	}
	if (s->view != NULL)
		view_sync(s, r->uid);
	session_tagged(s, r->tag, "OK", "FETCH completed");
	fetch_run_free(&s->fetch);
}

void
cmd_fetch(struct imapd_session *s, struct imapd_cmdctx *c)
{
	struct imapd_seqset set = { NULL, 0 };
	const struct imapd_tok *t = arg_next(c);
	struct fetch_run *r = xcalloc(1, sizeof(*r));
	struct fetch *f = &r->f;
	const char *err = NULL;
	size_t j;

	buf_init(&r->msg, STORE_MSG_MAX + 65536);
	buf_init(&r->tmp, STORE_MSG_MAX + 65536);
	r->uid = c->uid;
	strlcpy_(r->tag, c->tag, sizeof(r->tag));
	if (t == NULL || t->type != IMAPD_TOK_ATOM ||
	    seqset_parse(t->s, &set) == -1 || parse_fetch(c, f) == -1) {
		reply(c, "BAD", "FETCH set items");
		goto out;
	}
	for (j = 0; j < f->n; j++)
		if (f->items[j].kind == FI_ENVELOPE ||
		    f->items[j].kind == FI_BODYSTRUCTURE)
			r->need_cache = true;
		else if (f->items[j].kind == FI_BODY)
			f->need_tree = f->need_msg = true;
	if (f->modseq)
		s->condstore = true;	/* RFC 7162 §3.1: enables it */
	if (view_select(s, &set, c->uid, f->changedsince, r->need_cache,
	    &r->m, &r->nm, &err) == -1) {
		reply(c, "NO", "[SERVERBUG] %s", err);
		goto out;
	}
	if (!fetch_loop(s, r)) {
		/* The rest goes out as the client reads (IMAPD_ACT_FLUSH). */
		c->pending = true;
		s->fetch = r;
		s->action = IMAPD_ACT_FLUSH;
		seqset_free(&set);
		return;
	}
	reply(c, "OK", "FETCH completed");
out:
	seqset_free(&set);
	fetch_run_free(&r);
}
