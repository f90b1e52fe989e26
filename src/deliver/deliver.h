/*
 * deliver.h: local delivery, run by the queue for recipients in the local
 * domains.
 *
 * deliver_rcpt() takes one envelope recipient, expands it (alias.h) and
 * appends the message to the INBOX of every local destination, each copy
 * with "Return-Path: <sender>" and "Delivered-To: <user>" prepended and
 * durable (mbox.h) before the call returns. It reports one result per
 * destination so the queue retries (TEMPFAIL) or bounces (PERMFAIL) each
 * on its own; remote members of an alias come back as DELIVER_FORWARD for
 * the queue to relay with the same envelope sender.
 *
 * Enhanced status codes (RFC 3463) lead every text: 2.0.0 delivered,
 * 5.1.1 unknown recipient, 5.4.6 loop or expansion limit, 4.3.0 store
 * trouble (disk, database: retry later), 4.2.2 over the user's quota
 * (counted on the INBOX; retry later), 5.3.4 message too big.
 */
#ifndef DELIVER_DELIVER_H
#define DELIVER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define DELIVER_TEXT_MAX	256

enum deliver_status {
	DELIVER_OK,		/* durable in the mailbox */
	DELIVER_TEMPFAIL,	/* try again later (4xx) */
	DELIVER_PERMFAIL,	/* bounce (5xx) */
	DELIVER_FORWARD,	/* a remote address: the queue relays it */
};

struct deliver_result {
	char	*address;	/* the destination: user or remote address */
	enum deliver_status status;
	char	 text[DELIVER_TEXT_MAX];
};

struct deliver_report {
	/* The recipient as a whole: OK when every destination is OK or
	 * FORWARD; TEMPFAIL when any is TEMPFAIL (retry those only);
	 * PERMFAIL when the recipient is unknown, expands to nobody, or
	 * every destination failed for good. */
	enum deliver_status status;
	char	 text[DELIVER_TEXT_MAX];
	struct deliver_result *results;	/* one per destination */
	size_t	 n;
};

/*
 * Delivers msg (len bytes, the message as received, CRLF or LF line ends)
 * from sender ("" for the null sender) to rcpt. Always fills *out; free
 * it with deliver_report_free. Returns out->status.
 */
enum deliver_status deliver_rcpt(struct store *store, const char *sender,
    const char *rcpt, const void *msg, size_t len,
    struct deliver_report *out);

/*
 * Delivers to one user's INBOX (user in normal form, as a
 * DELIVER_TEMPFAIL result names it: the queue's retry of one
 * destination). text (DELIVER_TEXT_MAX bytes) gets the status text.
 */
enum deliver_status deliver_mailbox(struct store *store, const char *sender,
    const char *user, const void *msg, size_t len, char *text);

void deliver_report_free(struct deliver_report *out);

/*
 * Batched delivery (group commit), for the queue: deliver_batch_rcpt and
 * deliver_batch_mailbox work as deliver_rcpt and deliver_mailbox, but a
 * local destination reported OK is only staged (written, not synced, not
 * visible). deliver_batch_commit then makes every staged message of the
 * batch durable and visible with two syncfs(2) calls in all (mbox.h,
 * "Batched appends"); deliver_batch_ok(tag) says whether every staged
 * destination of the deliveries made with that tag made it. A tag whose
 * deliveries did not (commit -1) must be retried: nothing of it may be
 * considered delivered. deliver_batch_free discards what was not
 * committed. One batch per store handle at a time.
 */
struct deliver_batch;
struct deliver_batch *deliver_batch_new(struct store *store);
enum deliver_status deliver_batch_rcpt(struct deliver_batch *b, uint64_t tag,
    const char *sender, const char *rcpt, const void *msg, size_t len,
    struct deliver_report *out);
enum deliver_status deliver_batch_mailbox(struct deliver_batch *b,
    uint64_t tag, const char *sender, const char *user, const void *msg,
    size_t len, char *text);
int deliver_batch_commit(struct deliver_batch *b, const char **errstr_out);
bool deliver_batch_ok(const struct deliver_batch *b, uint64_t tag);
void deliver_batch_free(struct deliver_batch **bp);

#endif
