/*
 * workq.h: worker threads for an event loop's blocking work. A role
 * process runs one libevent loop; what would stall it (a yescrypt
 * password check costs tens of milliseconds of CPU by design, a durable
 * SQLite commit several milliseconds) goes to a few threads instead, and
 * the results come back to the loop through a pipe it watches.
 *
 * A job is a struct of the caller's that starts with a struct workq_job.
 * Its run function is called on a worker with that worker's context
 * (made by settings.thread_init on the worker, e.g. its own store handle,
 * since store handles are per thread); its done function later on the
 * loop's thread, in the order the jobs finished. Workers touch nothing
 * but the job and their context.
 *
 * Ownership: a submitted job belongs to the queue until done is called
 * with it, exactly once (from the loop, or from workq_free), and done
 * then owns it; or until workq_cancel takes it back before it ran. A
 * requester that goes away while its job runs leaves a mark in the job
 * for done to see. Used by the pop3 and imap roles.
 */
#ifndef LIB_WORKQ_H
#define LIB_WORKQ_H

#include <stdbool.h>

#include <event2/event.h>

#define WORKQ_THREADS_MAX	16

struct workq;
struct workq_job;

/* On a worker: does the job's work with the worker's context. */
typedef void (*workq_run_fn)(struct workq_job *job, void *ctx);
/* On the loop's thread: the job is finished and now the callee's. */
typedef void (*workq_done_fn)(struct workq_job *job);

struct workq_job {
	workq_run_fn		 run;
	workq_done_fn		 done;
	struct workq_job	*next;		/* the queue's */
};

struct workq_settings {
	int	  nthreads;	/* 1..WORKQ_THREADS_MAX */
	/* Called on each worker as it starts; its result (may be NULL) is
	 * the ctx of every run on that worker. NULL: ctx is NULL. */
	void	*(*thread_init)(void *arg);
	/* Called on the worker as it ends, with that ctx. May be NULL. */
	void	 (*thread_fini)(void *ctx);
	void	 *arg;
};

/* Starts the workers and watches their results from base. NULL when no
 * thread could start (the caller then does the work in the loop). */
struct workq *workq_new(struct event_base *base,
    const struct workq_settings *set);
/* Queues job (run and done set); done is called later, never from
 * inside this call. */
void workq_submit(struct workq *q, struct workq_job *job);
/* Takes back a job that has not started: true, and done will not be
 * called (the caller owns the job again). false: it runs or ran, and
 * done will come. */
bool workq_cancel(struct workq *q, struct workq_job *job);
/* Lets the workers finish the queue (a submitted job is carried out),
 * joins them, calls done for every job not yet reported, frees the
 * queue and sets *qp to NULL. NULL is a no-op. */
void workq_free(struct workq **qp);

#endif
