/*
 * authpool.c: the imap role's password checks as jobs for the shared
 * worker threads (lib/workq.h): each worker has its own store handle and
 * runs store_user_verify (or store_user_scram_get); the result comes back
 * to the loop.
 */
#include <stdlib.h>
#include <string.h>

#include "imapd/authpool.h"
#include "lib/log.h"
#include "lib/scram.h"
#include "lib/util.h"
#include "lib/workq.h"
#include "store/account.h"
#include "store/addr.h"
#include "store/store.h"

struct authjob {
	struct workq_job	 wj;		/* first: the queue's view */
	char			*user, *pass;	/* pass NULL: SCRAM lookup */
	authpool_done_fn	 done;
	authpool_scram_fn	 scram_done;
	struct scram_creds	 creds;		/* SCRAM result */
	void			*arg;
	bool			 cancelled;	/* requester gone */
	int			 result;
	char			 canon[STORE_ADDR_MAX + 1];
};

struct authpool {
	struct workq	*q;
};

static void
job_free(struct authjob *job)
{
	if (job->pass != NULL)
		explicit_bzero(job->pass, strlen(job->pass));
	explicit_bzero(&job->creds, sizeof(job->creds));
	free(job->pass);
	free(job->user);
	free(job);
}

/* On a worker. */
static void
job_run(struct workq_job *wj, void *ctx)
{
	struct authjob *job = (struct authjob *)wj;
	const char *err = "store unavailable";

	if (ctx == NULL)
		job->result = -1;
	else if (job->pass == NULL)
		job->result = store_user_scram_get(ctx, job->user, &job->creds,
		    job->canon, &err);
	else
		job->result = store_user_verify(ctx, job->user, job->pass,
		    job->canon, &err);
	if (job->result == -1)
		log_warnx("imap: login %s: %s", job->user, err);
}

/* In the loop. */
static void
job_done(struct workq_job *wj)
{
	struct authjob *job = (struct authjob *)wj;

	if (job->cancelled)
		;
	else if (job->pass == NULL)
		job->scram_done(job->arg, job->result, &job->creds,
		    job->canon);
	else
		job->done(job->arg, job->result, job->canon);
	job_free(job);
}

struct authpool *
authpool_new(struct event_base *base, const struct config *cfg,
    int nthreads)
{
	struct workq_settings set = {
		.nthreads = nthreads,
		.thread_init = store_thread_open,
		.thread_fini = store_thread_close,
		.arg = (void *)cfg,
	};
	struct authpool *p = xcalloc(1, sizeof(*p));

	if ((p->q = workq_new(base, &set)) == NULL) {
		log_warnx("imap: no auth worker threads");
		free(p);
		return NULL;
	}
	return p;
}

void
authpool_free(struct authpool **pp)
{
	struct authpool *p = *pp;

	if (p == NULL)
		return;
	workq_free(&p->q);
	free(p);
	*pp = NULL;
}

struct authjob *
authpool_submit(struct authpool *p, const char *user, const char *pass,
    authpool_done_fn done, void *arg)
{
	struct authjob *job = xcalloc(1, sizeof(*job));

	job->wj.run = job_run;
	job->wj.done = job_done;
	job->user = xstrdup(user);
	job->pass = xstrdup(pass);
	job->done = done;
	job->arg = arg;
	workq_submit(p->q, &job->wj);
	return job;
}

struct authjob *
authpool_submit_scram(struct authpool *p, const char *user,
    authpool_scram_fn done, void *arg)
{
	struct authjob *job = xcalloc(1, sizeof(*job));

	job->wj.run = job_run;
	job->wj.done = job_done;
	job->user = xstrdup(user);
	job->scram_done = done;
	job->arg = arg;
	workq_submit(p->q, &job->wj);
	return job;
}

void
authpool_cancel(struct authpool *p, struct authjob *job)
{
	/* Running or done, it is freed by job_done. */
	if (workq_cancel(p->q, &job->wj))
		job_free(job);
	else
		job->cancelled = true;
}
