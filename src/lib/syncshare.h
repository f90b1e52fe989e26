/*
 * syncshare.h: one syncfs(2) shared by every process that needs one.
 *
 * syncfs makes everything written to a file system durable, whoever wrote
 * it. When the smtp role's group commit and the queue role's delivery
 * commit each run their own, the disk sees two journal commits and two
 * cache flushes where one would do. A small page of shared memory, mapped
 * by the master before it forks the roles, counts the syncs started and
 * finished; a caller
 * whose writes are done takes a ticket, and if a sync that began after
 * that moment is already running in any process it waits for that one
 * instead of starting another.
 *
 * Safety does not depend on the other processes: a caller waits at most
 * SYNCSHARE_WAIT_MS for someone else's sync, then runs its own; a sync
 * that failed is never counted as done; a file descriptor on another
 * file system than the page's is synced directly.
 */
#ifndef LIB_SYNCSHARE_H
#define LIB_SYNCSHARE_H

#include <stdbool.h>
#include <stddef.h>

#define SYNCSHARE_WAIT_MS	200
#define SYNCSHARE_GRACE_US	1000

struct syncshare;

/* A new page, shared with every process this one forks afterwards; NULL
 * with errno if it cannot be mapped (callers then sync on their own). */
struct syncshare *syncshare_new(void);
/* Makes everything written before the call to fd's file system durable,
 * like syncfs(fd). 0, or -1 with errno. A NULL ss runs syncfs. An eager
 * caller (a client waits on it) starts a sync at once when none running
 * covers it; a patient one (a background commit) waits for the sync in
 * flight and for the next one its owner starts, and syncs itself only
 * when nobody does within SYNCSHARE_GRACE_US. */
int syncshare_sync(struct syncshare *ss, int fd, bool patient);
/* This process's calls to syncshare_sync, and how many of them ran a
 * sync of their own (the rest rode on another process's). */
void syncshare_counts(const struct syncshare *ss, unsigned long *calls,
    unsigned long *own);
void syncshare_free(struct syncshare **ssp);

#endif
