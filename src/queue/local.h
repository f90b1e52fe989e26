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
struct syncshare;

/* Shares the delivery syncs with the smtp role's (lib/syncshare.h). */
void queue_local_set_sync(struct queue_local *l, struct syncshare *ss);
struct queue_local *queue_local_new(const struct config *cfg, char *err,
    size_t errlen);
void queue_local_free(struct queue_local **lp);

/*
 * Deliveries go in batches (group commit). A batch stages deliveries
 * (queue_local_deliver: OK means staged), then the caller runs
 *     queue_local_sync    the staged bytes are on disk
 *     queue_local_publish renames and index, not yet durable
 *     queue_local_sync    now they are: queue_local_ok(b, tag) is final
 * The queue role pipelines this: one sync makes the batch just staged
 * and the batch published before it durable at once.
 *
 * queue_local_deliver stages env->rcpts[i] of the message at
 * [off, off+size) of fd under tag; it may append recipients to env (so
 * pointers into env->rcpts go stale). On anything but OK, *error_out is
 * an allocated reason (caller frees).
 */
struct deliver_batch;
struct deliver_batch *queue_local_batch(struct queue_local *l);
enum queue_local_result queue_local_deliver(struct queue_local *l,
    struct deliver_batch *b, struct queue_envelope *env, size_t i, int fd,
    off_t off, off_t size, uint64_t tag, char **error_out);
/* Opens (begin) or closes one snapshot of the accounts for a run of
 * deliveries (store_read_begin). */
void queue_local_lookups(struct queue_local *l, bool begin);
int queue_local_sync(struct queue_local *l, const char **errstr_out);
int queue_local_publish(struct deliver_batch *b, const char **errstr_out);
void queue_local_fail(struct deliver_batch *b);
bool queue_local_ok(const struct deliver_batch *b, uint64_t tag);
void queue_local_batch_free(struct deliver_batch **bp);

#endif
