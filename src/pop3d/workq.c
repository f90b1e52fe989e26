/*
 * workq.c: worker threads that check POP3 passwords and carry out QUIT's
 * changes for the pop3 role's event loop. See workq.h.
 */
#include "pop3d/workq.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "pop3d/maildrop.h"
#include "store/account.h"
#include "store/store.h"

struct pop3d_workq {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct pop3d_job	*todo, **todo_tail;
	struct pop3d_job	*done;
	bool			 stop;
	int			 pipe[2];	/* workers -> loop wake-ups */
	struct event		*ev;
	pthread_t		*threads;
	int			 nthreads;
	const struct config	*cfg;
	pop3d_workq_done_fn	 fn;
	void			*arg;
};

static void
run(struct store *store, struct pop3d_job *job)
{
	const char *errstr = "store unavailable";

	if (store == NULL)
		job->result = -1;
	else if (job->kind == POP3D_JOB_AUTH)
		job->result = store_user_verify(store, job->user, job->pass,
		    job->canon, &errstr);
	else
		job->result = pop3d_maildrop_apply(store, job->user,
		    job->dele, job->ndele, job->seen, job->nseen, &errstr);
	if (job->result == -1)
		strlcpy_(job->err, errstr, sizeof(job->err));
	explicit_bzero(job->pass, sizeof(job->pass));
}

struct pop3d_job *
pop3d_job_new(enum pop3d_job_kind kind, void *owner)
{
	struct pop3d_job *job = xcalloc(1, sizeof(*job));

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
	free(job->dele);
	free(job->seen);
	free(job);
}

static void *
worker(void *arg)
{
	struct pop3d_workq *q = arg;
	struct pop3d_job *job;
	struct store *store = NULL;
	char err[256];

	if (store_open(q->cfg, &store, err, sizeof(err)) == -1)
		log_warnx("worker: store: %s", err);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->todo == NULL && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->todo == NULL)
			break;		/* stopping, and the queue is done */
		job = q->todo;
		if ((q->todo = job->next) == NULL)
			q->todo_tail = &q->todo;
		pthread_mutex_unlock(&q->mu);

		run(store, job);

		pthread_mutex_lock(&q->mu);
		job->next = q->done;
		q->done = job;
		/* A full pipe already holds a wake-up: nothing lost. */
		(void)!write(q->pipe[1], "", 1);
	}
	pthread_mutex_unlock(&q->mu);
	store_close(&store);
	return NULL;
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct pop3d_workq *q = arg;
	struct pop3d_job *list, *next, *rev = NULL;
	char drain[64];

	while (read(fd, drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&q->mu);
	list = q->done;
	q->done = NULL;
	pthread_mutex_unlock(&q->mu);
	for (; list != NULL; list = next) {	/* oldest first */
		next = list->next;
		list->next = rev;
		rev = list;
	}
	for (; rev != NULL; rev = next) {
		next = rev->next;
		q->fn(rev, q->arg);
	}
}

struct pop3d_workq *
pop3d_workq_new(struct event_base *base, const struct config *cfg,
    int nthreads, pop3d_workq_done_fn done, void *arg)
{
	struct pop3d_workq *q = xcalloc(1, sizeof(*q));

	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->todo_tail = &q->todo;
	q->cfg = cfg;
	q->fn = done;
	q->arg = arg;
	if (pipe2(q->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		free(q);
		return NULL;
	}
	q->ev = event_new(base, q->pipe[0], EV_READ | EV_PERSIST, on_wake, q);
	event_add(q->ev, NULL);
	q->threads = xcalloc((size_t)nthreads, sizeof(*q->threads));
	for (; q->nthreads < nthreads; q->nthreads++)
		if (pthread_create(&q->threads[q->nthreads], NULL, worker,
		    q) != 0)
			break;
	if (q->nthreads == 0) {
		pop3d_workq_free(&q);
		return NULL;
	}
	return q;
}

void
pop3d_workq_submit(struct pop3d_workq *q, struct pop3d_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&q->mu);
	*q->todo_tail = job;
	q->todo_tail = &job->next;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static void
free_list(struct pop3d_job *j)
{
	struct pop3d_job *next;

	for (; j != NULL; j = next) {
		next = j->next;
		pop3d_job_free(j);
	}
}

void
pop3d_workq_free(struct pop3d_workq **qp)
{
	struct pop3d_workq *q = *qp;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (int i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	free_list(q->todo);
	free_list(q->done);
	event_free(q->ev);
	close(q->pipe[0]);
	close(q->pipe[1]);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q->threads);
	free(q);
	*qp = NULL;
}
