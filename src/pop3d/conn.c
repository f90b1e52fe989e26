/*
 * conn.c: one POP3 connection in the pop3 role: feeds client bytes to the
 * session engine (session.h) and carries out its actions: logins and
 * QUIT's changes through the worker threads (jobs.h), RETR streamed from
 * the message file with bounded output, STLS (RFC 2595) by wrapping the
 * connection in TLS, delays after failed logins, the idle timeout
 * (RFC 1939 §3) and a clean close once the last reply has left.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "lib/log.h"
#include "lib/scram.h"
#include "lib/util.h"
#include "pop3d/maildrop.h"
#include "pop3d/role-private.h"
#include "store/account.h"

#define PUMP_HIGH		(256 * 1024)	/* output kept queued */
#define PUMP_LOW		(64 * 1024)	/* refill below this */
#define INPUT_HIGH		(64 * 1024)	/* stop reading past this */
#define CLOSE_POLL_MS		20	/* waiting for the last bytes */
#define CLOSE_POLL_MAX		1500	/* 30 s, then drop them */

static void conn_process(struct conn *c);
static size_t backlog(struct conn *c);
static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

void
pop3d_conn_free(struct conn *c)
{
	struct pop3d_role *role = c->role;

	TAILQ_REMOVE(&role->conns, c, entry);
	role->nconns--;
	pop3d_peer_leave(role, c->peer);
	if (c->job != NULL)
		c->job->owner = NULL;	/* freed when it comes back */
	if (c->msgfd != -1)
		close(c->msgfd);
	if (c->timer != NULL)
		event_free(c->timer);
	bufferevent_free(c->bev);
	pop3d_maildrop_close(&c->md);	/* a drop deletes nothing */
	pop3d_session_free(&c->s);
	free(c);
}

/* Hands the engine's replies to libevent. */
static void
conn_flush(struct conn *c)
{
	struct buf *out = pop3d_session_out(c->s);
	ssize_t n = 0;

	if (out->len == 0)
		return;
	/* A plain connection with nothing queued writes at once: a reply
	 * then costs no extra trip round the event loop. What the socket
	 * does not take (or an error, which the bufferevent then reports)
	 * goes through the bufferevent as usual. */
	if (!c->tls && backlog(c) == 0) {
		n = send(bufferevent_getfd(c->bev), out->data, out->len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			n = 0;
	}
	if ((size_t)n < out->len && bufferevent_write(c->bev, out->data + n,
	    out->len - (size_t)n) == -1)
		log_warnx("%s: cannot queue output", c->peer);
	pop3d_session_out_clear(c->s);
}

/* A reply from the glue itself, outside the engine. */
void
pop3d_conn_say(struct conn *c, const char *text)
{
	bufferevent_write(c->bev, text, strlen(text));
}

/* Bytes queued for the peer, the TLS layer's included. */
static size_t
backlog(struct conn *c)
{
	struct bufferevent *under = bufferevent_get_underlying(c->bev);

	return evbuffer_get_length(bufferevent_get_output(c->bev)) +
	    (under ? evbuffer_get_length(bufferevent_get_output(under)) : 0);
}

/* Whether every reply has left, the TLS layer's records included (an
 * STLS filter hands its output to the plain bufferevent below it). */
static bool
conn_drained(struct conn *c)
{
	return backlog(c) == 0;
}

static void
on_close_poll(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = { 0, CLOSE_POLL_MS * 1000 };

	if (conn_drained(c) || --c->close_polls == 0)
		pop3d_conn_free(c);
	else
		evtimer_add(c->timer, &tv);
}

/* Closes once the output is gone: at once, from on_write, or from a
 * short poll when the bytes sit below an STLS filter. */
void
pop3d_conn_close(struct conn *c)
{
	struct timeval tv = { 0, CLOSE_POLL_MS * 1000 };

	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (conn_drained(c)) {
		pop3d_conn_free(c);
		return;
	}
	if (c->timer != NULL)
		event_free(c->timer);
	c->timer = evtimer_new(c->role->base, on_close_poll, c);
	c->close_polls = CLOSE_POLL_MAX;
	evtimer_add(c->timer, &tv);
}

static void
setup_bev(struct conn *c)
{
	struct timeval tv = { POP3D_IDLE_TIMEOUT_S, 0 };

	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setwatermark(c->bev, EV_READ, 0, INPUT_HIGH);
	bufferevent_setwatermark(c->bev, EV_WRITE, PUMP_LOW, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* The password check came back (r as store_user_verify; leave the
 * account's keep policy): open the maildrop on success and tell the
 * engine. */
static void
auth_finish(struct conn *c, int r, const char *user, const char *canon,
    bool leave, const char *err, bool scram)
{
	struct pop3d_role *role = c->role;
	struct pop3d_maildrop_opts opts = {
		.expire_days = role->expire_days,
		.leave_on_server = leave,
		.login_delay_s = role->login_delay_s,
	};
	struct pop3d_msginfo *msgs = NULL;
	enum pop3d_auth_result res;
	uint32_t uidvalidity = 0;
	size_t n = 0;

	if (r != 1) {
		if (r == -1)
			log_warnx("%s: login check failed: %s", c->peer, err);
		else {
			log_info("%s: login failed for %s%s", c->peer, user,
			    scram ? " (" SCRAM_MECH ")" : "");
			pop3d_ipfail_note(role, c->peer);
		}
		pop3d_session_auth_done(c->s, r == -1 ? POP3D_AUTH_TEMP :
		    POP3D_AUTH_BAD, 0, NULL, 0);
		return;
	}
	strlcpy_(c->user, canon, sizeof(c->user));
	res = pop3d_maildrop_open(role->store, role->sizes, c->user, &opts,
	    &c->md, &msgs, &n, &uidvalidity, &err);
	switch (res) {
	case POP3D_AUTH_OK:
		log_info("%s: %s logged in%s, %zu messages%s", c->peer,
		    c->user, scram ? " with " SCRAM_MECH : "", n,
		    leave ? " (leave on server)" : "");
		break;
	case POP3D_AUTH_INUSE:
		log_info("%s: %s: maildrop in use", c->peer, c->user);
		break;
	case POP3D_AUTH_DELAY:
		log_info("%s: %s: login delay", c->peer, c->user);
		break;
	default:
		log_warnx("%s: %s: cannot open maildrop: %s", c->peer,
		    c->user, err);
		res = POP3D_AUTH_TEMP;
		break;
	}
	pop3d_session_auth_done(c->s, res, uidvalidity, msgs, n);
	free(msgs);
}

static void
update_finish(struct conn *c, int r, const struct pop3d_changes *ch,
    const char *err)
{
	if (r == -1)
		log_warnx("%s: %s: update failed: %s", c->peer, c->user, err);
	log_info("%s: %s logged out, %zu deleted, %zu left on server, "
	    "%zu newly seen", c->peer, c->user, ch->ndele, ch->nhidden,
	    ch->nseen);
	pop3d_session_update_done(c->s, r);
	pop3d_maildrop_close(&c->md);
}

/* A finished job's result, on the loop's thread. */
static void
job_finish(struct conn *c, struct pop3d_job *job)
{
	if (job->kind == POP3D_JOB_AUTH)
		auth_finish(c, job->result, job->user, job->canon, job->leave,
		    job->err, job->scram != 0);
	else if (job->kind == POP3D_JOB_SCRAM) {
		if (job->result == -1)
			log_warnx("%s: SCRAM lookup failed: %s", c->peer,
			    job->err);
		pop3d_session_scram_done(c->s, job->result, &job->creds,
		    job->canon);
	}
	else
		update_finish(c, job->result, &job->ch, job->err);
}

/* The workq's done: the connection may have gone meanwhile. */
static void
job_done(struct workq_job *wj)
{
	struct pop3d_job *job = (struct pop3d_job *)wj;
	struct conn *c = job->owner;

	if (c != NULL) {
		c->job = NULL;
		job_finish(c, job);
		conn_process(c);
	}
	pop3d_job_free(job);
}

/* Hands job to a worker, or without workers does it here and now. */
static void
job_start(struct conn *c, struct pop3d_job *job)
{
	if (c->role->workq != NULL) {
		c->job = job;
		workq_submit(c->role->workq, &job->wj);
		return;
	}
	pop3d_job_run(job, c->role->store);
	job_finish(c, job);
	pop3d_job_free(job);
}

static void
do_auth(struct conn *c, const struct pop3d_action *a)
{
	struct pop3d_job *job = pop3d_job_new(POP3D_JOB_AUTH, c, job_done);

	/* Both fit: the engine holds them in buffers of these sizes. */
	strlcpy_(job->user, a->user, sizeof(job->user));
	job->scram = a->scram;
	if (a->scram == 0)
		strlcpy_(job->pass, a->pass, sizeof(job->pass));
	job_start(c, job);
}

/* SCRAM credentials: a store lookup, so on the workers like do_auth. */
static void
do_scram(struct conn *c, const struct pop3d_action *a)
{
	struct pop3d_job *job = pop3d_job_new(POP3D_JOB_SCRAM, c, job_done);

	strlcpy_(job->user, a->user, sizeof(job->user));
	job_start(c, job);
}

/*
 * Streams the open message while the output has room. 1 the message is
 * done, 0 it waits for on_write, -1 the connection is gone. It never
 * runs the session itself, so pipelined RETRs loop in conn_process
 * instead of recursing.
 */
static int
pump(struct conn *c)
{
	char chunk[POP3D_CHUNK_MAX];
	ssize_t n;

	while (backlog(c) < PUMP_HIGH) {
		n = read(c->msgfd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			/* The +OK is out: all we can do is hang up. */
			log_warn("%s: %s: reading a message", c->peer, c->user);
			pop3d_conn_free(c);
			return -1;
		}
		/* A short read of a regular file is its end (Maildir files
		 * never change): a small message costs one read, not two. */
		if (n > 0 && pop3d_session_msg_push(c->s, chunk, (size_t)n) &&
		    (size_t)n == sizeof(chunk)) {
			/* Small messages leave in one write with their +OK
			 * and final dot; large ones a chunk at a time. */
			if (pop3d_session_out(c->s)->len >= POP3D_CHUNK_MAX)
				conn_flush(c);
			continue;
		}
		pop3d_session_msg_end(c->s);
		conn_flush(c);
		close(c->msgfd);
		c->msgfd = -1;
		return 1;
	}
	return 0;
}

/* RETR/TOP: as pump. */
static int
do_retr(struct conn *c, const struct pop3d_action *a)
{
	const char *err = NULL;
	int fd = -1, r;

	r = pop3d_maildrop_msg_open(c->md, a->uid, &fd, &err);
	if (r == -1)
		log_warnx("%s: %s: message %u: %s", c->peer, c->user, a->uid,
		    err);
	pop3d_session_msg_begin(c->s, r);
	if (r != 1) {
		conn_flush(c);
		return 1;
	}
	c->msgfd = fd;
	return pump(c);
}

/* STLS: drop unread plaintext (RFC 2595 §4), wrap the connection. */
static void
do_starttls(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct bufferevent *tbev;

	evbuffer_drain(in, evbuffer_get_length(in));
	tbev = server_starttls(c->role->base, c->role->env->tls, c->bev);
	if (tbev == NULL) {
		log_warnx("%s: cannot start TLS", c->peer);
		pop3d_session_tls_done(c->s, false);
		return;
	}
	/* The filter moves records below only while the plain connection
	 * has room: so a long RETR stays bounded and our write callback
	 * fires as the socket drains. */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, PUMP_HIGH);
	c->bev = tbev;
	c->tls = true;
	setup_bev(c);
	pop3d_session_tls_done(c->s, true);
}

/* RFC 1939 §6 UPDATE, on a worker: the maildrop stays locked meanwhile.
 * A client in keep mode fetching old mail costs no store writes. */
static void
do_update(struct conn *c, const struct pop3d_action *a)
{
	struct pop3d_job *job = pop3d_job_new(POP3D_JOB_UPDATE, c, job_done);

	strlcpy_(job->user, c->user, sizeof(job->user));
	pop3d_maildrop_changes(c->md, a->dele, a->ndele, a->seen, a->nseen,
	    &job->ch);
	if (pop3d_changes_empty(&job->ch)) {
		update_finish(c, 0, &job->ch, NULL);
		pop3d_job_free(job);
		return;
	}
	job_start(c, job);
}

static void
on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	c->delayed = false;
	conn_flush(c);
	conn_process(c);
}

/* Feeds input to the engine, one chunk; false when there is none. */
static bool
feed(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t n = evbuffer_get_length(in), took;
	unsigned char *p;

	if (n == 0)
		return false;
	if (n > POP3D_CHUNK_MAX)
		n = POP3D_CHUNK_MAX;
	if ((p = evbuffer_pullup(in, (ssize_t)n)) == NULL)
		return false;
	took = pop3d_session_push(c->s, p, n);
	evbuffer_drain(in, took);
	return took > 0;
}

/* Runs the engine and carries out its actions until it needs input,
 * waits for output room (RETR) or a timer (DELAY). */
static void
conn_process(struct conn *c)
{
	struct pop3d_action a;
	enum pop3d_act t;

	while (!c->closing && !c->delayed && c->msgfd == -1 &&
	    c->job == NULL) {
		t = pop3d_session_run(c->s, &a);
		if (t != POP3D_ACT_DELAY)
			conn_flush(c);
		switch (t) {
		case POP3D_ACT_NONE:
			/* No more input while the peer is not reading. */
			if (backlog(c) > PUMP_HIGH)
				return;
			if (!feed(c)) {
				pop3d_session_trim(c->s);	/* idle */
				return;
			}
			break;
		case POP3D_ACT_FLUSH:
			if (backlog(c) > PUMP_HIGH)
				return;		/* on_write resumes */
			break;
		case POP3D_ACT_AUTH:
			do_auth(c, &a);
			break;
		case POP3D_ACT_SCRAM:
			do_scram(c, &a);
			break;
		case POP3D_ACT_RETR:
			if (do_retr(c, &a) != 1)
				return;		/* on_write pumps on */
			break;
		case POP3D_ACT_STARTTLS:
			do_starttls(c);
			break;
		case POP3D_ACT_UPDATE:
			do_update(c, &a);
			break;
		case POP3D_ACT_DELAY: {
			struct timeval tv = { a.delay_ms / 1000,
			    (a.delay_ms % 1000) * 1000 };
			if (c->timer == NULL)
				c->timer = evtimer_new(c->role->base,
				    on_delay, c);
			c->delayed = true;
			evtimer_add(c->timer, &tv);
			return;
		}
		case POP3D_ACT_CLOSE:
			pop3d_conn_close(c);
			return;
		}
	}
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	conn_process(arg);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->closing) {
		if (conn_drained(c))
			pop3d_conn_free(c);
		return;
	}
	if (c->msgfd != -1 && pump(c) != 1)
		return;
	if (!c->delayed && c->job == NULL)
		conn_process(c);	/* output drained: go on */
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;		/* TLS handshake done */
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) &&
	    !c->closing) {
		/* RFC 1939 §3: autologout, without entering UPDATE. */
		log_info("%s: idle timeout", c->peer);
		pop3d_conn_say(c, "-ERR Autologout: idle too long\r\n");
		pop3d_conn_close(c);
		return;
	}
	pop3d_conn_free(c);	/* EOF, error, or a stuck peer */
}

void
pop3d_conn_new(struct pop3d_role *role, struct server_conn *sc)
{
	const struct config *cfg = role->env->cfg;
	struct pop3d_settings set;
	struct conn *c;
	bool loop = server_peer_is_loopback(&sc->peer);
	unsigned same;

	c = xcalloc(1, sizeof(*c));
	c->role = role;
	c->bev = sc->bev;
	c->msgfd = -1;
	c->service = sc->service;
	c->tls = sc->tls;
	snprintf(c->peer, sizeof(c->peer), "%s", sc->peer_addr);
	same = pop3d_peer_enter(role, c->peer);
	memset(&set, 0, sizeof(set));
	set.hostname = cfg->hostname;
	set.tls_active = sc->tls;
	set.tls_offered = !sc->tls;
	set.auth_delay_ms = pop3d_ipfail_delay(role, c->peer);
	set.expire_days = role->expire_days;
	set.login_delay_s = role->login_delay_s;
	set.plaintext_ok = cfg->plaintext_auth == CONFIG_PLAINTEXT_ALWAYS ||
	    (cfg->plaintext_auth == CONFIG_PLAINTEXT_LOOPBACK && loop);
	c->s = pop3d_session_new(&set);
	TAILQ_INSERT_TAIL(&role->conns, c, entry);
	role->nconns++;
	setup_bev(c);
	log_info("%s: connection from %s", sc->service, c->peer);
	if (same >= POP3D_PER_IP_MAX) {
		pop3d_session_out_clear(c->s);
		pop3d_conn_say(c, "-ERR [SYS/TEMP] Too many connections "
		    "from your address\r\n");
		pop3d_conn_close(c);
		return;
	}
	conn_flush(c);		/* the greeting; TLS sends it after the
				 * handshake */
}
