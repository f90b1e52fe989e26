/*
 * local.h: the queue role's local delivery step — one recipient of one
 * queued message into the store (src/deliver), with a result the queue
 * can act on: OK (durable in every mailbox), TEMPFAIL (retry later),
 * PERMFAIL (bounce).
 *
 * An alias may lead to several mailboxes and remote addresses. When they
 * do not all succeed at once, the recipient is split: it counts as done,
 * and its destinations are appended to the envelope as recipients of
 * their own (expanded = true) — remote ones for outbound delivery, local
 * ones that failed temporarily to be retried alone — so no mailbox gets
 * the message twice because a sibling failed.
 */
#ifndef QUEUE_LOCAL_H
#define QUEUE_LOCAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/config.h"
#include "queue/envelope.h"

enum queue_local_result {
	QUEUE_LOCAL_OK,
	QUEUE_LOCAL_TEMPFAIL,
	QUEUE_LOCAL_PERMFAIL,
};

struct queue_local;

struct queue_local *queue_local_new(const struct config *cfg, char *err,
    size_t errlen);
void queue_local_free(struct queue_local **lp);

/*
 * Deliveries go in batches (group commit): begin; deliver any number of
 * recipients; commit once; ask ok(tag) for each delivery; end.
 *
 * deliver stages env->rcpts[i] of the message at [off, off+size) of fd
 * under tag; it may append recipients to env (so pointers into
 * env->rcpts go stale). OK means staged: the delivery counts only when
 * commit returned 0 and ok(tag) is true. On anything but OK, *error_out
 * is an allocated reason (caller frees).
 */
void queue_local_begin(struct queue_local *l);
enum queue_local_result queue_local_deliver(struct queue_local *l,
    struct queue_envelope *env, size_t i, int fd, off_t off, off_t size,
    uint64_t tag, char **error_out);
int queue_local_commit(struct queue_local *l, const char **errstr_out);
bool queue_local_ok(struct queue_local *l, uint64_t tag);
void queue_local_end(struct queue_local *l);

#endif
