/*
 * spool.h: the durable queue on disk, data_dir/queue/.
 *
 *   tmp/ID.PID   a message being received (envelope, then the message)
 *   msg/ID       a committed message: envelope text, empty line, message
 *   state/ID     the envelope again, with per-recipient delivery state,
 *                rewritten durably by the queue role when a result changes
 *   corrupt/ID   a queue file that could not be read, moved aside
 *   pool/SLOT    finished queue files kept for reuse (spool.c says why)
 *   flush        touched by `posternctl queue flush`
 *
 * "250 means on disk": a message is acknowledged only after spool_commit's
 * callback (or spool_commit_sync) returned success — the file is renamed
 * into msg/ and the file system synced. Many messages share one sync
 * (group commit): spool_commit hands messages to a worker thread that
 * renames a whole batch and makes it durable with one syncfs(2), so
 * throughput is not bounded by one fsync per message (PERFORMANCE.md).
 */
#ifndef QUEUE_SPOOL_H
#define QUEUE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "queue/envelope.h"

struct syncshare;

struct event_base;
struct spool;
struct spool_msg;
struct spool_committer;

/* Opens (creating folders as needed) data_dir/queue. -1 with err. */
int spool_open(const char *data_dir, struct spool **out, char *err,
    size_t errlen);
void spool_close(struct spool **sp);
const char *spool_path(const struct spool *sp);	/* data_dir/queue */
/* Whether a committer on this spool makes batches durable by journal
 * commits (durable_fs_journaled) rather than by syncfs; it logs which. */
bool spool_journaled(const struct spool *sp);

/* Writing a message. begin assigns env->id, creates tmp/ID.PID and writes
 * the envelope; write appends message bytes (buffered); the caller then
 * commits or aborts. Every call returns -1 with errno on a disk error, and
 * the message must then be aborted. */
int spool_msg_begin(struct spool *sp, struct queue_envelope *env,
    struct spool_msg **out);
int spool_msg_write(struct spool_msg *m, const void *data, size_t len);
/* Message bytes written so far (not counting the envelope). */
size_t spool_msg_size(const struct spool_msg *m);
const char *spool_msg_id(const struct spool_msg *m);
/* Removes the temporary file; *mp becomes NULL. */
void spool_msg_abort(struct spool_msg **mp);

/* Commits now: flush, fsync, rename into msg/, fsync msg/. Takes *mp. */
int spool_commit_sync(struct spool_msg **mp);

/* Group commit from an event loop. done runs later in the loop's thread
 * with ok = 0 (durable) or -1 (not stored: reply 451). Takes *mp. */
typedef void (*spool_done_fn)(void *arg, int ok, const char *id);
/* Lets the group commit share syncs with other processes. */
void spool_set_sync(struct spool *sp, struct syncshare *ss);
struct spool_committer *spool_committer_new(struct spool *sp,
    struct event_base *base);
void spool_commit(struct spool_committer *c, struct spool_msg **mp,
    spool_done_fn done, void *arg);
/* Waits for every commit in flight, then stops the worker. */
void spool_committer_free(struct spool_committer **cp);

/* Reading. load parses msg/ID (and state/ID when present, which holds the
 * recipients' current state). On 0 the caller owns env and, if fd_out is
 * not NULL, an fd positioned nowhere in particular plus the offset where
 * the message starts and its size. Returns -1 with errno ENOENT when the
 * message is gone, EBADMSG when the file is corrupt (see quarantine). */
int spool_load(struct spool *sp, const char *id, struct queue_envelope *env,
    int *fd_out, off_t *body_off_out, off_t *body_size_out);
/* Writes state/ID durably from env. */
int spool_state_save(struct spool *sp, const struct queue_envelope *env);
/* Forgets a message: state/ID then msg/ID. */
int spool_remove(struct spool *sp, const char *id);
/* Moves msg/ID (and state/ID) to corrupt/. */
int spool_quarantine(struct spool *sp, const char *id);
/* The ids in msg/, sorted (oldest first: ids start with the time). The
 * caller frees each and the array. */
int spool_list(struct spool *sp, char ***ids_out, size_t *n_out);
void spool_list_free(char **ids, size_t n);
/* Removes tmp/ files whose writer process is gone. */
void spool_clean_tmp(struct spool *sp);
/* Whether s looks like a queue id (so it is safe in a path). */
bool spool_id_valid(const char *s);

/* The flush trigger: request (posternctl) and take (queue role: true when
 * a request was pending, and clears it). */
int spool_flush_request(struct spool *sp);
bool spool_flush_take(struct spool *sp);

#endif
