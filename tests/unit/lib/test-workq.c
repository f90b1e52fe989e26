/*
 * test-workq.c: the worker pool (lib/workq.h): every job runs once on a
 * worker with that worker's context and is reported once on the loop's
 * thread; a job cancelled before it starts is never run nor reported;
 * workq_free carries out the queue and reports what the loop did not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "lib/workq.h"

#define NJOBS	200

struct ctx {
	int		 magic;
};

struct job {
	struct workq_job wj;
	int		 runs;
	int		 dones;
	int		 ctx_magic;	/* seen by run */
	pthread_t	 thread;	/* where run ran */
	unsigned	 sleep_us;
};

static int inits, finis, reported, started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct event_base *base;

static void *
init(void *arg)
{
	struct ctx *c = calloc(1, sizeof(*c));

	c->magic = *(int *)arg;
	pthread_mutex_lock(&mu);
	inits++;
	pthread_mutex_unlock(&mu);
	return c;
}

static void
fini(void *ctx)
{
	pthread_mutex_lock(&mu);
	finis++;
	pthread_mutex_unlock(&mu);
	free(ctx);
}

static void
run(struct workq_job *wj, void *ctx)
{
	struct job *j = (struct job *)wj;

	if (j->sleep_us) {
		pthread_mutex_lock(&mu);
		started = 1;
		pthread_mutex_unlock(&mu);
		usleep(j->sleep_us);
	}
	j->runs++;
	j->ctx_magic = ((struct ctx *)ctx)->magic;
	j->thread = pthread_self();
}

static void
done(struct workq_job *wj)
{
	struct job *j = (struct job *)wj;

	j->dones++;
	if (++reported == NJOBS)
		event_base_loopbreak(base);
}

static struct workq *
start(int nthreads, int *magic)
{
	struct workq_settings set = {
		.nthreads = nthreads, .thread_init = init,
		.thread_fini = fini, .arg = magic,
	};

	inits = finis = reported = started = 0;
	base = event_base_new();
	assert_non_null(base);
	return workq_new(base, &set);
}

static void
test_all_run_and_report_once(void **state)
{
	static struct job jobs[NJOBS];
	int magic = 42;
	struct workq *q = start(2, &magic);

	(void)state;
	assert_non_null(q);
	for (int i = 0; i < NJOBS; i++) {
		jobs[i] = (struct job){ .wj = { .run = run, .done = done } };
		workq_submit(q, &jobs[i].wj);
	}
	assert_int_equal(reported, 0);		/* never from submit */
	event_base_dispatch(base);
	assert_int_equal(reported, NJOBS);
	for (int i = 0; i < NJOBS; i++) {
		assert_int_equal(jobs[i].runs, 1);
		assert_int_equal(jobs[i].dones, 1);
		assert_int_equal(jobs[i].ctx_magic, 42);
		assert_false(pthread_equal(jobs[i].thread, pthread_self()));
	}
	workq_free(&q);
	assert_null(q);
	assert_int_equal(inits, 2);
	assert_int_equal(finis, 2);
	event_base_free(base);
}

static void
test_cancel_and_free(void **state)
{
	static struct job slow, queued[3];
	int magic = 7;
	struct workq *q = start(1, &magic);

	(void)state;
	assert_non_null(q);
	/* One worker, busy with slow: the others wait in the queue. */
	slow = (struct job){ .wj = { .run = run, .done = done },
	    .sleep_us = 200000 };
	workq_submit(q, &slow.wj);
	for (int i = 0; i < 3; i++) {
		queued[i] = (struct job){ .wj = { .run = run, .done = done } };
		workq_submit(q, &queued[i].wj);
	}
	for (int go = 0; !go; usleep(1000)) {	/* until slow has started */
		pthread_mutex_lock(&mu);
		go = started;
		pthread_mutex_unlock(&mu);
	}
	assert_false(workq_cancel(q, &slow.wj));	/* running */
	assert_true(workq_cancel(q, &queued[1].wj));
	assert_false(workq_cancel(q, &queued[1].wj));	/* not queued now */
	/* No loop ran: free finishes the queue and reports all but the
	 * cancelled one. */
	workq_free(&q);
	assert_int_equal(slow.runs, 1);
	assert_int_equal(slow.dones, 1);
	assert_int_equal(queued[0].dones, 1);
	assert_int_equal(queued[1].runs, 0);
	assert_int_equal(queued[1].dones, 0);
	assert_int_equal(queued[2].runs, 1);
	assert_int_equal(queued[2].dones, 1);
	assert_int_equal(finis, 1);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_run_and_report_once),
		cmocka_unit_test(test_cancel_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
