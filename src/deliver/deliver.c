/*
 * deliver.c: local delivery into Maildir INBOXes (see deliver.h).
 * Runs in the queue process.
 */
#include "deliver/deliver.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>

#include "lib/util.h"
#include "store/account.h"
#include "store/addr.h"
#include "store/alias.h"
#include "store/folder.h"
#include "store/mbox.h"
#include "store/store.h"

/* Scanning stops at the end of the header section or after this much. */
#define DELIVER_HEADER_SCAN_MAX	(256 * 1024)

/*
 * Whether the header section already holds "Delivered-To: user": the
 * message went round a loop (as qmail-local and Postfix local check).
 */
static bool
delivered_before(const char *msg, size_t len, const char *user)
{
	static const char field[] = "Delivered-To:";
	size_t ulen = strlen(user), flen = sizeof(field) - 1, i = 0;

	if (len > DELIVER_HEADER_SCAN_MAX)
		len = DELIVER_HEADER_SCAN_MAX;
	while (i < len) {
		const char *line = msg + i, *nl = memchr(line, '\n', len - i);
		size_t l = nl ? (size_t)(nl - line) : len - i;
		if (l > 0 && line[l - 1] == '\r')
			l--;
		if (l == 0)
			break;	/* the blank line ending the header */
		if (l >= flen && strncasecmp(line, field, flen) == 0) {
			const char *v = line + flen, *e = line + l;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if ((size_t)(e - v) == ulen &&
			    strncasecmp(v, user, ulen) == 0)
				return true;
		}
		if (nl == NULL)
			break;
		i += (size_t)(nl - line) + 1;
	}
	return false;
}

/* The message's line end, so the prepended lines match it. */
static const char *
line_end(const char *msg, size_t len)
{
	const char *nl = memchr(msg, '\n', len);

	return nl != NULL && nl > msg && nl[-1] != '\r' ? "\n" : "\r\n";
}

static bool
sender_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s) || *s == '<' || *s == '>')
			return false;
	return true;
}

/*
 * 1 when the message would take the INBOX past the user's quota (text
 * set: RFC 3463 4.2.2, the queue retries until the user makes room),
 * 0 when it fits or there is no quota, -1 on error (text set).
 */
static int
over_quota(struct store *store, struct store_mbox *mbox, const char *user,
    size_t len, char *text)
{
	struct store_mbox_status s;
	struct store_user u;
	const char *errstr;
	uint64_t quota;
	int r;

	if ((r = store_user_get(store, user, &u, &errstr)) != 1) {
		snprintf(text, DELIVER_TEXT_MAX, "4.3.0 %s: %s", user,
		    r == 0 ? "no such user" : errstr);
		return -1;
	}
	quota = u.quota;
	store_user_clear(&u);
	if (quota == 0)
		return 0;
	if (store_mbox_status(mbox, &s, &errstr) == -1) {
		snprintf(text, DELIVER_TEXT_MAX, "4.3.0 %s: %s", user, errstr);
		return -1;
	}
	if (s.bytes + len <= quota)
		return 0;
	snprintf(text, DELIVER_TEXT_MAX, "4.2.2 %s: mailbox full", user);
	return 1;
}

/*
 * A batch of staged deliveries (deliver.h): every local append of the
 * batch is written to tmp/ first, and deliver_batch_commit makes them all
 * durable with two file-system syncs.
 */
struct batch_item {
	char			*user;		/* whose INBOX */
	struct store_staged	*staged;
	uint64_t		 tag;
	bool			 ok;		/* published and synced */
};

struct deliver_batch {
	struct store		*store;
	struct batch_item	*items;
	size_t			 n, cap;
	uint64_t		 tag;		/* of the current caller */
	bool			 committed;
};

static enum deliver_status
mailbox(struct store *store, struct deliver_batch *b, const char *sender,
    const char *user, const void *msg, size_t len, char *text)
{
	struct store_mbox *mbox = NULL;
	struct iovec iov[2];
	const char *errstr;
	char *hdr;
	uint32_t uid;
	int r;

	if (!sender_ok(sender)) {
		snprintf(text, DELIVER_TEXT_MAX, "5.1.7 bad envelope sender");
		return DELIVER_PERMFAIL;
	}
	if (len > STORE_MSG_MAX) {
		snprintf(text, DELIVER_TEXT_MAX, "5.3.4 message too big");
		return DELIVER_PERMFAIL;
	}
	if (delivered_before(msg, len, user)) {
		snprintf(text, DELIVER_TEXT_MAX, "5.4.6 mail loop: already"
		    " delivered to %s", user);
		return DELIVER_PERMFAIL;
	}
	r = store_inbox_get(store, user, &mbox, &errstr);
	if (r == 0) {
		/* An account whose tree went missing: make it again (but
		 * not for a user deleted meanwhile). */
		if (store_user_get(store, user, NULL, &errstr) != 1) {
			snprintf(text, DELIVER_TEXT_MAX, "5.1.1 %s: no such"
			    " user here", user);
			return DELIVER_PERMFAIL;
		}
		if (store_folder_tree_init(store, user, &errstr) == 0)
			r = store_inbox_get(store, user, &mbox, &errstr);
		else
			r = -1;
		if (r == 0)
			errstr = "INBOX missing";
	}
	if (r != 1) {
		snprintf(text, DELIVER_TEXT_MAX, "4.3.0 %s: %s", user, errstr);
		return DELIVER_TEMPFAIL;
	}
	/* mbox belongs to the store's cache: never closed here. */
	if (over_quota(store, mbox, user, len, text) != 0)
		return DELIVER_TEMPFAIL;
	/* RFC 5321 §4.4: the final delivery adds Return-Path. */
	const char *eol = line_end(msg, len);
	hdr = xasprintf("Return-Path: <%s>%sDelivered-To: %s%s", sender, eol,
	    user, eol);
	iov[0].iov_base = hdr;
	iov[0].iov_len = strlen(hdr);
	iov[1].iov_base = (void *)msg;
	iov[1].iov_len = len;
	if (b != NULL) {
		struct store_staged *st;
		r = store_msg_stage_iov(mbox, iov, 2, 0, 0, &st, &errstr);
		free(hdr);
		if (r == -1) {
			snprintf(text, DELIVER_TEXT_MAX, "4.3.0 %s: %s", user,
			    errstr);
			return DELIVER_TEMPFAIL;
		}
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 64;
			b->items = xreallocarray(b->items, b->cap,
			    sizeof(*b->items));
		}
		/* Not the handle: the store's INBOX cache may close it
		 * before the commit; the commit opens it again. */
		b->items[b->n].user = xstrdup(user);
		b->items[b->n].staged = st;
		b->items[b->n].tag = b->tag;
		b->items[b->n].ok = false;
		b->n++;
		snprintf(text, DELIVER_TEXT_MAX, "2.0.0 staged for %s", user);
		return DELIVER_OK;
	}
	r = store_msg_append_iov(mbox, iov, 2, 0, NULL, 0, &uid, &errstr);
	free(hdr);
	if (r == -1) {
		snprintf(text, DELIVER_TEXT_MAX, "4.3.0 %s: %s", user, errstr);
		return DELIVER_TEMPFAIL;
	}
	snprintf(text, DELIVER_TEXT_MAX, "2.0.0 delivered to %s as UID %"
	    PRIu32, user, uid);
	return DELIVER_OK;
}

enum deliver_status
deliver_mailbox(struct store *store, const char *sender, const char *user,
    const void *msg, size_t len, char *text)
{
	return mailbox(store, NULL, sender, user, msg, len, text);
}

static void
report_set(struct deliver_report *out, enum deliver_status status,
    const char *fmt, const char *arg)
{
	out->status = status;
	snprintf(out->text, sizeof(out->text), fmt, arg);
}

static enum deliver_status
rcpt_deliver(struct store *store, struct deliver_batch *b, const char *sender,
    const char *rcpt, const void *msg, size_t len, struct deliver_report *out)
{
	struct store_expansion exp;
	const char *errstr;
	size_t nok = 0, ntemp = 0;
	int r;

	memset(out, 0, sizeof(*out));
	r = store_expand(store, rcpt, &exp, &errstr);
	if (r == -1) {
		out->status = DELIVER_TEMPFAIL;
		snprintf(out->text, sizeof(out->text), "4.3.0 %s", errstr);
		return out->status;
	}
	if (r == 0) {
		report_set(out, DELIVER_PERMFAIL, "5.1.1 %s: no such user"
		    " here", rcpt);
		return out->status;
	}
	if (exp.n == 0) {
		report_set(out, DELIVER_PERMFAIL, exp.truncated ?
		    "5.4.6 %s: alias expansion too deep or too wide" :
		    "5.1.1 %s: alias expands to no valid recipient", rcpt);
		store_expansion_free(&exp);
		return out->status;
	}
	out->results = xcalloc(exp.n, sizeof(*out->results));
	out->n = exp.n;
	for (size_t i = 0; i < exp.n; i++) {
		struct deliver_result *res = &out->results[i];
		res->address = xstrdup(exp.dests[i].address);
		if (exp.dests[i].kind == STORE_DEST_REMOTE) {
			res->status = DELIVER_FORWARD;
			snprintf(res->text, sizeof(res->text), "2.1.5 %s:"
			    " relay to remote member", res->address);
			nok++;
			continue;
		}
		res->status = mailbox(store, b, sender, res->address, msg, len,
		    res->text);
		if (res->status == DELIVER_OK)
			nok++;
		else if (res->status == DELIVER_TEMPFAIL)
			ntemp++;
	}
	store_expansion_free(&exp);
	if (ntemp > 0)
		report_set(out, DELIVER_TEMPFAIL, "4.3.0 %s: some mailboxes"
		    " failed; retry them", rcpt);
	else if (nok == 0)
		report_set(out, DELIVER_PERMFAIL, "5.0.0 %s: every"
		    " destination failed", rcpt);
	else
		report_set(out, DELIVER_OK, "2.0.0 %s: delivered", rcpt);
	return out->status;
}

enum deliver_status
deliver_rcpt(struct store *store, const char *sender, const char *rcpt,
    const void *msg, size_t len, struct deliver_report *out)
{
	return rcpt_deliver(store, NULL, sender, rcpt, msg, len, out);
}

struct deliver_batch *
deliver_batch_new(struct store *store)
{
	struct deliver_batch *b = xcalloc(1, sizeof(*b));

	b->store = store;
	return b;
}

enum deliver_status
deliver_batch_rcpt(struct deliver_batch *b, uint64_t tag, const char *sender,
    const char *rcpt, const void *msg, size_t len, struct deliver_report *out)
{
	b->tag = tag;
	return rcpt_deliver(b->store, b, sender, rcpt, msg, len, out);
}

enum deliver_status
deliver_batch_mailbox(struct deliver_batch *b, uint64_t tag,
    const char *sender, const char *user, const void *msg, size_t len,
    char *text)
{
	b->tag = tag;
	return mailbox(b->store, b, sender, user, msg, len, text);
}

int
deliver_batch_commit(struct deliver_batch *b, const char **errstr_out)
{
	struct store_staged **v;
	bool *seen;
	int r = 0;

	if (b->committed || b->n == 0) {
		b->committed = true;
		return 0;
	}
	b->committed = true;
	/* 1: the staged files' bytes are on disk before any is renamed. */
	if (store_sync(b->store, errstr_out) == -1)
		return -1;
	/* 2: one transaction per INBOX for all its messages. */
	v = xcalloc(b->n, sizeof(*v));
	seen = xcalloc(b->n, sizeof(*seen));
	for (size_t i = 0; i < b->n; i++) {
		struct store_mbox *mbox;
		const char *errstr;
		size_t k = 0;
		bool ok;

		if (seen[i])
			continue;
		for (size_t j = i; j < b->n; j++)
			if (!seen[j] && strcmp(b->items[j].user,
			    b->items[i].user) == 0) {
				v[k++] = b->items[j].staged;
				seen[j] = true;
			}
		ok = store_inbox_get(b->store, b->items[i].user, &mbox,
		    &errstr) == 1 &&
		    store_msg_publish(mbox, v, k, NULL, &errstr) == 0;
		if (!ok) {
			r = -1;
			if (errstr_out != NULL)
				*errstr_out = errstr;
		}
		for (size_t j = i; j < b->n; j++)
			if (strcmp(b->items[j].user, b->items[i].user) == 0)
				b->items[j].ok = ok;
	}
	free(v);
	free(seen);
	/* 3: the renames and the index are on disk. */
	if (store_sync(b->store, errstr_out) == -1) {
		for (size_t i = 0; i < b->n; i++)
			b->items[i].ok = false;
		return -1;
	}
	return r;
}

bool
deliver_batch_ok(const struct deliver_batch *b, uint64_t tag)
{
	if (!b->committed)
		return false;
	for (size_t i = 0; i < b->n; i++)
		if (b->items[i].tag == tag && !b->items[i].ok)
			return false;
	return true;
}

void
deliver_batch_free(struct deliver_batch **bp)
{
	struct deliver_batch *b = *bp;

	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		store_staged_free(&b->items[i].staged);
		free(b->items[i].user);
	}
	free(b->items);
	free(b);
	*bp = NULL;
}

void
deliver_report_free(struct deliver_report *out)
{
	for (size_t i = 0; i < out->n; i++)
		free(out->results[i].address);
	free(out->results);
	memset(out, 0, sizeof(*out));
}
