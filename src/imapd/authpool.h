/*
 * authpool.h: password checks off the event loop. A yescrypt hash costs
 * tens of milliseconds of CPU; done in the loop it would stall every
 * other session of the imap role. The checks are jobs for the shared
 * worker threads (lib/workq.h), each with its own store handle (handles
 * are per thread). Glue only: the engine asks for a check with
 * IMAPD_ACT_AUTH.
 */
#ifndef IMAPD_AUTHPOOL_H
#define IMAPD_AUTHPOOL_H

#include <event2/event.h>

#include "lib/config.h"

struct authpool;
struct authjob;
struct scram_creds;

/* Called in the loop with store_user_verify's result and the canonical
 * address (on 1). */
typedef void (*authpool_done_fn)(void *arg, int result, const char *canon);

/* nthreads workers; NULL when a thread or store cannot be started. */
struct authpool *authpool_new(struct event_base *base,
    const struct config *cfg, int nthreads);
void authpool_free(struct authpool **pp);

/* Queues a check; user and pass are copied. The job belongs to the pool
 * until done runs, or until authpool_cancel. */
struct authjob *authpool_submit(struct authpool *p, const char *user,
    const char *pass, authpool_done_fn done, void *arg);
/* Called in the loop with store_user_scram_get's result, credentials
 * (stand-ins on 0) and canonical address (on 1). */
typedef void (*authpool_scram_fn)(void *arg, int result,
    const struct scram_creds *creds, const char *canon);
/* Queues a SCRAM credentials lookup for user (copied), like a check. */
struct authjob *authpool_submit_scram(struct authpool *p, const char *user,
    authpool_scram_fn done, void *arg);
/* The requester is gone: done will not be called. */
void authpool_cancel(struct authpool *p, struct authjob *job);

#endif
