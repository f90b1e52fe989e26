/*
 * jobs.c: password checks and QUIT's changes for the pop3 role, run on
 * the shared worker threads (see jobs.h).
 */
#include "pop3d/jobs.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "store/account.h"
#include "store/store.h"

/* The workq's run: a job on a worker with that worker's store. */
static void
run(struct workq_job *wj, void *ctx)
{
	pop3d_job_run((struct pop3d_job *)wj, ctx);
}

struct pop3d_job *
pop3d_job_new(enum pop3d_job_kind kind, void *owner, workq_done_fn done)
{
	struct pop3d_job *job = xcalloc(1, sizeof(*job));

	job->wj.run = run;
	job->wj.done = done;
	job->kind = kind;
	job->owner = owner;
	return job;
}

void
pop3d_job_free(struct pop3d_job *job)
{
	if (job == NULL)
		return;
	explicit_bzero(job->pass, sizeof(job->pass));
	explicit_bzero(&job->creds, sizeof(job->creds));
	pop3d_changes_free(&job->ch);
	free(job);
}

/* Checks the password, then reads the account's POP3 setting. */
static int
auth(struct pop3d_job *job, struct store *store, const char **errstr_out)
{
	struct store_user u;
	int r;

	/* A SCRAM login was decided by the session: user is the normal
	 * form store_user_scram_get gave. */
	if (job->scram != 0) {
		if (job->scram < 0)
			return 0;
		strlcpy_(job->canon, job->user, sizeof(job->canon));
	} else if ((r = store_user_verify(store, job->user, job->pass,
	    job->canon, errstr_out)) != 1)
		return r;
	/* Removed between the two lookups: a failed login. */
	if ((r = store_user_get(store, job->canon, &u, errstr_out)) != 1)
		return r;
	job->leave = u.pop3_leave_on_server;
	store_user_clear(&u);
	return 1;
}

void
pop3d_job_run(struct pop3d_job *job, struct store *store)
{
	const char *errstr = "store unavailable";

	if (store == NULL)
		job->result = -1;
	else if (job->kind == POP3D_JOB_AUTH)
		job->result = auth(job, store, &errstr);
	else if (job->kind == POP3D_JOB_SCRAM)
		job->result = store_user_scram_get(store, job->user,
		    &job->creds, job->canon, &errstr);
	else
		job->result = pop3d_changes_apply(store, job->user, &job->ch,
		    &errstr);
	if (job->result == -1)
		strlcpy_(job->err, errstr, sizeof(job->err));
	explicit_bzero(job->pass, sizeof(job->pass));
}
