/*
 * workq.c: a pool of worker threads feeding results back to a libevent
 * loop (see workq.h). Jobs wait in a FIFO under a mutex; a worker takes
 * one, runs it, puts it on the done list and writes a byte to a pipe the
 * loop watches. Run by the pop3 and imap role processes.
 */
#include "lib/workq.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/util.h"

struct workq {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct workq_job	*todo, **todo_tail;	/* FIFO */
	struct workq_job	*done;			/* newest first */
	bool			 stop;
	int			 pipe[2];	/* wake-ups for the loop */
	struct event		*ev;
	struct workq_settings	 set;
	pthread_t		 threads[WORKQ_THREADS_MAX];
	int			 nthreads;
};

static void *
worker(void *arg)
{
	struct workq *q = arg;
	struct workq_job *job;
	void *ctx = NULL;

	signals_block_thread();
	if (q->set.thread_init != NULL)
		ctx = q->set.thread_init(q->set.arg);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->todo == NULL && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->todo == NULL)
			break;		/* stopping, the queue done */
		job = q->todo;
		if ((q->todo = job->next) == NULL)
			q->todo_tail = &q->todo;
		pthread_mutex_unlock(&q->mu);

		job->run(job, ctx);

		pthread_mutex_lock(&q->mu);
		job->next = q->done;
		q->done = job;
		/* A full pipe already holds a wake-up: nothing is lost. */
		(void)!write(q->pipe[1], "", 1);
	}
	pthread_mutex_unlock(&q->mu);
	if (q->set.thread_fini != NULL)
		q->set.thread_fini(ctx);
	return NULL;
}

/* Calls done for every job of the done list, oldest first. */
static void
report(struct workq *q)
{
	struct workq_job *list, *next, *rev = NULL;

	pthread_mutex_lock(&q->mu);
	list = q->done;
	q->done = NULL;
	pthread_mutex_unlock(&q->mu);
	for (; list != NULL; list = next) {
		next = list->next;
		list->next = rev;
		rev = list;
	}
	for (; rev != NULL; rev = next) {
		next = rev->next;
		rev->next = NULL;
		rev->done(rev);
	}
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	char drain[64];

	while (read(fd, drain, sizeof(drain)) > 0)
		;
	report(arg);
}

struct workq *
workq_new(struct event_base *base, const struct workq_settings *set)
{
	struct workq *q = xcalloc(1, sizeof(*q));
	int n = set->nthreads;

	if (n < 1)
		n = 1;
	if (n > WORKQ_THREADS_MAX)
		n = WORKQ_THREADS_MAX;
	q->set = *set;
	q->todo_tail = &q->todo;
	if (pipe2(q->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->ev = event_new(base, q->pipe[0], EV_READ | EV_PERSIST, on_wake, q);
	if (q->ev == NULL || event_add(q->ev, NULL) == -1)
		n = 0;
	for (; q->nthreads < n; q->nthreads++)
		if (pthread_create(&q->threads[q->nthreads], NULL, worker,
		    q) != 0)
			break;
	if (q->nthreads == 0) {
		workq_free(&q);
		return NULL;
	}
	return q;
}

void
workq_submit(struct workq *q, struct workq_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&q->mu);
	*q->todo_tail = job;
	q->todo_tail = &job->next;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

bool
workq_cancel(struct workq *q, struct workq_job *job)
{
	struct workq_job **pp;
	bool found = false;

	pthread_mutex_lock(&q->mu);
	for (pp = &q->todo; *pp != NULL; pp = &(*pp)->next)
		if (*pp == job) {
			if ((*pp = job->next) == NULL)
				q->todo_tail = pp;
			job->next = NULL;
			found = true;
			break;
		}
	pthread_mutex_unlock(&q->mu);
	return found;
}

void
workq_free(struct workq **qp)
{
	struct workq *q = *qp;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (int i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	/* Workers finish the queue before they stop, so only the done list
	 * can hold jobs (none when no worker ever started). */
	report(q);
	if (q->ev != NULL)
		event_free(q->ev);
	close(q->pipe[0]);
	close(q->pipe[1]);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
	*qp = NULL;
}
