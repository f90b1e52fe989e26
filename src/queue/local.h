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

/* Delivers env->rcpts[i] from the message at [off, off+size) of fd; may
 * append recipients to env (so pointers into env->rcpts go stale). On
 * anything but OK, *error_out is an allocated reason (caller frees). */
enum queue_local_result queue_local_deliver(struct queue_local *l,
    struct queue_envelope *env, size_t i, int fd, off_t off, off_t size,
    char **error_out);

#endif
