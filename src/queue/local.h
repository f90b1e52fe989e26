/*
 * local.h: the queue role's local delivery step — one recipient of one
 * queued message into the store, with a result the queue can act on:
 * OK (durable in the mailbox), TEMPFAIL (retry later), PERMFAIL (bounce).
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

/* Delivers env->rcpts[i] from the message at [off, off+size) of fd. On
 * anything but OK, *error_out is an allocated reason (caller frees). */
enum queue_local_result queue_local_deliver(struct queue_local *l,
    const struct queue_envelope *env, size_t i, int fd, off_t off,
    off_t size, char **error_out);

#endif
