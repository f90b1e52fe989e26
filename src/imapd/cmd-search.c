/*
 * cmd-search.c: SEARCH and UID SEARCH (RFC 3501 §6.4.4), with CHARSET,
 * the MODSEQ key and reply of RFC 7162 §3.1.5, and the RETURN options
 * of ESEARCH (RFC 4731: MIN, MAX, ALL, COUNT). Keys are parsed and
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

/* RFC 4731 §3.1 result options. */
#define RET_MIN		0x01
#define RET_MAX		0x02
#define RET_ALL		0x04
#define RET_COUNT	0x08

/* "RETURN (...)" at the cursor, if there: 0 (options in *ret_out, 0 for
 * a plain SEARCH) or -1 (replied BAD). */
static int
parse_return(struct imapd_cmdctx *c, unsigned *ret_out)
{
	static const struct { const char *name; unsigned bit; } opts[] = {
		{ "MIN", RET_MIN }, { "MAX", RET_MAX }, { "ALL", RET_ALL },
		{ "COUNT", RET_COUNT },
	};
	const struct imapd_tok *t = arg_peek(c);
	unsigned ret = 0;
	size_t i;

	*ret_out = 0;
	if (t == NULL || !imapd_tok_is(t, "RETURN"))
		return 0;
	arg_next(c);
	if ((t = arg_next(c)) == NULL || t->type != IMAPD_TOK_LIST_START) {
		reply(c, "BAD", "RETURN needs a list of options");
		return -1;
	}
	while ((t = arg_next(c)) != NULL && t->type == IMAPD_TOK_ATOM) {
		for (i = 0; i < nitems(opts); i++)
			if (strcasecmp(t->s, opts[i].name) == 0)
				break;
		if (i == nitems(opts)) {
			reply(c, "BAD", "Unknown RETURN option %s", t->s);
			return -1;
		}
		ret |= opts[i].bit;
	}
	if (t == NULL || t->type != IMAPD_TOK_LIST_END) {
		reply(c, "BAD", "RETURN needs a list of options");
		return -1;
	}
	/* §3.1: RETURN () means RETURN (ALL). */
	*ret_out = ret != 0 ? ret : RET_ALL;
	return 0;
}

/* The ESEARCH response (RFC 4731 §3.1) for the matching numbers hits[]
 * (ascending): only what was asked for, MIN/MAX/ALL only when
 * something matched. */
static void
esearch_reply(struct imapd_session *s, struct imapd_cmdctx *c, unsigned ret,
    const uint32_t *hits, size_t n, bool modseq, uint64_t maxmod)
{
	struct buf all;

	out_printf(s, "* ESEARCH (TAG ");
	out_string(s, c->tag, strlen(c->tag));
	out_printf(s, ")%s", c->uid ? " UID" : "");
	if ((ret & RET_MIN) && n > 0)
		out_printf(s, " MIN %u", hits[0]);
	if ((ret & RET_MAX) && n > 0)
		out_printf(s, " MAX %u", hits[n - 1]);
	if ((ret & RET_ALL) && n > 0) {
		buf_init(&all, IMAPD_OUT_MAX);
		uidset_format(&all, hits, n);
		out_printf(s, " ALL %s", buf_cstr(&all));
		buf_free(&all);
	}
	if (ret & RET_COUNT)
		out_printf(s, " COUNT %zu", n);
	/* RFC 7162 §3.1.5 */
	if (modseq && n > 0)
		out_printf(s, " MODSEQ %" PRIu64, maxmod);
	out_printf(s, "\r\n");
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
	size_t nm = 0, i, nhits = 0;
	uint32_t *hits = NULL;
	uint64_t maxmod = 0;
	unsigned ret;
	const char *err = NULL;

	if (parse_return(c, &ret) == -1)
		return;
	t = arg_peek(c);
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
	if (ret == 0)
		out_printf(s, "* SEARCH");
	else
		hits = xreallocarray(NULL, nm ? nm : 1, sizeof(*hits));
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
			uint32_t num = c->uid ? m[i].uid : m[i].seq;

			if (hits != NULL)
				hits[nhits++] = num;
			else
				out_printf(s, " %u", num);
			if (m[i].modseq > maxmod)
				maxmod = m[i].modseq;
		}
	}
	if (hits != NULL)
		esearch_reply(s, c, ret, hits, nhits,
		    imapd_search_has_modseq(srch), maxmod);
	else {
		if (imapd_search_has_modseq(srch) && maxmod > 0)
			out_printf(s, " (MODSEQ %" PRIu64 ")", maxmod);
		out_printf(s, "\r\n");
	}
	free(hits);
	buf_free(&msg);
	reply(c, "OK", "SEARCH completed");
out:
	msgmeta_free(m, nm);
	seqset_free(&all);
	imapd_search_free(&srch);
}
