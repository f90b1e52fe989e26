/*
 * cmd-append.c: APPEND (RFC 3501 §6.3.11) with flags, internal date and
 * the APPENDUID response code (RFC 4315 UIDPLUS). The message arrives as
 * a literal the parser bounded by max_message_size. Run by the imap role
 * process.
 */
#include <string.h>
#include <time.h>

#include "imapd/imapd-private.h"
#include "lib/log.h"
#include "mime/date.h"

void
cmd_append(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char name[STORE_FOLDER_NAME_MAX * 2 + 2];
	const struct imapd_tok *t, *msg = NULL;
	struct store_mbox *mbox;
	struct store_mbox_status st;
	unsigned flags = 0;
	struct buf kw;
	time_t when = 0;
	int tz, r;
	bool own;
	uint32_t uid;
	const char *err = NULL;

	buf_init(&kw, STORE_KEYWORDS_MAX);
	if (session_mailbox_arg(c, name, sizeof(name)) == -1)
		goto bad;
	t = arg_peek(c);
	if (t != NULL && t->type == IMAPD_TOK_LIST_START &&
	    arg_flags(c, &flags, &kw) == -1)
		goto bad;
	t = arg_next(c);
	if (t != NULL && t->type == IMAPD_TOK_QUOTED) {
		/* date-time (§9); the message must then follow */
		if (mime_date_imap_parse(t->s, t->len, &when, &tz, &err) ==
		    -1) {
			reply(c, "BAD", "Invalid date-time");
			goto out;
		}
		t = arg_next(c);
	}
	if (t == NULL || t->type != IMAPD_TOK_LITERAL || !arg_end(c))
		goto bad;
	msg = t;
	if (msg->len == 0) {
		reply(c, "NO", "Empty message");
		goto out;
	}
	/* Into the selected mailbox: its open handle saves an index open. */
	own = s->view != NULL && s->view->mbox != NULL &&
	    strcmp(s->view->name, name) == 0;
	if (own) {
		mbox = s->view->mbox;
		r = 1;
	} else
		r = store_mbox_open(s->store, s->user, name, &mbox, &err);
	if (r == 0) {
		reply(c, "NO", "[TRYCREATE] No such mailbox");
		goto out;
	}
	if (r == -1) {
		reply(c, "NO", "[CANNOT] %s", err ? err : "Cannot open");
		goto out;
	}
	if (store_msg_append(mbox, msg->s, msg->len, flags,
	    kw.len > 0 ? buf_cstr(&kw) : NULL, (int64_t)when, &uid,
	    &err) == -1 || store_mbox_status(mbox, &st, &err) == -1) {
		log_warnx("imap: %s: append: %s", s->user, err);
		reply(c, "NO", "[SERVERBUG] Cannot store the message");
		if (!own)
			store_mbox_close(&mbox);
		goto out;
	}
	if (!own)
		store_mbox_close(&mbox);
	reply(c, "OK", "[APPENDUID %u %u] APPEND completed", st.uidvalidity,
	    uid);
	goto out;
bad:
	reply(c, "BAD", "APPEND mailbox [(flags)] [date-time] literal");
out:
	buf_free(&kw);
}
