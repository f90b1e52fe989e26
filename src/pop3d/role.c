/*
 * role.c: the pop3 role process. One libevent loop serves pop3_listen
 * (plain text, STLS: RFC 2595) and pop3s_listen (implicit TLS, wrapped by
 * lib/server) for every session (conn.c). Started by posternd's master;
 * SIGTERM ends every session without UPDATE and exits.
 *
 * Password checks (yescrypt, tens of ms) and QUIT's expunges (a durable
 * commit each) run on worker threads (jobs.h); the maildrop's SQLite
 * and file reads at login and RETR stay on the loop: they are short and
 * mostly served from the page cache.
 */
#include "pop3d/pop3d.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "lib/log.h"
#include "lib/util.h"
#include "pop3d/maildrop.h"
#include "pop3d/role-private.h"
#include "store/store.h"

#define SHUTDOWN_GRACE_MS	500
#define IPFAIL_SHIFT_MAX	4	/* first delay at most 16 x */
#define IPFAIL_FORGET_S		900	/* quiet this long: forgotten */

static struct ipfail *
ipfail_slot(struct pop3d_role *role, const char *peer)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	struct ipfail *f;

	for (const char *p = peer; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	f = &role->ipfail[h % IPFAIL_SLOTS];
	if (f->key != h || time(NULL) - f->last > IPFAIL_FORGET_S) {
		f->key = h;
		f->n = 0;
	}
	return f;
}

unsigned
pop3d_ipfail_delay(struct pop3d_role *role, const char *peer)
{
	unsigned n = ipfail_slot(role, peer)->n;

	return POP3D_AUTH_DELAY_MS << (n < IPFAIL_SHIFT_MAX ? n :
	    IPFAIL_SHIFT_MAX);
}

void
pop3d_ipfail_note(struct pop3d_role *role, const char *peer)
{
	struct ipfail *f = ipfail_slot(role, peer);

	f->n++;
	f->last = time(NULL);
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

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct pop3d_role *role = arg;
	struct timeval tv = { 0, SHUTDOWN_GRACE_MS * 1000 };
	struct conn *c, *next;

	if (sig == SIGHUP)
		return;		/* the master restarts roles on reload */
	log_info("stopping, %zu sessions", role->nconns);
	server_stop_listening(role->srv);
	/* Sessions end without UPDATE: nothing is deleted. */
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

int
pop3d_role_main(const struct role_env *env)
{
	struct event *sig[3];
	const int signo[3] = { SIGTERM, SIGINT, SIGHUP };
	struct pop3d_role role;
	struct workq_settings wset = {
		.nthreads = POP3D_WORK_THREADS,
		.thread_init = store_thread_open,
		.thread_fini = store_thread_close,
		.arg = (void *)env->cfg,
	};
	char err[512];
	struct conn *c;

	memset(&role, 0, sizeof(role));
	role.env = env;
	TAILQ_INIT(&role.conns);
	role.expire_days = (int)env->cfg->pop3_expire;
	role.login_delay_s = (unsigned)env->cfg->pop3_login_delay;
	if (store_open(env->cfg, &role.store, err, sizeof(err)) == -1)
		fatalx("store: %s", err);
	role.sizes = pop3d_sizecache_new();
	if ((role.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	role.workq = workq_new(role.base, &wset);
	if (role.workq == NULL)
		log_warnx("no worker threads: logins and QUIT run inline");
	for (size_t i = 0; i < 3; i++) {
		sig[i] = evsignal_new(role.base, signo[i], on_signal, &role);
		evsignal_add(sig[i], NULL);
	}
	role.srv = server_new(role.base, env->tls, env->listeners,
	    env->nlisteners, on_conn, &role);
	event_base_dispatch(role.base);
	while ((c = TAILQ_FIRST(&role.conns)) != NULL)
		pop3d_conn_free(c);
	workq_free(&role.workq);
	server_free(&role.srv);
	for (size_t i = 0; i < 3; i++)
		event_free(sig[i]);
	event_base_free(role.base);
	pop3d_sizecache_free(&role.sizes);
	store_close(&role.store);
	return 0;
}
