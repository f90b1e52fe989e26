/*
 * role.c: the smtp role process's glue between sockets and the session
 * engine (see smtpd.h, session.h). One libevent loop; each connection is
 * a bufferevent (TLS inside it for submissions and after STARTTLS) and a
 * session engine; the engine's ops are answered from the store
 * (recipients, passwords) and the spool (queue files, group commit).
 */
#include "smtpd/smtpd.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/statvfs.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "lib/cidr.h"
#include "lib/log.h"
#include "lib/server.h"
#include "lib/util.h"
#include "queue/spool.h"
#include "smtpd/session.h"
#include "store/account.h"
#include "store/addr.h"
#include "store/alias.h"
#include "store/store.h"

#define SMTPD_READ_CHUNK 16384
/* Input read ahead of the engine (pipelined commands, a client that
 * does not wait for the 250 after its dot) stops being read here. */
#define SMTPD_READ_AHEAD_MAX (4 * SMTPD_READ_CHUNK)

struct srv;

struct conn {
	struct srv		*srv;
	struct bufferevent	*bev;
	struct smtpd_session	*sess;
	struct spool_msg	*msg;
	char			 peer[64];
	char			 service[16];
	char			 qid[QUEUE_ID_LEN + 1];
	bool			 committing;	/* a commit callback will come */
	bool			 dead;		/* socket gone, free on callback */
	bool			 closing;	/* flush output, then free */
	struct event		*linger;	/* waits for TLS output */
	int			 lingered;	/* checks done */
	LIST_ENTRY(conn)	 entry;
};
LIST_HEAD(connlist, conn);

struct srv {
	const struct role_env	*env;
	const struct config	*cfg;
	struct event_base	*base;
	struct server		*server;
	struct store		*store;
	struct spool		*spool;
	struct spool_committer	*committer;
	struct connlist		 conns;
	size_t			 nconns;
	bool			 stopping;
	struct event		*stop_timer;
};

static void conn_pump(struct conn *c);
static void conn_free(struct conn *c);

/* --- the engine's ops ------------------------------------------------ */

static enum smtpd_rcpt_kind
op_rcpt_lookup(void *ctx, const char *mailbox, const char *domain)
{
	struct conn *c = ctx;
	const char *errstr = NULL;
	int r;

	if (*domain != '\0' &&
	    !store_addr_is_local_domain(c->srv->cfg, domain))
		return SMTPD_RCPT_REMOTE;
	r = store_rcpt_lookup(c->srv->store, mailbox, NULL, &errstr);
	if (r == -1) {
		log_warnx("recipient lookup %s: %s", mailbox,
		    errstr ? errstr : "error");
		return SMTPD_RCPT_TEMPFAIL;
	}
	return r == 1 ? SMTPD_RCPT_LOCAL : SMTPD_RCPT_UNKNOWN;
}

static enum smtpd_status
op_auth(void *ctx, const char *user, const char *pass)
{
	struct conn *c = ctx;
	const char *errstr = NULL;
	int r;

	/* yescrypt costs a few ms of CPU in the loop; acceptable at the
	 * login rates of a submission service, and it slows guessing. */
	r = store_user_verify(c->srv->store, user, pass, NULL, &errstr);
	if (r == -1) {
		log_warnx("auth %s: %s", user, errstr ? errstr : "error");
		return SMTPD_TEMPFAIL;
	}
	return r == 1 ? SMTPD_OK : SMTPD_PERMFAIL;
}

static enum smtpd_status
op_scram(void *ctx, const char *user, struct scram_creds *creds_out,
    char *canon_out, size_t canonsize)
{
	struct conn *c = ctx;
	char canon[STORE_ADDR_MAX + 1];
	const char *errstr = NULL;
	int r;

	/* A single indexed SELECT: where op_auth's check runs, in the loop. */
	r = store_user_scram_get(c->srv->store, user, creds_out, canon,
	    &errstr);
	if (r == -1) {
		log_warnx("auth %s: %s", user, errstr ? errstr : "error");
		return SMTPD_TEMPFAIL;
	}
	if (r == 1)
		strlcpy_(canon_out, canon, canonsize);
	return r == 1 ? SMTPD_OK : SMTPD_PERMFAIL;
}

static enum smtpd_status
op_space(void *ctx, uint64_t size)
{
	struct conn *c = ctx;
	struct statvfs sv;
	uint64_t avail;

	if (statvfs(spool_path(c->srv->spool), &sv) == -1)
		return SMTPD_OK;	/* unknown: let the write decide */
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	return avail > size + SMTPD_SPACE_RESERVE ? SMTPD_OK : SMTPD_TEMPFAIL;
}

static enum smtpd_status
op_msg_begin(void *ctx, const struct smtpd_envelope *se, char *id_out,
    size_t idsize)
{
	struct conn *c = ctx;
	struct queue_envelope env;
	int r;

	queue_env_init(&env);
	free(env.sender);
	env.sender = xstrdup(se->sender);
	env.arrival = (int64_t)time(NULL);
	env.body = se->mail.body == SMTPD_BODY_8BITMIME ?
	    QUEUE_BODY_8BITMIME : QUEUE_BODY_7BIT;
	env.smtputf8 = se->mail.smtputf8 != 0;
	env.ret = se->mail.ret == SMTPD_RET_FULL ? QUEUE_RET_FULL :
	    se->mail.ret == SMTPD_RET_HDRS ? QUEUE_RET_HDRS :
	    QUEUE_RET_DEFAULT;
	if (se->mail.envid[0] != '\0')
		env.envid = xstrdup(se->mail.envid);
	if (se->auth_user != NULL)
		env.auth = xstrdup(se->auth_user);
	env.client = xstrdup(se->peer_addr);
	if (se->helo != NULL)
		env.helo = xstrdup(se->helo);
	for (size_t i = 0; i < se->nrcpts; i++) {
		const struct smtpd_rcpt *rc = &se->rcpts[i];
		(void)queue_env_add_rcpt(&env, rc->mailbox,
		    rc->dsn.orcpt[0] ? rc->dsn.orcpt : NULL, rc->dsn.notify);
	}
	r = spool_msg_begin(c->srv->spool, &env, &c->msg);
	queue_env_free(&env);
	if (r == -1) {
		log_warn("cannot create a queue file");
		return SMTPD_TEMPFAIL;
	}
	strlcpy_(c->qid, spool_msg_id(c->msg), sizeof(c->qid));
	strlcpy_(id_out, c->qid, idsize);
	return SMTPD_OK;
}

static int
op_msg_write(void *ctx, const void *data, size_t len)
{
	struct conn *c = ctx;

	if (c->msg == NULL)
		return -1;
	if (spool_msg_write(c->msg, data, len) == -1) {
		log_msg_warnx(c->qid, "writing queue file: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
commit_done(void *arg, int ok, const char *id)
{
	struct conn *c = arg;

	c->committing = false;
	if (ok == -1)
		log_msg_warnx(id, "queue file not made durable: replying 451");
	if (c->dead) {
		conn_free(c);
		return;
	}
	smtpd_session_commit_done(c->sess, ok == 0 ? SMTPD_OK :
	    SMTPD_TEMPFAIL);
	if (c->srv->stopping && !smtpd_session_waiting(c->sess))
		smtpd_session_abort(c->sess, "4.3.2", "Service shutting down");
	/* Input held while the engine waited: read it from the loop (the
	 * reply may have gone out at once, so on_write will not come). */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
		    BEV_TRIG_DEFER_CALLBACKS);
	conn_pump(c);
}

static enum smtpd_status
op_msg_commit(void *ctx)
{
	struct conn *c = ctx;

	if (c->msg == NULL)
		return SMTPD_TEMPFAIL;
	c->committing = true;
	spool_commit(c->srv->committer, &c->msg, commit_done, c);
	return SMTPD_PENDING;
}

static void
op_msg_abort(void *ctx)
{
	struct conn *c = ctx;

	spool_msg_abort(&c->msg);
}

static void
op_event(void *ctx, enum smtpd_event ev, const char *detail)
{
	struct conn *c = ctx;

	switch (ev) {
	case SMTPD_EV_QUEUED:
		log_msg_info(detail, "%s: accepted from %s", c->service,
		    c->peer);
		break;
	case SMTPD_EV_AUTH_OK:
		log_info("%s: %s authenticated as %s", c->service, c->peer,
		    detail);
		break;
	case SMTPD_EV_AUTH_FAIL:
		log_warnx("%s: %s failed to authenticate as %s", c->service,
		    c->peer, detail);
		break;
	default:
		log_info("%s: %s: %s", c->service, c->peer,
		    detail ? detail : "event");
		break;
	}
}

static const struct smtpd_ops ops = {
	.rcpt_lookup = op_rcpt_lookup,
	.auth = op_auth,
	.scram = op_scram,
	.space = op_space,
	.msg_begin = op_msg_begin,
	.msg_write = op_msg_write,
	.msg_commit = op_msg_commit,
	.msg_abort = op_msg_abort,
	.event = op_event,
};

/* --- connections ----------------------------------------------------- */

static void
maybe_exit(struct srv *s)
{
	if (s->stopping && s->nconns == 0)
		event_base_loopexit(s->base, NULL);
}

static void
conn_free(struct conn *c)
{
	struct srv *s = c->srv;

	if (c->linger != NULL) {
		event_free(c->linger);
		c->linger = NULL;
	}
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	if (c->committing) {
		/* The commit callback still points here: let it free us. */
		c->dead = true;
		return;
	}
	smtpd_session_free(&c->sess);
	spool_msg_abort(&c->msg);
	LIST_REMOVE(c, entry);
	s->nconns--;
	free(c);
	maybe_exit(s);
}

static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

static void
start_tls(struct conn *c)
{
	struct bufferevent *tbev;

	/* Whatever plaintext the client sent after STARTTLS is dropped
	 * before the handshake reads anything (CVE-2011-0411). */
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	tbev = server_starttls(c->srv->base, c->srv->env->tls, c->bev);
	if (tbev == NULL) {
		log_warnx("%s: %s: cannot start TLS", c->service, c->peer);
		conn_free(c);
		return;
	}
	c->bev = tbev;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, SMTPD_READ_AHEAD_MAX);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Bytes not yet on the wire: the bufferevent's own output and, after
 * STARTTLS, the output of the socket bufferevent under the TLS filter. */
static size_t
unsent(struct conn *c)
{
	struct bufferevent *under = bufferevent_get_underlying(c->bev);
	size_t n = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (under != NULL)
		n += evbuffer_get_length(bufferevent_get_output(under));
	return n;
}

static void
on_linger(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = { 0, 10000 };

	(void)fd;
	(void)what;
	/* At most ~5 s for a slow reader to take the last reply. */
	if (unsent(c) == 0 || ++c->lingered > 500) {
		conn_free(c);
		return;
	}
	evtimer_add(c->linger, &tv);
}

/* Frees c once its last reply has left. */
static void
close_when_sent(struct conn *c)
{
	if (unsent(c) == 0) {
		conn_free(c);
		return;
	}
	if (c->linger == NULL) {
		c->linger = evtimer_new(c->srv->base, on_linger, c);
		on_linger(-1, 0, c);
	}
}

/*
 * Sends engine output. In plaintext, with nothing queued before it, the
 * reply goes to the socket at once: the common case of one short reply
 * costs one send(2) and no write event to switch on and off again. What
 * the socket does not take, and everything under TLS, goes through the
 * bufferevent (which also reports a failed socket to on_event).
 */
static void
conn_send(struct conn *c, const char *out, size_t len)
{
	struct evbuffer *ob = bufferevent_get_output(c->bev);

	if (bufferevent_openssl_get_ssl(c->bev) == NULL &&
	    evbuffer_get_length(ob) == 0) {
		ssize_t n = send(bufferevent_getfd(c->bev), out, len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			out += n;
			len -= (size_t)n;
		}
	}
	if (len > 0)
		bufferevent_write(c->bev, out, len);
}

/* Moves engine output to the socket and acts on the engine's actions.
 * May free c. */
static void
conn_pump(struct conn *c)
{
	const char *out;
	size_t len;
	unsigned act;

	out = smtpd_session_output(c->sess, &len);
	if (len > 0) {
		conn_send(c, out, len);
		smtpd_session_output_consume(c->sess, len);
	}
	act = smtpd_session_actions(c->sess);
	if (act & SMTPD_ACT_CLOSE) {
		c->closing = true;
		bufferevent_disable(c->bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			close_when_sent(c);
		return;
	}
	if (act & SMTPD_ACT_STARTTLS) {
		if (!bufferevent_openssl_get_ssl(c->bev))
			start_tls(c);
		return;
	}
	/* Reading goes on while a message commits (the engine keeps what
	 * comes, up to its buffer, and SMTPD_READ_AHEAD_MAX bounds the
	 * rest): switching it off and on again cost two epoll_ctl per
	 * message. Not during the TLS handshake. */
	if (smtpd_session_waiting(c->sess) && !c->committing)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!c->closing && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		size_t took;

		if (evbuffer_peek(in, SMTPD_READ_CHUNK, NULL, &v, 1) < 1)
			break;
		if (v.iov_len > SMTPD_READ_CHUNK)
			v.iov_len = SMTPD_READ_CHUNK;
		took = smtpd_session_push(c->sess, v.iov_base, v.iov_len);
		evbuffer_drain(in, took);
		if (smtpd_session_actions(c->sess) &
		    (SMTPD_ACT_CLOSE | SMTPD_ACT_STARTTLS))
			break;
		if (took == 0)
			break;	/* the engine waits: hold the rest */
	}
	conn_pump(c);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) != 0)
		return;
	if (c->closing) {
		close_when_sent(c);
		return;
	}
	/* Output drained: let the engine process input it held. */
	smtpd_session_push(c->sess, NULL, 0);
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		on_read(bev, c);
	else
		conn_pump(c);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (bufferevent_openssl_get_ssl(c->bev) &&
		    (smtpd_session_actions(c->sess) & SMTPD_ACT_STARTTLS))
			smtpd_session_tls_done(c->sess, NULL);
		conn_pump(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		log_info("%s: %s: timeout", c->service, c->peer);
		c->closing = true;
		smtpd_session_abort(c->sess, "4.4.2", "Timeout");
		bufferevent_disable(c->bev, EV_READ);
		conn_pump(c);
		return;
	}
	/* EOF or error: a dropped connection leaves nothing half-queued
	 * (smtpd_session_free aborts a message being received). */
	conn_free(c);
}

static size_t
count_peer(struct srv *s, const char *peer)
{
	struct conn *c;
	size_t n = 0;

	LIST_FOREACH(c, &s->conns, entry)
		n += strcmp(c->peer, peer) == 0;
	return n;
}

static void
on_conn(struct server_conn *sc, void *arg)
{
	struct srv *s = arg;
	struct smtpd_settings set;
	struct timeval tv = { SMTPD_TIMEOUT_COMMAND, 0 };
	struct conn *c;
	bool over;

	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->bev = sc->bev;
	strlcpy_(c->peer, sc->peer_addr, sizeof(c->peer));
	strlcpy_(c->service, sc->service, sizeof(c->service));
	over = count_peer(s, c->peer) >= SMTPD_PER_IP_MAX;
	memset(&set, 0, sizeof(set));
	set.hostname = s->cfg->hostname;
	if (strcmp(sc->service, "submission") == 0)
		set.listener = SMTPD_LISTENER_SUBMISSION;
	else if (strcmp(sc->service, "submissions") == 0)
		set.listener = SMTPD_LISTENER_SUBMISSIONS;
	else
		set.listener = SMTPD_LISTENER_MTA;
	set.tls_active = sc->tls;
	set.tls_available = !sc->tls && s->env->tls != NULL;
	switch (s->cfg->plaintext_auth) {
	case CONFIG_PLAINTEXT_NEVER:
		set.plaintext_auth = false;
		break;
	case CONFIG_PLAINTEXT_LOOPBACK:
		set.plaintext_auth = server_peer_is_loopback(&sc->peer);
		break;
	case CONFIG_PLAINTEXT_ALWAYS:
		set.plaintext_auth = true;
		break;
	}
	set.max_message_size = s->cfg->max_message_size;
	set.peer_addr = c->peer;
	for (size_t i = 0; i < s->cfg->nrelay_networks; i++)
		if (cidr_match(&s->cfg->relay_networks[i],
		    (const struct sockaddr *)&sc->peer))
			set.peer_relay = true;
	c->sess = smtpd_session_new(&set, &ops, c);
	LIST_INSERT_HEAD(&s->conns, c, entry);
	s->nconns++;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setwatermark(c->bev, EV_READ, 0, SMTPD_READ_AHEAD_MAX);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (over) {
		log_warnx("%s: %s: too many connections", c->service, c->peer);
		smtpd_session_abort(c->sess, "4.7.0", "Too many connections "
		    "from your address");
	} else if (s->stopping)
		smtpd_session_abort(c->sess, "4.3.2", "Service shutting down");
	else
		/* With implicit TLS the bufferevent holds the greeting
		 * until the handshake is done. */
		smtpd_session_greet(c->sess);
	conn_pump(c);
}

/* --- process --------------------------------------------------------- */

static void
on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;

	(void)fd;
	(void)what;
	log_warnx("%zu sessions still open at shutdown: closing them",
	    s->nconns);
	event_base_loopexit(s->base, NULL);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;
	struct conn *c, *next;
	struct timeval tv = { SMTPD_STOP_GRACE, 0 };

	(void)what;
	if (sig == SIGHUP || s->stopping)
		return;
	log_info("stopping");
	s->stopping = true;
	server_stop_listening(s->server);
	/* Sessions end cleanly with a 421; one waiting for its queue file
	 * to become durable gets its 250 first (commit_done). */
	for (c = LIST_FIRST(&s->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		if (c->dead || c->closing || c->committing)
			continue;
		smtpd_session_abort(c->sess, "4.3.2", "Service shutting down");
		conn_pump(c);
	}
	s->stop_timer = evtimer_new(s->base, on_stop_timer, s);
	evtimer_add(s->stop_timer, &tv);
	maybe_exit(s);
}

int
smtpd_role_main(const struct role_env *env)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
	struct event *sigs[3];
	struct srv s;
	char err[512];

	memset(&s, 0, sizeof(s));
	s.env = env;
	s.cfg = env->cfg;
	LIST_INIT(&s.conns);
	if (store_open(s.cfg, &s.store, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (spool_open(s.cfg->data_dir, &s.spool, err, sizeof(err)) == -1)
		fatalx("%s", err);
	spool_clean_tmp(s.spool);
	spool_set_sync(s.spool, env->sync);
	if ((s.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	s.committer = spool_committer_new(s.spool, s.base);
	for (size_t i = 0; i < nitems(signals); i++) {
		sigs[i] = evsignal_new(s.base, signals[i], on_signal, &s);
		evsignal_add(sigs[i], NULL);
	}
	s.server = server_new(s.base, env->tls, env->listeners,
	    env->nlisteners, on_conn, &s);
	event_base_dispatch(s.base);
	signals_hold_for_exit();

	/* Commits still in flight complete (their callbacks run) before
	 * the remaining connections are dropped. */
	spool_committer_free(&s.committer);
	while (!LIST_EMPTY(&s.conns)) {
		struct conn *c = LIST_FIRST(&s.conns);
		c->committing = false;
		conn_free(c);
	}
	server_free(&s.server);
	for (size_t i = 0; i < nitems(signals); i++)
		event_free(sigs[i]);
	if (s.stop_timer)
		event_free(s.stop_timer);
	event_base_free(s.base);
	spool_close(&s.spool);
	store_close(&s.store);
	return 0;
}
