/*
 * loops.h: a role's event loops, one per thread (the POP3 and IMAP roles).
 *
 * loops_run gives each of n loop records an event base and a thread of
 * its own (loop 0 runs on the caller's thread) and returns when every loop
 * has ended. Loop 0 alone takes SIGTERM and SIGINT: it then wakes every
 * other loop through a pipe, and each stops itself in its own thread (the
 * ops' stop), so no loop's state is ever touched from another thread.
 * SIGHUP is ignored here: the master restarts roles on reload. The loops
 * accept on copies of the role's listeners (server_listeners_dup) with
 * server_set_accept_batch(srv, 1), so a burst spreads over them.
 */
#ifndef LIB_LOOPS_H
#define LIB_LOOPS_H

#include <stddef.h>

struct event_base;

struct loops_ops {
	/* Sets up loop record `loop`, the i-th, on base: 0 or -1 (logged;
	 * the loops started so far are stopped and loops_run fails). */
	int	(*init)(void *loop, size_t i, struct event_base *base,
		    void *arg);
	/* Starts an orderly stop of the loop, in its own thread: stop
	 * accepting, end the sessions, event_base_loopexit when done. */
	void	(*stop)(void *loop);
	/* Frees what init set up, after every loop has ended. */
	void	(*fini)(void *loop);
	/* Optional: on SIGTERM or SIGINT, in loop 0's thread, before the
	 * loops are stopped (a log line). */
	void	(*signalled)(void *arg);
};

/*
 * Runs n loops over the n records of size bytes each at recs (the
 * caller's array). 0 once all have ended, -1 when one could not start.
 */
int loops_run(void *recs, size_t n, size_t size,
    const struct loops_ops *ops, void *arg);

#endif
