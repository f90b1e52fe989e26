/*
 * role.c: the imap role process: IMAPD_LOOPS libevent loops, one per
 * thread, serving imap_listen (plaintext with STARTTLS) and imaps_listen
 * (implicit TLS). Every loop accepts on (its own copy of) every listener
 * and owns the sessions it accepted, with its own store handle, password
 * workers and IDLE watcher: nothing is shared between loops but the
 * read-only config and TLS context. A loop only moves bytes between
 * sockets and session engines (session.h), starts TLS when an engine
 * asks, and watches the selected mailbox of IDLE sessions.
 *
 * Why several loops: the store's durable writes (APPEND, STORE, EXPUNGE
 * commit with fsync) block the thread that makes them; with one loop,
 * every session waited for every other session's fsync. With several,
 * sessions on other loops keep going and concurrent syncs share a disk
 * flush (bench/imap_bench.md has the figures).
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "imapd/authpool.h"
#include "imapd/imapd.h"
#include "imapd/session.h"
#include "imapd/watch.h"
#include "lib/log.h"
#include "lib/loops.h"
#include "lib/util.h"
#include "store/store.h"

/* RFC 3501 §5.4: the autologout timer is at least 30 minutes. */
#define IMAPD_TIMEOUT_S		(31 * 60)
#define IMAPD_IDLE_POLL_MS	500
#define IMAPD_READ_CHUNK	65536
#define IMAPD_LOOPS		8	/* event loops (threads) */
#define IMAPD_AUTH_THREADS	1	/* password hashing, per loop */
#define IMAPD_MALLOC_ARENAS	4	/* glibc's default, 8 per core, keeps
					 * freed memory in many heaps */
#define IMAPD_KEEP_BUF		16384	/* output kept between commands */
#define IMAPD_STOP_GRACE_S	2
#define IMAPD_LINGER_TICKS	100	/* of 50 ms: output gets 5 s */

struct imapd_loop;

struct conn {
	LIST_ENTRY(conn)	 entry;
	struct imapd_loop	*role;
	struct bufferevent	*bev;
	struct imapd_session	*s;
	struct event		*poll;		/* IDLE without inotify, or
						 * the linger timer */
	struct watch		*watch;		/* IDLE with inotify */
	struct authjob		*job;		/* password check running */
	struct timespec		 mtime;
	bool			 closing;
	bool			 greeted;
	bool			 flushing;	/* run again once written */
	unsigned		 lingered;
	char			 peer[64];
};

/* One event loop and everything its sessions use. */
struct imapd_loop {
	const struct role_env	*env;
	struct event_base	*base;
	struct server		*srv;
	struct store		*store;
	struct authpool		*auth;
	struct watcher		*watcher;
	LIST_HEAD(, conn)	 conns;
	bool			 stopping;
};

static void conn_read(struct bufferevent *bev, void *arg);
static void conn_write(struct bufferevent *bev, void *arg);
static void conn_event(struct bufferevent *bev, short what, void *arg);

static void
conn_free(struct conn *c)
{
	LIST_REMOVE(c, entry);
	if (c->job != NULL)
		authpool_cancel(c->role->auth, c->job);
	if (c->watch != NULL)
		watcher_del(c->role->watcher, c->watch);
	if (c->poll != NULL)
		event_free(c->poll);
	imapd_session_free(&c->s);
	bufferevent_free(c->bev);
	free(c);
}

/* Hands the engine's output to the socket. */
static void
conn_flush(struct conn *c)
{
	struct buf *out = imapd_session_output(c->s);

	if (out->len == 0)
		return;
	bufferevent_write(c->bev, out->data, out->len);
	/* Idle sessions must stay small: give back a big FETCH's memory. */
	if (out->cap > IMAPD_KEEP_BUF)
		buf_free(out);
	else
		buf_reset(out);
}

/* Whether every byte went out, including what a STARTTLS filter
 * handed to the plaintext bufferevent below it. */
static bool
conn_drained(struct conn *c)
{
	struct bufferevent *under = bufferevent_get_underlying(c->bev);

	return evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
	    (under == NULL ||
	    evbuffer_get_length(bufferevent_get_output(under)) == 0);
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (conn_drained(c) || ++c->lingered > IMAPD_LINGER_TICKS)
		conn_free(c);
}

/* Frees the connection once its output is written. */
static void
conn_linger(struct conn *c)
{
	struct timeval tv = { 0, 50 * 1000 };

	if (conn_drained(c)) {
		conn_free(c);
		return;
	}
	if (c->poll != NULL)
		event_free(c->poll);
	if (c->watch != NULL) {
		watcher_del(c->role->watcher, c->watch);
		c->watch = NULL;
	}
	c->poll = event_new(c->role->base, -1, EV_PERSIST, linger_cb, c);
	event_add(c->poll, &tv);
}

static void
conn_close(struct conn *c)
{
	conn_flush(c);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_linger(c);
}

static void conn_process(struct conn *c);

/* The selected mailbox changed (or may have): send the updates. */
static void
conn_changed(struct conn *c)
{
	imapd_session_poll(c->s);
	conn_process(c);
}

static void
on_change(void *arg)
{
	conn_changed(arg);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	const char *path = imapd_session_idle_path(c->s);
	struct stat sb;

	(void)fd;
	(void)what;
	if (path == NULL || stat(path, &sb) == -1)
		return;
	if (sb.st_mtim.tv_sec == c->mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == c->mtime.tv_nsec)
		return;
	c->mtime = sb.st_mtim;
	conn_changed(c);
}

/* Starts or stops watching the mailbox as the session enters or leaves
 * IDLE: inotify when there is one, else a stat every half second. */
static void
conn_watch(struct conn *c)
{
	const char *path = imapd_session_idle_path(c->s);
	struct timeval tv = { 0, IMAPD_IDLE_POLL_MS * 1000 };
	struct stat sb;

	if (path == NULL) {
		if (c->watch != NULL) {
			watcher_del(c->role->watcher, c->watch);
			c->watch = NULL;
		}
		if (c->poll != NULL) {
			event_free(c->poll);
			c->poll = NULL;
		}
		return;
	}
	if (c->poll != NULL || c->watch != NULL)
		return;
	if (c->role->watcher != NULL && (c->watch =
	    watcher_add(c->role->watcher, path, on_change, c)) != NULL)
		return;
	if (stat(path, &sb) == 0)
		c->mtime = sb.st_mtim;
	else
		memset(&c->mtime, 0, sizeof(c->mtime));
	c->poll = event_new(c->role->base, -1, EV_PERSIST, poll_cb, c);
	event_add(c->poll, &tv);
}

static void
conn_starttls(struct conn *c)
{
	struct bufferevent *tbev;

	conn_flush(c);
	/* Nothing the client sent before the handshake counts. */
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	tbev = server_starttls(c->role->base, c->role->env->tls, c->bev);
	if (tbev == NULL) {
		log_warnx("imap: %s: cannot start TLS", c->peer);
		conn_free(c);
		return;
	}
	c->bev = tbev;
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	imapd_session_tls_started(c->s);
}

static void
auth_done(void *arg, int result, const char *canon)
{
	struct conn *c = arg;

	c->job = NULL;
	imapd_session_auth_done(c->s, result, canon);
	conn_process(c);
}

static void
scram_done(void *arg, int result, const struct scram_creds *creds,
    const char *canon)
{
	struct conn *c = arg;

	c->job = NULL;
	imapd_session_scram_done(c->s, result, creds, canon);
	conn_process(c);
}

/* Feeds buffered input to the engine and acts on what it asks for. */
static void
conn_process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	enum imapd_action act = IMAPD_ACT_NONE;
	const char *user, *pass;
	int stalled = 0;

	if (c->closing || c->job != NULL)
		return;
	for (;;) {
		size_t len = evbuffer_get_length(in), took;
		unsigned char *data;

		if (len > IMAPD_READ_CHUNK)
			len = IMAPD_READ_CHUNK;
		took = 0;
		if (len > 0) {
			data = evbuffer_pullup(in, (ssize_t)len);
			took = imapd_session_push(c->s, data, len);
			evbuffer_drain(in, took);
		}
		act = imapd_session_run(c->s);
		conn_flush(c);
		if (act != IMAPD_ACT_NONE ||
		    evbuffer_get_length(in) == 0)
			break;
		if (took == 0 && ++stalled > 2)
			break;	/* cannot happen: the engine took nothing */
	}
	switch (act) {
	case IMAPD_ACT_CLOSE:
		conn_close(c);
		return;
	case IMAPD_ACT_STARTTLS:
		conn_starttls(c);
		return;
	case IMAPD_ACT_AUTH:
		if (imapd_session_auth_request(c->s, &user, &pass))
			c->job = authpool_submit(c->role->auth, user, pass,
			    auth_done, c);
		return;
	case IMAPD_ACT_SCRAM:
		if (imapd_session_scram_request(c->s, &user))
			c->job = authpool_submit_scram(c->role->auth, user,
			    scram_done, c);
		return;
	case IMAPD_ACT_FLUSH:
		c->flushing = true;
		return;
	case IMAPD_ACT_NONE:
		break;
	}
	conn_watch(c);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_process(arg);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing && c->poll == NULL &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_linger(c);
	else if (c->flushing && !c->closing) {
		c->flushing = false;
		conn_process(c);
	}
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		/* Implicit TLS is up (after STARTTLS: no second greeting). */
		if (!c->greeted) {
			c->greeted = true;
			imapd_session_greet(c->s);
			conn_flush(c);
		}
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		struct buf *out = imapd_session_output(c->s);

		buf_puts(out, "* BYE Autologout; idle for too long\r\n");
		conn_close(c);
		return;
	}
	conn_free(c);
}

static void
on_conn(struct server_conn *sc, void *arg)
{
	struct imapd_loop *r = arg;
	const struct config *cfg = r->env->cfg;
	struct imapd_settings set;
	struct timeval tv = { IMAPD_TIMEOUT_S, 0 };
	struct conn *c;

	if (r->stopping) {
		bufferevent_free(sc->bev);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->role = r;
	c->bev = sc->bev;
	strlcpy_(c->peer, sc->peer_addr, sizeof(c->peer));
	memset(&set, 0, sizeof(set));
	set.hostname = cfg->hostname;
	set.tls = sc->tls;
	set.starttls = !sc->tls && r->env->tls != NULL;
	set.plaintext_ok = cfg->plaintext_auth == CONFIG_PLAINTEXT_ALWAYS ||
	    (cfg->plaintext_auth == CONFIG_PLAINTEXT_LOOPBACK &&
	    server_peer_is_loopback(&sc->peer));
	set.append_max = cfg->max_message_size;
	set.async_auth = r->auth != NULL;
	set.peer = c->peer;
	c->s = imapd_session_new(&set, r->store);
	LIST_INSERT_HEAD(&r->conns, c, entry);
	bufferevent_setcb(c->bev, conn_read, conn_write, conn_event, c);
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (!sc->tls) {
		c->greeted = true;
		imapd_session_greet(c->s);
		conn_flush(c);
	}
}

/* Stops accepting, ends every session with BYE and leaves the loop
 * once they are gone (or after a grace period). */
static void
loop_stop(void *arg)
{
	struct imapd_loop *r = arg;
	struct timeval grace = { IMAPD_STOP_GRACE_S, 0 };
	struct conn *c, *next;

	if (r->stopping)
		return;
	r->stopping = true;
	server_stop_listening(r->srv);
	for (c = LIST_FIRST(&r->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		if (c->closing)
			continue;
		imapd_session_shutdown(c->s);
		conn_close(c);
	}
	event_base_loopexit(r->base, LIST_EMPTY(&r->conns) ? NULL : &grace);
}

static int
loop_init(void *rec, size_t i, struct event_base *base, void *arg)
{
	struct imapd_loop *r = rec;
	const struct role_env *env = arg;
	struct server_listener *l;
	char err[512];

	memset(r, 0, sizeof(*r));
	r->env = env;
	r->base = base;
	LIST_INIT(&r->conns);
	if (store_open(env->cfg, &r->store, err, sizeof(err)) == -1) {
		log_warnx("imap: store: %s", err);
		return -1;
	}
	/* Without workers, logins are checked in the loop. */
	r->auth = authpool_new(r->base, env->cfg, IMAPD_AUTH_THREADS);
	r->watcher = watcher_new(r->base);
	if (i == 0)
		r->srv = server_new(r->base, env->tls, env->listeners,
		    env->nlisteners, on_conn, r);
	else {
		l = server_listeners_dup(env->listeners, env->nlisteners);
		r->srv = server_new(r->base, env->tls, l, env->nlisteners,
		    on_conn, r);
		free(l);
	}
	/* Every loop is woken for a new connection: each takes one, so a
	 * burst spreads over the loops (server.h). */
	server_set_accept_batch(r->srv, 1);
	return 0;
}

static void
loop_free(void *rec)
{
	struct imapd_loop *r = rec;

	while (!LIST_EMPTY(&r->conns))
		conn_free(LIST_FIRST(&r->conns));
	server_free(&r->srv);
	authpool_free(&r->auth);
	watcher_free(&r->watcher);
	store_close(&r->store);
}

static void
on_stopping(void *arg)
{
	(void)arg;
	log_info("stopping");
}

int
imapd_role_main(const struct role_env *env)
{
	static const struct loops_ops ops = {
		.init = loop_init,
		.stop = loop_stop,
		.fini = loop_free,
		.signalled = on_stopping,
	};
	struct imapd_loop *loops;
	int rc;

	(void)mallopt(M_ARENA_MAX, IMAPD_MALLOC_ARENAS);
	loops = xcalloc(IMAPD_LOOPS, sizeof(*loops));
	rc = loops_run(loops, IMAPD_LOOPS, sizeof(*loops), &ops,
	    (void *)env) == 0 ? 0 : 1;
	free(loops);
	return rc;
}
