/*
 * cmd-mailbox.c: commands on whole mailboxes: SELECT, EXAMINE, CREATE,
 * DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS (RFC 3501 §6.3; RFC 7162
 * CONDSTORE for SELECT and STATUS). Run by the imap role process.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd-private.h"
#include "lib/log.h"
#include "lib/util.h"

#define MBOX_ARG_MAX	(STORE_FOLDER_NAME_MAX * 2 + 2)

static bool
is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

void
cmd_select(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char name[MBOX_ARG_MAX];
	bool readonly = strcmp(c->name, "EXAMINE") == 0;
	const struct imapd_tok *t;
	const char *err = NULL;
	int r;

	if (session_mailbox_arg(c, name, sizeof(name)) == -1) {
		reply(c, "BAD", "%s mailbox", c->name);
		return;
	}
	/* RFC 7162 §3.1.8: SELECT mailbox (CONDSTORE) */
	if ((t = arg_next(c)) != NULL) {
		if (t->type != IMAPD_TOK_LIST_START) {
			reply(c, "BAD", "Unexpected argument");
			return;
		}
		while ((t = arg_next(c)) != NULL &&
		    t->type != IMAPD_TOK_LIST_END)
			if (imapd_tok_is(t, "CONDSTORE"))
				s->condstore = true;
			else {
				reply(c, "BAD", "Unknown SELECT parameter");
				return;
			}
	}
	/* §6.3.1: a failed SELECT leaves no mailbox selected. */
	view_close(s);
	s->state = IMAPD_STATE_AUTH;
	r = view_open(s, name, readonly, &err);
	if (r == 0) {
		reply(c, "NO", "[NONEXISTENT] No such mailbox");
		return;
	}
	if (r == -1) {
		reply(c, "NO", "[SERVERBUG] %s", err ? err : "Cannot open");
		return;
	}
	s->state = IMAPD_STATE_SELECTED;
	reply(c, "OK", "[%s] %s completed", readonly ? "READ-ONLY" :
	    "READ-WRITE", c->name);
}

void
cmd_create(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char name[MBOX_ARG_MAX];
	const char *err = NULL;

	if (session_mailbox_arg(c, name, sizeof(name)) == -1 ||
	    !arg_end(c)) {
		reply(c, "BAD", "CREATE mailbox");
		return;
	}
	if (is_inbox(name)) {
		reply(c, "NO", "[ALREADYEXISTS] INBOX always exists");
		return;
	}
	if (strpbrk(name, "%*") != NULL) {
		/* LIST could never name it on its own (§6.3.8). */
		reply(c, "NO", "[CANNOT] Wildcards are not allowed in names");
		return;
	}
	errno = 0;
	if (store_folder_create(s->store, s->user, name, &err) == -1) {
		if (errno == EEXIST)
			reply(c, "NO", "[ALREADYEXISTS] Mailbox exists");
		else
			reply(c, "NO", "[CANNOT] %s", err ? err : "Cannot "
			    "create");
		return;
	}
	reply(c, "OK", "CREATE completed");
}

void
cmd_delete(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char name[MBOX_ARG_MAX];
	const char *err = NULL;
	int r;

	if (session_mailbox_arg(c, name, sizeof(name)) == -1 ||
	    !arg_end(c)) {
		reply(c, "BAD", "DELETE mailbox");
		return;
	}
	if (is_inbox(name)) {
		reply(c, "NO", "[CANNOT] INBOX cannot be deleted");
		return;
	}
	if (s->view != NULL && strcmp(s->view->name, name) == 0) {
		view_close(s);
		s->state = IMAPD_STATE_AUTH;
	}
	/* §6.3.4: children stay; the name then has \Noselect. */
	r = store_folder_delete(s->store, s->user, name, false, &err);
	if (r == 0)
		reply(c, "NO", "[NONEXISTENT] No such mailbox");
	else if (r == -1)
		reply(c, "NO", "[CANNOT] %s", err ? err : "Cannot delete");
	else
		reply(c, "OK", "DELETE completed");
}

/* §6.3.5: renaming INBOX moves its messages to a new mailbox and leaves
 * INBOX empty. */
static void
rename_inbox(struct imapd_session *s, struct imapd_cmdctx *c, const char *to)
{
	struct store_mbox *src = NULL, *dst = NULL;
	struct store_msg_iter *it;
	const struct store_msg *m;
	uint32_t *uids = NULL;
	size_t n = 0, cap = 0, i;
	const char *err = NULL;
	int r;

	errno = 0;
	if (store_folder_create(s->store, s->user, to, &err) == -1) {
		reply(c, "NO", "%s%s", errno == EEXIST ? "[ALREADYEXISTS] " :
		    "[CANNOT] ", err ? err : "Cannot create");
		return;
	}
	if (store_mbox_open(s->store, s->user, "INBOX", &src, &err) != 1 ||
	    store_mbox_open(s->store, s->user, to, &dst, &err) != 1 ||
	    store_msg_iter_new(src, 1, 0, 0, &it, &err) == -1)
		goto fail;
	while ((r = store_msg_iter_next(it, &m, &err)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			uids = xreallocarray(uids, cap, sizeof(*uids));
		}
		uids[n++] = m->uid;
	}
	store_msg_iter_free(&it);
	if (r == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (store_msg_move(src, uids[i], dst, NULL, &err) == -1)
			goto fail;
	free(uids);
	store_mbox_close(&src);
	store_mbox_close(&dst);
	reply(c, "OK", "RENAME completed");
	return;
fail:
	free(uids);
	store_mbox_close(&src);
	store_mbox_close(&dst);
	reply(c, "NO", "[SERVERBUG] %s", err ? err : "Rename failed");
}

void
cmd_rename(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char from[MBOX_ARG_MAX], to[MBOX_ARG_MAX];
	const char *err = NULL;
	int r;

	if (session_mailbox_arg(c, from, sizeof(from)) == -1 ||
	    session_mailbox_arg(c, to, sizeof(to)) == -1 || !arg_end(c)) {
		reply(c, "BAD", "RENAME from to");
		return;
	}
	if (is_inbox(to)) {
		reply(c, "NO", "[ALREADYEXISTS] INBOX exists");
		return;
	}
	if (strpbrk(to, "%*") != NULL) {
		reply(c, "NO", "[CANNOT] Wildcards are not allowed in names");
		return;
	}
	if (is_inbox(from)) {
		rename_inbox(s, c, to);
		return;
	}
	if (store_folder_exists(s->store, s->user, to, &err) == 1) {
		reply(c, "NO", "[ALREADYEXISTS] Target exists");
		return;
	}
	if (s->view != NULL && strcmp(s->view->name, from) == 0) {
		view_close(s);
		s->state = IMAPD_STATE_AUTH;
	}
	r = store_folder_rename(s->store, s->user, from, to, &err);
	if (r == 0)
		reply(c, "NO", "[NONEXISTENT] No such mailbox");
	else if (r == -1)
		reply(c, "NO", "[CANNOT] %s", err ? err : "Cannot rename");
	else
		reply(c, "OK", "RENAME completed");
}

void
cmd_subscribe(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char name[MBOX_ARG_MAX], canon[STORE_FOLDER_NAME_MAX + 1];
	bool sub = strcmp(c->name, "SUBSCRIBE") == 0;
	const char *err;
	char **names;
	size_t n, i;

	if (session_mailbox_arg(c, name, sizeof(name)) == -1 ||
	    !arg_end(c)) {
		reply(c, "BAD", "%s mailbox", c->name);
		return;
	}
	if (store_folder_name_check(name, strlen(name), canon, sizeof(canon),
	    &err) == -1) {
		reply(c, "NO", "[CANNOT] %s", err);
		return;
	}
	if (subs_load(s, &names, &n) == -1) {
		reply(c, "NO", "[SERVERBUG] Cannot read subscriptions");
		return;
	}
	for (i = 0; i < n; i++)
		if (strcmp(names[i], canon) == 0)
			break;
	if (sub && i == n) {
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(canon);
	} else if (!sub && i < n) {
		free(names[i]);
		names[i] = names[--n];
	}
	if (subs_save(s, names, n) == -1)
		reply(c, "NO", "[SERVERBUG] Cannot save subscriptions");
	else
		reply(c, "OK", "%s completed", c->name);
	subs_free(names, n);
}

/* Messages with UID >= from: the \Recent count STATUS reports. */
static uint32_t
count_from(struct store_mbox *mbox, uint32_t from)
{
	struct store_msg_iter *it;
	const struct store_msg *m;
	const char *err;
	uint32_t n = 0;

	if (store_msg_iter_new(mbox, from ? from : 1, 0, 0, &it, &err) == -1)
		return 0;
	while (store_msg_iter_next(it, &m, &err) == 1)
		n++;
	store_msg_iter_free(&it);
	return n;
}

static bool
status_item_ok(const char *k)
{
	static const char *const items[] = { "MESSAGES", "RECENT", "UIDNEXT",
	    "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "HIGHESTMODSEQ" };
	size_t i;

	for (i = 0; i < nitems(items); i++)
		if (strcasecmp(k, items[i]) == 0)
			return true;
	return false;
}

void
cmd_status(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char name[MBOX_ARG_MAX];
	struct store_mbox *mbox;
	struct store_mbox_status st;
	const struct imapd_tok *t;
	const char *err = NULL;
	bool sp = false;
	size_t start;
	int r;

	if (session_mailbox_arg(c, name, sizeof(name)) == -1 ||
	    (t = arg_next(c)) == NULL || t->type != IMAPD_TOK_LIST_START) {
		reply(c, "BAD", "STATUS mailbox (items)");
		return;
	}
	start = c->pos;
	while ((t = arg_next(c)) != NULL && t->type == IMAPD_TOK_ATOM)
		if (!status_item_ok(t->s)) {
			reply(c, "BAD", "Unknown status item %s", t->s);
			return;
		}
	if (t == NULL || t->type != IMAPD_TOK_LIST_END || !arg_end(c)) {
		reply(c, "BAD", "STATUS mailbox (items)");
		return;
	}
	r = store_mbox_open(s->store, s->user, name, &mbox, &err);
	if (r == 0) {
		reply(c, "NO", "[NONEXISTENT] No such mailbox");
		return;
	}
	if (r == -1 || store_mbox_status(mbox, &st, &err) == -1) {
		store_mbox_close(&mbox);
		reply(c, "NO", "[CANNOT] %s", err ? err : "Cannot open");
		return;
	}
	out_printf(s, "* STATUS ");
	out_string(s, name, strlen(name));
	out_printf(s, " (");
	for (c->pos = start; (t = arg_next(c))->type == IMAPD_TOK_ATOM; ) {
		const char *k = t->s;

		if (sp)
			out_printf(s, " ");
		sp = true;
		if (strcasecmp(k, "MESSAGES") == 0)
			out_printf(s, "MESSAGES %u", st.exists);
		else if (strcasecmp(k, "RECENT") == 0)
			out_printf(s, "RECENT %u", count_from(mbox,
			    view_recent_floor(mbox)));
		else if (strcasecmp(k, "UIDNEXT") == 0)
			out_printf(s, "UIDNEXT %u", st.uidnext);
		else if (strcasecmp(k, "UIDVALIDITY") == 0)
			out_printf(s, "UIDVALIDITY %u", st.uidvalidity);
		else if (strcasecmp(k, "UNSEEN") == 0)
			out_printf(s, "UNSEEN %u", st.unseen);
		else if (strcasecmp(k, "DELETED") == 0)
			out_printf(s, "DELETED %u", st.deleted);
		else if (strcasecmp(k, "SIZE") == 0)
			out_printf(s, "SIZE %" PRIu64, st.bytes);
		else if (strcasecmp(k, "HIGHESTMODSEQ") == 0)
			out_printf(s, "HIGHESTMODSEQ %" PRIu64,
			    st.highestmodseq);
	}
	out_printf(s, ")\r\n");
	store_mbox_close(&mbox);
	reply(c, "OK", "STATUS completed");
}
