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

enum deliver_status
deliver_mailbox(struct store *store, const char *sender, const char *user,
    const void *msg, size_t len, char *text)
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

static void
report_set(struct deliver_report *out, enum deliver_status status,
    const char *fmt, const char *arg)
{
	out->status = status;
	snprintf(out->text, sizeof(out->text), fmt, arg);
}

enum deliver_status
deliver_rcpt(struct store *store, const char *sender, const char *rcpt,
    const void *msg, size_t len, struct deliver_report *out)
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
		res->status = deliver_mailbox(store, sender, res->address,
		    msg, len, res->text);
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

void
deliver_report_free(struct deliver_report *out)
{
	for (size_t i = 0; i < out->n; i++)
		free(out->results[i].address);
	free(out->results);
	memset(out, 0, sizeof(*out));
}
