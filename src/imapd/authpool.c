/*
 * authpool.c: worker threads checking passwords for the imap role (see
 * authpool.h). Jobs wait in a queue under a mutex; a worker takes one,
 * runs store_user_verify on its own store handle, moves it to the done
 * list and writes a byte to a pipe the loop watches.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "imapd/authpool.h"
#include "lib/log.h"
#include "lib/util.h"
#include "store/account.h"
#include "store/addr.h"
#include "store/store.h"

#define AUTHPOOL_THREADS_MAX	8

struct authjob {
	TAILQ_ENTRY(authjob)	 entry;
	char			*user, *pass;
	authpool_done_fn	 done;
	void			*arg;
	bool			 cancelled;
	int			 result;
	char			 canon[STORE_ADDR_MAX + 1];
};
TAILQ_HEAD(authjobs, authjob);

struct authworker {
	struct authpool	*pool;
	pthread_t	 thread;
	struct store	*store;
	bool		 started;
};

struct authpool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct authjobs	 queue, done;
	bool		 stopping;
	int		 pipe[2];
	struct event	*ev;
	struct authworker workers[AUTHPOOL_THREADS_MAX];
	int		 nworkers;
};

static void
job_free(struct authjob *job)
{
	explicit_bzero(job->pass, strlen(job->pass));
	free(job->pass);
	free(job->user);
	free(job);
}

static void *
worker_main(void *arg)
{
	struct authworker *w = arg;
	struct authpool *p = w->pool;
	struct authjob *job;
	const char *err;
	char c = 1;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stopping && TAILQ_EMPTY(&p->queue))
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stopping)
			break;
		job = TAILQ_FIRST(&p->queue);
		TAILQ_REMOVE(&p->queue, job, entry);
		pthread_mutex_unlock(&p->lock);
		job->result = store_user_verify(w->store, job->user,
		    job->pass, job->canon, &err);
		if (job->result == -1)
			log_warnx("imap: login %s: %s", job->user, err);
		pthread_mutex_lock(&p->lock);
		TAILQ_INSERT_TAIL(&p->done, job, entry);
		/* a full pipe already says there is work: ignore EAGAIN */
		if (write(p->pipe[1], &c, 1) == -1 && errno != EAGAIN)
			log_warn("imap: auth pipe");
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* In the loop: runs the callbacks of finished jobs. */
static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct authpool *p = arg;
	struct authjobs ready;
	struct authjob *job;
	char buf[256];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	TAILQ_INIT(&ready);
	pthread_mutex_lock(&p->lock);
	TAILQ_CONCAT(&ready, &p->done, entry);
	pthread_mutex_unlock(&p->lock);
	while ((job = TAILQ_FIRST(&ready)) != NULL) {
		TAILQ_REMOVE(&ready, job, entry);
		if (!job->cancelled)
			job->done(job->arg, job->result, job->canon);
		job_free(job);
	}
}

struct authpool *
authpool_new(struct event_base *base, const struct config *cfg,
    int nthreads)
{
	struct authpool *p = xcalloc(1, sizeof(*p));
	char err[512];
	int i;

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	TAILQ_INIT(&p->queue);
	TAILQ_INIT(&p->done);
	if (pipe2(p->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_warn("imap: auth pipe");
		free(p);
		return NULL;
	}
	p->ev = event_new(base, p->pipe[0], EV_READ | EV_PERSIST, on_done, p);
	event_add(p->ev, NULL);
	if (nthreads > AUTHPOOL_THREADS_MAX)
		nthreads = AUTHPOOL_THREADS_MAX;
	for (i = 0; i < nthreads; i++) {
		struct authworker *w = &p->workers[i];

		w->pool = p;
		if (store_open(cfg, &w->store, err, sizeof(err)) == -1) {
			log_warnx("imap: auth worker store: %s", err);
			break;
		}
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			store_close(&w->store);
			break;
		}
		w->started = true;
		p->nworkers++;
	}
	if (p->nworkers == 0) {
		authpool_free(&p);
		return NULL;
	}
	return p;
}

void
authpool_free(struct authpool **pp)
{
	struct authpool *p = *pp;
	struct authjob *job;
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < AUTHPOOL_THREADS_MAX; i++) {
		if (!p->workers[i].started)
			continue;
		pthread_join(p->workers[i].thread, NULL);
		store_close(&p->workers[i].store);
	}
	while ((job = TAILQ_FIRST(&p->queue)) != NULL) {
		TAILQ_REMOVE(&p->queue, job, entry);
		job_free(job);
	}
	while ((job = TAILQ_FIRST(&p->done)) != NULL) {
		TAILQ_REMOVE(&p->done, job, entry);
		job_free(job);
	}
	event_free(p->ev);
	close(p->pipe[0]);
	close(p->pipe[1]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
	*pp = NULL;
}

struct authjob *
authpool_submit(struct authpool *p, const char *user, const char *pass,
    authpool_done_fn done, void *arg)
{
	struct authjob *job = xcalloc(1, sizeof(*job));

	job->user = xstrdup(user);
	job->pass = xstrdup(pass);
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&p->lock);
	TAILQ_INSERT_TAIL(&p->queue, job, entry);
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return job;
}

void
authpool_cancel(struct authpool *p, struct authjob *job)
{
	struct authjob *q;

	pthread_mutex_lock(&p->lock);
	TAILQ_FOREACH(q, &p->queue, entry)
		if (q == job)
			break;
	if (q != NULL) {
		TAILQ_REMOVE(&p->queue, job, entry);
		job_free(job);
	} else
		job->cancelled = true;	/* running or done: freed in on_done */
	pthread_mutex_unlock(&p->lock);
}
