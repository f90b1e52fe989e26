/*
 * loops.c: a role's event loops, one per thread (see loops.h).
 */
#include "lib/loops.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/log.h"
#include "lib/util.h"

/* What loops_run keeps per loop beside the caller's record. */
struct slot {
	void			*rec;
	const struct loops_ops	*ops;
	struct event_base	*base;
	int			 wake[2];	/* loop 0 -> this loop: stop */
	struct event		*wake_ev;
	pthread_t		 thread;
	bool			 inited;
	bool			 started;	/* a thread of its own runs */
};

/* The run: the slots, and loop 0's signal events. */
struct run {
	struct slot		*slots;
	size_t			 n;
	const struct loops_ops	*ops;
	void			*arg;
};

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;
	char b[16];

	(void)what;
	while (read(fd, b, sizeof(b)) > 0)
		;
	s->ops->stop(s->rec);
}

static void
wake_others(struct run *r)
{
	for (size_t i = 1; i < r->n; i++)
		if (r->slots[i].started)
			(void)!write(r->slots[i].wake[1], "x", 1);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;

	(void)what;
	if (sig == SIGHUP)
		return;
	if (r->ops->signalled != NULL)
		r->ops->signalled(r->arg);
	wake_others(r);
	r->ops->stop(r->slots[0].rec);
}

static void *
loop_thread(void *arg)
{
	struct slot *s = arg;

	/* Signals are loop 0's (the caller's thread). */
	signals_block_thread();
	event_base_dispatch(s->base);
	return NULL;
}

static int
slot_init(struct slot *s, size_t i, void *rec, const struct loops_ops *ops,
    void *arg)
{
	s->rec = rec;
	s->ops = ops;
	s->wake[0] = s->wake[1] = -1;
	if ((s->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("loops: pipe");
	s->wake_ev = event_new(s->base, s->wake[0], EV_READ | EV_PERSIST,
	    on_wake, s);
	if (s->wake_ev == NULL || event_add(s->wake_ev, NULL) == -1)
		fatalx("loops: wake event");
	if (ops->init(rec, i, s->base, arg) == -1)
		return -1;
	s->inited = true;
	return 0;
}

static void
slot_free(struct slot *s)
{
	if (s->base == NULL)
		return;		/* never set up */
	if (s->inited)
		s->ops->fini(s->rec);
	if (s->wake_ev != NULL)
		event_free(s->wake_ev);
	if (s->wake[0] != -1) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	if (s->base != NULL)
		event_base_free(s->base);
}

int
loops_run(void *recs, size_t n, size_t size, const struct loops_ops *ops,
    void *arg)
{
	static const int signo[] = { SIGTERM, SIGINT, SIGHUP };
	struct event *sig[nitems(signo)];
	struct run r = { .n = n, .ops = ops, .arg = arg };
	size_t ready;
	int rc = 0;

	r.slots = xcalloc(n, sizeof(*r.slots));
	for (ready = 0; ready < n; ready++) {
		struct slot *s = &r.slots[ready];
		if (slot_init(s, ready, (char *)recs + ready * size, ops,
		    arg) == -1) {
			rc = -1;
			break;
		}
		if (ready > 0) {
			if (pthread_create(&s->thread, NULL, loop_thread,
			    s) != 0) {
				log_warnx("cannot start event loop %zu",
				    ready);
				rc = -1;
				break;
			}
			s->started = true;
		}
	}
	if (rc == 0) {
		for (size_t i = 0; i < nitems(signo); i++) {
			sig[i] = evsignal_new(r.slots[0].base, signo[i],
			    on_signal, &r);
			evsignal_add(sig[i], NULL);
		}
		event_base_dispatch(r.slots[0].base);
		signals_hold_for_exit();
		for (size_t i = 0; i < nitems(signo); i++)
			event_free(sig[i]);
	} else
		wake_others(&r);
	for (size_t i = 1; i < n; i++)
		if (r.slots[i].started)
			pthread_join(r.slots[i].thread, NULL);
	for (size_t i = 0; i < n; i++)
		slot_free(&r.slots[i]);
	free(r.slots);
	return rc;
}
