/*
 * cmd-search.c: SEARCH and UID SEARCH (RFC 3501 §6.4.4), with CHARSET
 * and the MODSEQ key and reply of RFC 7162 §3.1.5. Keys are parsed and
 * matched by search.c; this file walks the selected mailbox. Run by the
 * imap role process.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd-private.h"
#include "imapd/search.h"
#include "lib/util.h"
#include "mime/charset.h"

struct loader {
	struct imapd_session		*s;
	const struct imapd_msgmeta	*m;
	struct buf			*msg;
};

static int
load(void *arg, const char **data_out, size_t *len_out)
{
	struct loader *l = arg;
	int r = view_read_meta(l->s, l->m, l->msg);

	if (r == 1) {
		*data_out = l->msg->data ? l->msg->data : "";
		*len_out = l->msg->len;
	}
	return r;
}

void
cmd_search(struct imapd_session *s, struct imapd_cmdctx *c)
{
	struct imapd_seqset all = { NULL, 0 };
	struct imapd_search *srch = NULL;
	struct imapd_msgmeta *m = NULL;
	const struct imapd_tok *t = arg_peek(c);
	struct loader ld;
	struct buf msg;
	size_t nm = 0, i;
	uint64_t maxmod = 0;
	const char *err = NULL;

	if (t != NULL && imapd_tok_is(t, "CHARSET")) {
		arg_next(c);
		t = arg_next(c);
		if (t == NULL || !imapd_tok_is_astring(t)) {
			reply(c, "BAD", "CHARSET needs a name");
			return;
		}
		/* Strings are compared as UTF-8; ASCII is a subset. */
		if (strcasecmp(t->s, "UTF-8") != 0 &&
		    strcasecmp(t->s, "US-ASCII") != 0) {
			reply(c, "NO", "[BADCHARSET (UTF-8 US-ASCII)] "
			    "Unsupported charset");
			return;
		}
	}
	if (imapd_search_parse(c->args + c->pos, c->nargs - c->pos, &srch,
	    &err) == -1) {
		reply(c, "BAD", "%s", err);
		return;
	}
	if (imapd_search_has_modseq(srch))
		s->condstore = true;
	seqset_parse("1:*", &all);
	if (view_select(s, &all, false, 0, false, &m, &nm, &err) == -1) {
		reply(c, "NO", "[SERVERBUG] %s", err);
		goto out;
	}
	buf_init(&msg, STORE_MSG_MAX + 65536);
	ld.s = s;
	ld.msg = &msg;
	out_printf(s, "* SEARCH");
	for (i = 0; i < nm; i++) {
		struct imapd_search_msg sm;

		memset(&sm, 0, sizeof(sm));
		sm.seq = m[i].seq;
		sm.uid = m[i].uid;
		sm.flags = m[i].flags;
		sm.keywords = m[i].keywords;
		sm.recent = view_is_recent(s->view, m[i].uid);
		sm.internaldate = m[i].internaldate;
		sm.size = m[i].size;
		sm.modseq = m[i].modseq;
		sm.nmsgs = (uint32_t)s->view->n;
		sm.maxuid = s->view->n ? s->view->uids[s->view->n - 1] : 0;
		ld.m = &m[i];
		sm.load = load;
		sm.load_arg = &ld;
		if (imapd_search_match(srch, &sm) == 1) {
			out_printf(s, " %u", c->uid ? m[i].uid : m[i].seq);
			if (m[i].modseq > maxmod)
				maxmod = m[i].modseq;
		}
	}
	if (imapd_search_has_modseq(srch) && maxmod > 0)
		out_printf(s, " (MODSEQ %" PRIu64 ")", maxmod);
	out_printf(s, "\r\n");
	buf_free(&msg);
	reply(c, "OK", "SEARCH completed");
out:
	msgmeta_free(m, nm);
	seqset_free(&all);
	imapd_search_free(&srch);
}
