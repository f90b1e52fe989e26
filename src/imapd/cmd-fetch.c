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

#include "imapd/fetch.h"
#include "imapd/imapd-private.h"
#include "lib/log.h"
#include "lib/util.h"
#include "mime/date.h"
#include "mime/imapview.h"
#include "mime/tree.h"

#define VIEW_MAX	(16 * 1024 * 1024)	/* one ENVELOPE/BODYSTRUCTURE */
#define FETCH_CACHE_WRITES	64	/* cache rows one FETCH writes */

/* A section's bytes, cut by <partial>, as a literal (or "" / NIL). */
static void
send_section(struct imapd_session *s, const struct imapd_fitem *it,
    const char *data, size_t len)
{
	imapd_fetch_partial(it, &data, &len);
	if (it->partial)
		out_printf(s, "BODY[%s]<%" PRIu64 "> ", it->spec, it->off);
	else
		out_printf(s, "BODY[%s] ", it->spec);
	out_printf(s, "{%zu}\r\n", len);
	out_write(s, data, len);
}

/* The part a section-binary names ("1.2"), or MIME_PART_NONE. Numbers
 * go into multiparts; a non-multipart body is its own part 1; a
 * message/rfc822 part is entered first (RFC 3501 §6.4.5 numbering). */
static size_t
binary_part(const struct mime_tree *t, const char *spec)
{
	size_t cur = 0;
	bool is_msg = true;

	while (*spec != '\0') {
		const struct mime_part *p = mime_tree_part(t, cur);
		unsigned long n = strtoul(spec, (char **)&spec, 10);

		if (*spec == '.')
			spec++;
		if (!is_msg && (p->flags & MIME_PART_F_MESSAGE)) {
			cur = p->first_child;
			p = mime_tree_part(t, cur);
		}
		if (p->flags & MIME_PART_F_MULTIPART) {
			size_t c = p->first_child;

			while (c != MIME_PART_NONE && --n > 0)
				c = mime_tree_part(t, c)->next;
			if (c == MIME_PART_NONE)
				return MIME_PART_NONE;
			cur = c;
		} else if (n != 1)
			return MIME_PART_NONE;
		is_msg = false;
	}
	return cur;
}

/* BINARY[part] and BINARY.SIZE[part] (RFC 3516 §4.2): the part's body
 * with its Content-Transfer-Encoding undone; a literal8 when it holds
 * NULs. A part that does not exist is NIL. */
static void
send_binary(struct imapd_session *s, const struct imapd_fitem *it,
    const struct buf *msg, const struct mime_tree *tree, struct buf *tmp)
{
	const char *data = "", *err;
	size_t len = 0, part = 0;
	bool ok = true;

	buf_reset(tmp);
	if (it->spec[0] == '\0') {
		data = msg->data ? msg->data : "";
		len = msg->len;
	} else if (tree == NULL || (part = binary_part(tree, it->spec)) ==
	    MIME_PART_NONE || mime_part_decode(tree, mime_tree_part(tree,
	    part), tmp, &err) == -1)
		ok = false;
	else {
		data = tmp->data ? tmp->data : "";
		len = tmp->len;
	}
	if (it->kind == IMAPD_FI_BINARY_SIZE) {
		out_printf(s, "BINARY.SIZE[%s] %zu", it->spec, len);
		return;
	}
	imapd_fetch_partial(it, &data, &len);
	if (it->partial)
		out_printf(s, "BINARY[%s]<%" PRIu64 "> ", it->spec, it->off);
	else
		out_printf(s, "BINARY[%s] ", it->spec);
	if (!ok) {
		out_printf(s, "NIL");
		return;
	}
	out_printf(s, "%s{%zu}\r\n", memchr(data, '\0', len) ? "~" : "",
	    len);
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
    const struct imapd_fetch *f, struct imapd_msgmeta *m, const struct buf *msg,
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
		const struct imapd_fitem *it = &f->items[i];
		const char *err;

		if (it->kind == IMAPD_FI_UID && uid)
			continue;
		if (sp)
			out_printf(s, " ");
		sp = true;
		buf_reset(tmp);
		switch (it->kind) {
		case IMAPD_FI_FLAGS:
			flags_format(tmp, m->flags, m->keywords,
			    view_is_recent(s->view, m->uid));
			out_printf(s, "FLAGS %s", buf_cstr(tmp));
			break;
		case IMAPD_FI_INTERNALDATE:
			mime_date_imap_format((time_t)m->internaldate, 0, tmp);
			out_printf(s, "INTERNALDATE \"%s\"", buf_cstr(tmp));
			break;
		case IMAPD_FI_SIZE:
			out_printf(s, "RFC822.SIZE %" PRIu64, m->size);
			break;
		case IMAPD_FI_UID:
			out_printf(s, "UID %u", m->uid);
			break;
		case IMAPD_FI_MODSEQ:
			out_printf(s, "MODSEQ (%" PRIu64 ")", m->modseq);
			break;
		case IMAPD_FI_ENVELOPE:
			out_printf(s, "ENVELOPE %s", m->envelope ?
			    m->envelope : "NIL");
			break;
		case IMAPD_FI_BODYSTRUCTURE:
			out_printf(s, "BODYSTRUCTURE %s", m->bodystructure ?
			    m->bodystructure : "NIL");
			break;
		case IMAPD_FI_BODY:
			if (tree != NULL)
				mime_imap_bodystructure(tree, 0, 0, tmp);
			out_printf(s, "BODY %s", tmp->len ? buf_cstr(tmp) :
			    "NIL");
			break;
		case IMAPD_FI_RFC822:
			send_buf_literal(s, "RFC822", msg);
			break;
		case IMAPD_FI_RFC822_HEADER:
			if (tree == NULL || mime_imap_section_fetch(tree,
			    "HEADER", 6, tmp, &err) == -1)
				buf_reset(tmp);
			send_buf_literal(s, "RFC822.HEADER", tmp);
			break;
		case IMAPD_FI_RFC822_TEXT:
			if (tree == NULL || mime_imap_section_fetch(tree,
			    "TEXT", 4, tmp, &err) == -1)
				buf_reset(tmp);
			send_buf_literal(s, "RFC822.TEXT", tmp);
			break;
		case IMAPD_FI_SECTION:
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
		case IMAPD_FI_BINARY:
		case IMAPD_FI_BINARY_SIZE:
			send_binary(s, it, msg, tree, tmp);
			break;
		}
	}
	if (f->modseq) {
		if (!imapd_fetch_has(f, IMAPD_FI_MODSEQ))
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
	struct imapd_fetch		 f;
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
	struct imapd_fetch *f = &r->f;
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
			rr = view_read_meta(s, m, &r->msg);
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
		if (seen_now && !imapd_fetch_has(f, IMAPD_FI_FLAGS) && f->n <
		    IMAPD_FETCH_ITEMS_MAX) {
			f->items[f->n++].kind = IMAPD_FI_FLAGS;
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
	struct imapd_fetch *f = &r->f;
	const char *err = NULL;
	size_t j;

	buf_init(&r->msg, STORE_MSG_MAX + 65536);
	buf_init(&r->tmp, STORE_MSG_MAX + 65536);
	r->uid = c->uid;
	strlcpy_(r->tag, c->tag, sizeof(r->tag));
	if (t == NULL || t->type != IMAPD_TOK_ATOM ||
	    seqset_parse(t->s, &set) == -1 || imapd_fetch_parse_args(c, f) == -1) {
		reply(c, "BAD", "FETCH set items");
		goto out;
	}
	for (j = 0; j < f->n; j++)
		if (f->items[j].kind == IMAPD_FI_ENVELOPE ||
		    f->items[j].kind == IMAPD_FI_BODYSTRUCTURE)
			r->need_cache = true;
		else if (f->items[j].kind == IMAPD_FI_BODY)
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
