/*
 * workq.h: the pop3 role's blocking work, off the event loop. A yescrypt
 * password check costs tens of milliseconds of CPU by design, and every
 * expunge at QUIT a durable SQLite commit (several ms each; a fetchmail
 * run deleting 1,000 messages would stall every session for seconds).
 * A few worker threads, each with its own store handle (store.h: one
 * handle per thread), do both and hand results back to the loop through
 * a pipe.
 *
 * Jobs are made, submitted and completed on the loop's thread; workers
 * touch nothing but the job. On shutdown the workers finish the queue,
 * so a QUIT that was accepted is carried out.
 */
#ifndef POP3D_WORKQ_H
#define POP3D_WORKQ_H

#include <event2/event.h>

#include "lib/config.h"
#include "pop3d/session.h"
#include "store/addr.h"

#define POP3D_WORK_THREADS	2	/* the machine's cores */

enum pop3d_job_kind {
	POP3D_JOB_AUTH,		/* store_user_verify(user, pass) */
	POP3D_JOB_UPDATE,	/* pop3d_maildrop_apply(user, dele, seen) */
};

struct pop3d_job {
	enum pop3d_job_kind	 kind;
	void			*owner;	/* the session; NULL once gone */
	char			 user[POP3D_USER_MAX + 1];
	char			 pass[POP3D_PASS_MAX + 1];	/* wiped when done */
	char			 canon[STORE_ADDR_MAX + 1];	/* AUTH result 1 */
	uint32_t		*dele;	/* UPDATE; owned by the job */
	size_t			 ndele;
	uint32_t		*seen;
	size_t			 nseen;
	int			 result;	/* the store call's */
	char			 err[256];	/* on result -1 */
	struct pop3d_job	*next;
};

/* Called on the loop's thread for each finished job; it owns the job
 * (pop3d_job_free). */
typedef void (*pop3d_workq_done_fn)(struct pop3d_job *job, void *arg);

struct pop3d_workq;

/* A zeroed job of kind (pop3d_job_free frees it and its arrays). */
struct pop3d_job *pop3d_job_new(enum pop3d_job_kind kind, void *owner);
void pop3d_job_free(struct pop3d_job *job);

/* Starts nthreads workers for cfg's store. NULL when no thread starts
 * (the caller then does the work inline). */
struct pop3d_workq *pop3d_workq_new(struct event_base *base,
    const struct config *cfg, int nthreads, pop3d_workq_done_fn done,
    void *arg);
/* Queues job; done is called later, never from inside this call. */
void pop3d_workq_submit(struct pop3d_workq *q, struct pop3d_job *job);
/* Lets the workers finish the queue, joins them, and frees what they
 * finished without reporting it. */
void pop3d_workq_free(struct pop3d_workq **qp);

#endif
