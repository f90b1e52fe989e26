/*
 * authq.h: password checks off the event loop. A yescrypt check costs
 * tens of milliseconds of CPU by design; done inline it would stall every
 * other session of the pop3 role, so a few worker threads, each with its
 * own store handle (store.h: one handle per thread), run them and hand
 * the results back to the loop through a pipe.
 *
 * Runs in the pop3 role process. Jobs are submitted and completed on the
 * loop's thread only; the workers touch nothing but the job.
 */
#ifndef POP3D_AUTHQ_H
#define POP3D_AUTHQ_H

#include <event2/event.h>

#include "lib/config.h"
#include "pop3d/session.h"
#include "store/addr.h"

#define POP3D_AUTH_THREADS	2	/* the machine's cores */

struct pop3d_authjob {
	void			*owner;	/* the session; NULL once gone */
	char			 user[POP3D_USER_MAX + 1];
	char			 pass[POP3D_PASS_MAX + 1];	/* wiped when done */
	char			 canon[STORE_ADDR_MAX + 1];	/* on result 1 */
	int			 result;	/* store_user_verify's */
	char			 err[256];	/* on result -1 */
	struct pop3d_authjob	*next;
};

/* Called on the loop's thread for each finished job; it owns the job
 * (free it with free(3)). */
typedef void (*pop3d_authq_done_fn)(struct pop3d_authjob *job, void *arg);

struct pop3d_authq;

/* Starts nthreads workers for cfg's store. NULL when a thread or store
 * cannot start (the caller may check passwords inline instead). */
struct pop3d_authq *pop3d_authq_new(struct event_base *base,
    const struct config *cfg, int nthreads, pop3d_authq_done_fn done,
    void *arg);
/* Queues job; done is called later, never from inside this call. */
void pop3d_authq_submit(struct pop3d_authq *q, struct pop3d_authjob *job);
/* Stops and joins the workers; unfinished jobs are freed unreported. */
void pop3d_authq_free(struct pop3d_authq **qp);

#endif
