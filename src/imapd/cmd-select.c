/*
 * cmd-select.c: commands on the selected mailbox that change it: CHECK,
 * CLOSE, UNSELECT (RFC 3691), EXPUNGE and UID EXPUNGE (RFC 4315), STORE
 * with UNCHANGEDSINCE (RFC 7162), COPY with COPYUID and MOVE (RFC 6851).
 * FETCH and SEARCH live in their own files. Run by the imap role process.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd-private.h"
#include "lib/log.h"
#include "lib/util.h"

void
cmd_check(struct imapd_session *s, struct imapd_cmdctx *c)
{
	(void)s;
	reply(c, "OK", "CHECK completed");
}

void
cmd_close(struct imapd_session *s, struct imapd_cmdctx *c)
{
	const char *err;
	uint32_t *uids;
	size_t n;

	/* §6.4.2: CLOSE expunges silently; UNSELECT does not. */
	if (strcmp(c->name, "CLOSE") == 0 && !s->view->readonly) {
		if (store_mbox_expunge_deleted(s->view->mbox, &uids, &n,
		    &err) == 0)
			free(uids);
		else
			log_warnx("imap: %s: close: %s", s->user, err);
	}
	view_close(s);
	s->state = IMAPD_STATE_AUTH;
	reply(c, "OK", "%s completed", c->name);
}

static int
seqset_arg(struct imapd_cmdctx *c, struct imapd_seqset *set)
{
	const struct imapd_tok *t = arg_next(c);

	if (t == NULL || t->type != IMAPD_TOK_ATOM)
		return -1;
	/* "$" (RFC 5182 saved search) is not offered. */
	return seqset_parse(t->s, set);
}

void
cmd_expunge(struct imapd_session *s, struct imapd_cmdctx *c)
{
	struct imapd_seqset set = { NULL, 0 };
	struct imapd_msgmeta *m = NULL;
	const char *err = NULL;
	uint32_t *uids = NULL;
	size_t n = 0, nm = 0, i;

	if ((c->uid && seqset_arg(c, &set) == -1) || !arg_end(c)) {
		reply(c, "BAD", "%sEXPUNGE%s", c->uid ? "UID " : "",
		    c->uid ? " uid-set" : "");
		seqset_free(&set);
		return;
	}
	if (s->view->readonly) {
		reply(c, "NO", "[READ-ONLY] Mailbox is read-only");
		return;
	}
	if (c->uid) {
		/* RFC 4315 §2.1: only the named \Deleted messages. */
		if (view_select(s, &set, true, 0, false, &m, &nm, &err) == 0) {
			uids = xcalloc(nm + 1, sizeof(*uids));
			for (i = 0; i < nm; i++)
				if ((m[i].flags & STORE_FLAG_DELETED) &&
				    store_msg_expunge(s->view->mbox, m[i].uid,
				    &err) == 1)
					uids[n++] = m[i].uid;
			msgmeta_free(m, nm);
		}
		seqset_free(&set);
	} else if (store_mbox_expunge_deleted(s->view->mbox, &uids, &n,
	    &err) == -1) {
		reply(c, "NO", "[SERVERBUG] %s", err);
		return;
	}
	view_expunged_many(s, uids, n);
	free(uids);
	reply(c, "OK", "EXPUNGE completed");
}

void
cmd_store(struct imapd_session *s, struct imapd_cmdctx *c)
{
	struct imapd_seqset set = { NULL, 0 };
	struct imapd_msgmeta *m = NULL;
	const struct imapd_tok *t;
	enum store_flag_op op;
	uint64_t unchangedsince = 0;
	bool have_unch = false, silent;
	unsigned flags;
	struct buf kw, modified, fb;
	uint32_t *changed = NULL;
	size_t nm = 0, nchanged = 0, nmod = 0, i;
	const char *err = NULL, *item;

	buf_init(&kw, STORE_KEYWORDS_MAX);
	buf_init(&modified, 1 << 20);
	buf_init(&fb, STORE_KEYWORDS_MAX * 2);
	if (seqset_arg(c, &set) == -1 || (t = arg_next(c)) == NULL)
		goto bad;
	if (t->type == IMAPD_TOK_LIST_START) {
		/* RFC 7162 §3.1.3: (UNCHANGEDSINCE modseq) */
		if ((t = arg_next(c)) == NULL || !imapd_tok_is(t,
		    "UNCHANGEDSINCE") || (t = arg_next(c)) == NULL ||
		    t->type != IMAPD_TOK_ATOM)
			goto bad;
		unchangedsince = strtoull(t->s, NULL, 10);
		have_unch = true;
		if ((t = arg_next(c)) == NULL ||
		    t->type != IMAPD_TOK_LIST_END || (t = arg_next(c)) == NULL)
			goto bad;
	}
	if (t->type != IMAPD_TOK_ATOM)
		goto bad;
	item = t->s;
	op = STORE_FLAGS_SET;
	if (*item == '+' || *item == '-') {
		op = *item == '+' ? STORE_FLAGS_ADD : STORE_FLAGS_REMOVE;
		item++;
	}
	if (strcasecmp(item, "FLAGS") == 0)
		silent = false;
	else if (strcasecmp(item, "FLAGS.SILENT") == 0)
		silent = true;
	else
		goto bad;
	if (arg_flags(c, &flags, &kw) == -1 || !arg_end(c))
		goto bad;
	if (s->view->readonly) {
		reply(c, "NO", "[READ-ONLY] Mailbox is read-only");
		goto out;
	}
	if (view_select(s, &set, c->uid, 0, false, &m, &nm, &err) == -1) {
		reply(c, "NO", "[SERVERBUG] %s", err);
		goto out;
	}
	changed = xcalloc(nm + 1, sizeof(*changed));
	for (i = 0; i < nm; i++) {
		const char *k = kw.len > 0 ? buf_cstr(&kw) :
		    op == STORE_FLAGS_SET ? "" : NULL;
		uint64_t ms;

		if (have_unch && m[i].modseq > unchangedsince) {
			if (nmod++ > 0)
				buf_putc(&modified, ',');
			buf_printf(&modified, "%u", c->uid ? m[i].uid :
			    m[i].seq);
			continue;
		}
		if (store_msg_flags(s->view->mbox, m[i].uid, op, flags, k,
		    &ms, &err) == 1) {
			changed[nchanged++] = m[i].uid;
			/* .SILENT too: not reported back as someone else's */
			view_own_change(s->view, m[i].uid, ms);
		}
	}
	msgmeta_free(m, nm);
	m = NULL;
	if ((!silent || have_unch) && nchanged > 0) {
		struct imapd_seqset cs = { NULL, 0 };
		struct buf us;

		buf_init(&us, 1 << 22);
		uidset_format(&us, changed, nchanged);
		if (seqset_parse(buf_cstr(&us), &cs) == 0 &&
		    view_select(s, &cs, true, 0, false, &m, &nm, &err) == 0) {
			for (i = 0; i < nm; i++) {
				buf_reset(&fb);
				flags_format(&fb, m[i].flags, m[i].keywords,
				    view_is_recent(s->view, m[i].uid));
				out_printf(s, "* %u FETCH (FLAGS %s", m[i].seq,
				    buf_cstr(&fb));
				if (c->uid)
					out_printf(s, " UID %u", m[i].uid);
				if (s->condstore || have_unch)
					out_printf(s, " MODSEQ (%" PRIu64 ")",
					    m[i].modseq);
				out_printf(s, ")\r\n");
			}
			msgmeta_free(m, nm);
		}
		seqset_free(&cs);
		buf_free(&us);
	}
	if (nmod > 0)
		reply(c, "OK", "[MODIFIED %s] Conditional STORE failed",
		    buf_cstr(&modified));
	else
		reply(c, "OK", "STORE completed");
	goto out;
bad:
	reply(c, "BAD", "STORE set [(UNCHANGEDSINCE n)] [+-]FLAGS[.SILENT] "
	    "(flags)");
out:
	free(changed);
	seqset_free(&set);
	buf_free(&kw);
	buf_free(&modified);
	buf_free(&fb);
}

void
cmd_copy(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char name[STORE_FOLDER_NAME_MAX * 2 + 2];
	struct imapd_seqset set = { NULL, 0 };
	struct imapd_msgmeta *m = NULL;
	struct store_mbox *dst = NULL;
	struct store_mbox_status st;
	bool move = strcmp(c->name, "MOVE") == 0;
	uint32_t *src_uids = NULL, *dst_uids = NULL;
	size_t nm = 0, n = 0, i;
	const char *err = NULL;
	struct buf a, b;
	int r;

	if (seqset_arg(c, &set) == -1 ||
	    session_mailbox_arg(c, name, sizeof(name)) == -1 || !arg_end(c)) {
		reply(c, "BAD", "%s set mailbox", c->name);
		seqset_free(&set);
		return;
	}
	if (move && s->view->readonly) {
		reply(c, "NO", "[READ-ONLY] Mailbox is read-only");
		seqset_free(&set);
		return;
	}
	r = store_mbox_open(s->store, s->user, name, &dst, &err);
	if (r != 1) {
		reply(c, "NO", r == 0 ? "[TRYCREATE] No such mailbox" :
		    "[SERVERBUG] Cannot open mailbox");
		seqset_free(&set);
		return;
	}
	if (view_select(s, &set, c->uid, 0, false, &m, &nm, &err) == -1) {
		reply(c, "NO", "[SERVERBUG] %s", err);
		goto out;
	}
	src_uids = xcalloc(nm + 1, sizeof(*src_uids));
	dst_uids = xcalloc(nm + 1, sizeof(*dst_uids));
	for (i = 0; i < nm; i++) {
		uint32_t nu;

		r = move ? store_msg_move(s->view->mbox, m[i].uid, dst, &nu,
		    &err) : store_msg_copy(s->view->mbox, m[i].uid, dst, &nu,
		    &err);
		if (r == -1) {
			log_warnx("imap: %s: %s: %s", s->user, c->name, err);
			break;
		}
		if (r == 1) {
			src_uids[n] = m[i].uid;
			dst_uids[n++] = nu;
		}
	}
	if (r == -1 && !move) {
		reply(c, "NO", "[SERVERBUG] %s failed", c->name);
		goto out;
	}
	if (store_mbox_status(dst, &st, &err) == -1)
		st.uidvalidity = 0;
	buf_init(&a, 1 << 22);
	buf_init(&b, 1 << 22);
	uidset_format(&a, src_uids, n);
	uidset_format(&b, dst_uids, n);
	if (move) {
		/* RFC 6851 §4.3: COPYUID untagged, then the expunges. */
		if (n > 0)
			out_printf(s, "* OK [COPYUID %u %s %s] Moved\r\n",
			    st.uidvalidity, buf_cstr(&a), buf_cstr(&b));
		view_expunged_many(s, src_uids, n);
		reply(c, "OK", "MOVE completed");
	} else if (n > 0)
		reply(c, "OK", "[COPYUID %u %s %s] COPY completed",
		    st.uidvalidity, buf_cstr(&a), buf_cstr(&b));
	else
		reply(c, "OK", "COPY completed");
	buf_free(&a);
	buf_free(&b);
out:
	msgmeta_free(m, nm);
	free(src_uids);
	free(dst_uids);
	store_mbox_close(&dst);
	seqset_free(&set);
}
