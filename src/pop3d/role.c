/*
 * role.c: the pop3 role process. One libevent loop per core (at most
 * POP3D_LOOPS_MAX), each on its own thread, serves pop3_listen (plain
 * text, STLS: RFC 2595) and pop3s_listen (implicit TLS, wrapped by
 * lib/server): every loop accepts on its own copy of each listener and
 * owns the sessions it accepted (conn.c), with its own store handle,
 * size cache and worker threads. What the loops share is read-only
 * (config, TLS context) or under one lock (per-address session counts
 * and failed logins). One loop cannot use more than a core, and RETR is
 * bound by the CPU that moves bytes into sockets: with one loop a core,
 * sessions are served in parallel (bench/pop3_bench.py: 1.4x Dovecot
 * with one loop, 1.9-2.2x with two on this 2-core machine). Started by
 * posternd's master; SIGTERM ends every session without UPDATE and exits.
 *
 * Password checks (yescrypt, tens of ms) and QUIT's expunges (a durable
 * commit each) run on worker threads (jobs.h); the maildrop's SQLite
 * and file reads at login and RETR stay on the loop: they are short and
 * mostly served from the page cache.
 */
#include "pop3d/pop3d.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/log.h"
#include "lib/loops.h"
#include "lib/util.h"
#include "pop3d/maildrop.h"
#include "pop3d/role-private.h"
#include "store/store.h"

#define SHUTDOWN_GRACE_MS	500
#define IPFAIL_SHIFT_MAX	4	/* first delay at most 16 x */
#define IPFAIL_FORGET_S		900	/* quiet this long: forgotten */

static uint64_t
peer_hash(const char *peer)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = peer; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

/* Under the shared lock. */
static struct ipfail *
ipfail_slot(struct pop3d_shared *sh, const char *peer)
{
	uint64_t h = peer_hash(peer);
	struct ipfail *f;

	f = &sh->ipfail[h % IPFAIL_SLOTS];
	if (f->key != h || time(NULL) - f->last > IPFAIL_FORGET_S) {
		f->key = h;
		f->n = 0;
	}
	return f;
}

unsigned
pop3d_ipfail_delay(struct pop3d_role *role, const char *peer)
{
	struct pop3d_shared *sh = role->shared;
	unsigned n;

	pthread_mutex_lock(&sh->lock);
	n = ipfail_slot(sh, peer)->n;
	pthread_mutex_unlock(&sh->lock);
	return POP3D_AUTH_DELAY_MS << (n < IPFAIL_SHIFT_MAX ? n :
	    IPFAIL_SHIFT_MAX);
}

void
pop3d_ipfail_note(struct pop3d_role *role, const char *peer)
{
	struct pop3d_shared *sh = role->shared;
	struct ipfail *f;

	pthread_mutex_lock(&sh->lock);
	f = ipfail_slot(sh, peer);
	f->n++;
	f->last = time(NULL);
	pthread_mutex_unlock(&sh->lock);
}

/*
 * Open sessions by address: an open-addressed table keyed by the
 * address's 64-bit hash (0 is never a key: FNV-1a of a non-empty string
 * is not 0 in practice, and a 0 is mapped to 1). Past PEER_SLOTS distinct
 * addresses every further one counts as over the limit.
 */
static struct peer *
peer_find(struct pop3d_shared *sh, uint64_t key, bool add)
{
	size_t i = key % PEER_SLOTS;
	struct peer *tomb = NULL;

	for (size_t n = 0; n < PEER_SLOTS; n++, i = (i + 1) % PEER_SLOTS) {
		struct peer *p = &sh->peers[i];

		if (p->key == key)
			return p;
		if (p->key == 0) {
			if (add && tomb == NULL)
				tomb = p;
			if (p->n == 0)	/* never used: the key is not past it */
				break;
		}
	}
	if (!add)
		return NULL;
	if (tomb != NULL) {
		tomb->key = key;
		tomb->n = 0;
	}
	return tomb;
}

unsigned
pop3d_peer_enter(struct pop3d_role *role, const char *peer)
{
	struct pop3d_shared *sh = role->shared;
	uint64_t key = peer_hash(peer);
	struct peer *p;
	unsigned before;

	key += key == 0;
	pthread_mutex_lock(&sh->lock);
	if ((p = peer_find(sh, key, true)) == NULL)
		before = POP3D_PER_IP_MAX;
	else
		before = p->n++;
	pthread_mutex_unlock(&sh->lock);
	return before;
}

void
pop3d_peer_leave(struct pop3d_role *role, const char *peer)
{
	struct pop3d_shared *sh = role->shared;
	uint64_t key = peer_hash(peer);
	struct peer *p;

	key += key == 0;
	pthread_mutex_lock(&sh->lock);
	if ((p = peer_find(sh, key, false)) != NULL && p->n > 0 &&
	    --p->n == 0) {
		p->key = 0;	/* a tombstone: n stays 1 so probes go on */
		p->n = 1;
	}
	pthread_mutex_unlock(&sh->lock);
}

static void
on_conn(struct server_conn *sc, void *arg)
{
	pop3d_conn_new(arg, sc);
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(arg, NULL);
}

/* Stops accepting and ends every session of this loop without UPDATE,
 * then leaves the loop once they are gone or after a grace period. */
static void
loop_stop(void *arg)
{
	struct pop3d_role *role = arg;
	struct timeval tv = { 0, SHUTDOWN_GRACE_MS * 1000 };
	struct conn *c, *next;

	server_stop_listening(role->srv);
	for (c = TAILQ_FIRST(&role->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->closing)
			continue;
		if (c->msgfd == -1)
			pop3d_conn_say(c, "-ERR [SYS/TEMP] Server shutting "
			    "down\r\n");
		pop3d_conn_close(c);
	}
	if (role->nconns == 0)
		event_base_loopexit(role->base, NULL);
	else
		event_base_once(role->base, -1, EV_TIMEOUT, on_stop,
		    role->base, &tv);
}

/* What every loop_init gets. */
struct loops_arg {
	const struct role_env	*env;
	struct pop3d_shared	*shared;
	struct pop3d_role	*loops;
	size_t			 nloops;
};

/* Signalled: a log line with the sessions there are. */
static void
on_stopping(void *arg)
{
	const struct loops_arg *la = arg;
	size_t n = 0;

	for (size_t i = 0; i < la->nloops; i++)
		n += la->loops[i].nconns;	/* racy reads: a log figure */
	log_info("stopping, about %zu sessions", n);
}

static int
loop_init(void *rec, size_t i, struct event_base *base, void *arg)
{
	struct pop3d_role *role = rec;
	const struct loops_arg *la = arg;
	const struct role_env *env = la->env;
	size_t nloops = la->nloops;
	/* POP3D_WORK_THREADS in all, not per loop: a password check takes
	 * 16 MB of scratch, and the cores are the limit anyway. */
	struct workq_settings wset = {
		.nthreads = POP3D_WORK_THREADS / nloops > 0 ?
		    POP3D_WORK_THREADS / nloops : 1,
		.thread_init = store_thread_open,
		.thread_fini = store_thread_close,
		.arg = (void *)env->cfg,
	};
	struct server_listener *l;
	char err[512];

	memset(role, 0, sizeof(*role));
	role->env = env;
	role->shared = la->shared;
	role->nloops = nloops;
	role->base = base;
	TAILQ_INIT(&role->conns);
	role->expire_days = (int)env->cfg->pop3_expire;
	role->login_delay_s = (unsigned)env->cfg->pop3_login_delay;
	if (store_open(env->cfg, &role->store, err, sizeof(err)) == -1)
		fatalx("store: %s", err);
	role->sizes = pop3d_sizecache_new();
	role->workq = workq_new(role->base, &wset);
	if (role->workq == NULL)
		log_warnx("no worker threads: logins and QUIT run inline");
	if (i == 0)
		role->srv = server_new(role->base, env->tls, env->listeners,
		    env->nlisteners, on_conn, role);
	else {
		l = server_listeners_dup(env->listeners, env->nlisteners);
		role->srv = server_new(role->base, env->tls, l,
		    env->nlisteners, on_conn, role);
		free(l);
	}
	if (nloops > 1)
		server_set_accept_batch(role->srv, 1);
	return 0;
}

static void
loop_free(void *rec)
{
	struct pop3d_role *role = rec;
	struct conn *c;

	while ((c = TAILQ_FIRST(&role->conns)) != NULL)
		pop3d_conn_free(c);
	workq_free(&role->workq);
	server_free(&role->srv);
	pop3d_sizecache_free(&role->sizes);
	store_close(&role->store);
}

int
pop3d_role_main(const struct role_env *env)
{
	static const struct loops_ops ops = {
		.init = loop_init,
		.stop = loop_stop,
		.fini = loop_free,
		.signalled = on_stopping,
	};
	struct pop3d_shared *sh = xcalloc(1, sizeof(*sh));
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nloops = cores < 1 ? 1 : cores > POP3D_LOOPS_MAX ?
	    POP3D_LOOPS_MAX : (size_t)cores;
	struct pop3d_role *loops = xcalloc(nloops, sizeof(*loops));
	struct loops_arg la = { env, sh, loops, nloops };
	int rc;

	/* glibc gives each thread that allocates an arena of its own (up
	 * to 8 a core): with loops and workers that is most of the role's
	 * memory for no gain here. */
	mallopt(M_ARENA_MAX, 2);
	pthread_mutex_init(&sh->lock, NULL);
	rc = loops_run(loops, nloops, sizeof(*loops), &ops, &la);
	free(loops);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
	return rc == 0 ? 0 : 1;
}
