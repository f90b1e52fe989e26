/*
 * jobs.h: the pop3 role's blocking work, as jobs for the shared worker
 * threads (lib/workq.h). A yescrypt password check costs tens of
 * milliseconds of CPU by design, and QUIT's changes a durable SQLite
 * commit per message (a fetchmail run deleting 1,000 messages would
 * stall every session for seconds). Each worker has its own store
 * handle (store.h store_thread_open: one handle per thread).
 *
 * Jobs are made and finished on the loop's thread; the role runs one
 * itself, in the loop, when it has no worker threads.
 */
#ifndef POP3D_JOBS_H
#define POP3D_JOBS_H

#include <stdbool.h>

#include "lib/scram.h"
#include "lib/workq.h"
#include "pop3d/maildrop.h"
#include "pop3d/session.h"
#include "store/addr.h"

#define POP3D_WORK_THREADS	2	/* the machine's cores */

struct store;

enum pop3d_job_kind {
	POP3D_JOB_AUTH,		/* store_user_verify, then the account */
	POP3D_JOB_SCRAM,	/* store_user_scram_get */
	POP3D_JOB_UPDATE,	/* pop3d_changes_apply */
};

struct pop3d_job {
	struct workq_job	 wj;	/* first: the queue sees it */
	enum pop3d_job_kind	 kind;
	void			*owner;	/* the connection; NULL once gone */
	char			 user[POP3D_USER_MAX + 1];
	char			 pass[POP3D_PASS_MAX + 1];	/* wiped after */
	int			 scram;	/* AUTH: act.scram (then no pass) */
	struct scram_creds	 creds;	/* SCRAM result; wiped at free */
	char			 canon[STORE_ADDR_MAX + 1];	/* AUTH result 1 */
	bool			 leave;	/* AUTH 1: pop3_leave_on_server */
	struct pop3d_changes	 ch;	/* UPDATE; owned by the job */
	int			 result;	/* the store call's */
	char			 err[256];	/* on result -1 */
};

/* A zeroed job of kind, finished through done (pop3d_job_free frees
 * it with what it holds). */
struct pop3d_job *pop3d_job_new(enum pop3d_job_kind kind, void *owner,
    workq_done_fn done);
void pop3d_job_free(struct pop3d_job *job);
/* Does the job's work with store (may be NULL: result -1). */
void pop3d_job_run(struct pop3d_job *job, struct store *store);

#endif
