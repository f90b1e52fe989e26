/*
 * remote.c: relay delivery from the queue role (see remote.h). RFC 5321
 * §5 (where to send), §4.5.4.1 (retry strategy); the SMTP dialogue itself
 * is the smtpc engine's, this file is its libevent glue: resolve, connect
 * (next address on failure), STARTTLS through bufferevent_openssl, feed
 * bytes both ways, hand jobs to sessions that are ready.
 */
#include "queue/remote.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "lib/log.h"
#include "lib/tls.h"
#include "lib/util.h"
#include "queue/route.h"
#include "smtpc/dns.h"

#define OUT_HIGH	(64 * 1024)	/* engine output moved per turn */

/* A mapped queued message, shared by its jobs. */
struct rmsg {
	char		 id[QUEUE_ID_LEN + 1];
	unsigned	 refs;
	char		*sender;
	char		*envid;
	enum smtpc_ret	 ret;
	bool		 smtputf8;
	void		*map;
	size_t		 maplen;
	const char	*data;
	size_t		 len;
};

/* Some recipients of one message for one destination. */
struct job {
	TAILQ_ENTRY(job) entry;
	struct rmsg	*m;
	struct dest	*d;
	size_t		*idx;
	struct smtpc_rcpt *rcpts;
	size_t		 n;
	struct smtpc_msg msg;
	char		 mta[SMTPC_DNS_HOST_MAX + 64];
};
TAILQ_HEAD(jobq, job);

struct dest {
	TAILQ_ENTRY(dest) entry;
	char		*key;		/* "mx DOMAIN" or "route HOST:PORT" */
	char		*name;		/* what to resolve */
	const struct relay_auth *auth;	/* AUTH PLAIN over TLS, or NULL */
	uint16_t	 port;
	bool		 mx;
	struct jobq	 waiting;
	size_t		 nwaiting;
	size_t		 nconns;
	size_t		 nbusy;		/* connections in a transaction */
	int64_t		 dead_until;
	unsigned	 fails;
	char		 error[SMTPC_RESULT_MAX];
};

struct conn {
	TAILQ_ENTRY(conn) entry;
	struct queue_remote *rm;
	struct dest	*d;
	struct bufferevent *bev;
	struct smtpc	*s;
	struct job	*job;
	struct smtpc_dns_addr *addrs;
	size_t		 naddrs, ai;
	bool		 resolving;
	bool		 handshaking;
	bool		 tls_failed;	/* this address: handshake failed */
	bool		 notls;		/* retrying it in plaintext */
	bool		 ready_once;	/* got as far as taking mail */
	bool		 closing;
	unsigned	 nsent;
	char		 mta[SMTPC_DNS_HOST_MAX + 64];
	char		 lasterr[SMTPC_RESULT_MAX];
	int		 lastcode;
};

/* Credentials for a smarthost: data_dir/relay-auth lines
 * "HOST:PORT USER PASSWORD [verify]" (the route value, the login, and
 * whether the server's certificate must verify against the system's
 * trust anchors and match HOST). */
struct relay_auth {
	char	*nexthop;
	char	*user;
	char	*pass;
	bool	 verify;
};

struct queue_remote {
	const struct config	*cfg;
	struct relay_auth	*auths;
	size_t			 nauths;
	struct event_base	*base;
	struct smtpc_dns	*dns;
	SSL_CTX			*tls;
	SSL_CTX			*tls_verify;	/* for "verify" smarthosts */
	queue_remote_done_fn	 done;
	void			*arg;
	TAILQ_HEAD(, dest)	 dests;
	TAILQ_HEAD(, conn)	 conns;
	size_t			 nconns;
	struct jobq		 finished;
	struct event		*report_ev;
	void			*msgs;		/* tsearch tree of struct rmsg */
	bool			 stopping;
};

static void pump(struct conn *c);
static void conn_connect(struct conn *c);
static void dest_kick(struct queue_remote *rm, struct dest *d);

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static int
cmp_msg(const void *a, const void *b)
{
	return strcmp(((const struct rmsg *)a)->id,
	    ((const struct rmsg *)b)->id);
}

/* ---- messages and jobs ------------------------------------------------ */

static void
rmsg_unref(struct queue_remote *rm, struct rmsg *m)
{
	if (--m->refs > 0)
		return;
	tdelete(m, &rm->msgs, cmp_msg);
	if (m->map != NULL)
		munmap(m->map, m->maplen);
	free(m->sender);
	free(m->envid);
	free(m);
}

static void
job_free(struct queue_remote *rm, struct job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free((char *)j->rcpts[i].addr);
		free((char *)j->rcpts[i].orcpt);
	}
	free(j->rcpts);
	free(j->idx);
	if (j->m != NULL)
		rmsg_unref(rm, j->m);
	free(j);
}

/* Results are reported from the loop, never from inside the caller's
 * own call (the role is in the middle of a message then). */
static void
job_done(struct queue_remote *rm, struct job *j, const char *mta)
{
	strlcpy_(j->mta, mta ? mta : "", sizeof(j->mta));
	TAILQ_INSERT_TAIL(&rm->finished, j, entry);
	event_active(rm->report_ev, EV_TIMEOUT, 0);
}

static void
job_fail(struct queue_remote *rm, struct job *j, int code, const char *status,
    const char *text)
{
	for (size_t i = 0; i < j->n; i++) {
		struct smtpc_rcpt *r = &j->rcpts[i];
		r->code = code;
		r->remote = false;
		strlcpy_(r->status, status, sizeof(r->status));
		strlcpy_(r->text, text, sizeof(r->text));
	}
	job_done(rm, j, NULL);
}

static void
on_report(evutil_socket_t fd, short what, void *arg)
{
	struct queue_remote *rm = arg;
	struct job *j;
	char id[QUEUE_ID_LEN + 1];

	(void)fd;
	(void)what;
	while ((j = TAILQ_FIRST(&rm->finished)) != NULL) {
		TAILQ_REMOVE(&rm->finished, j, entry);
		/* Let go of the message first: when this was its last job,
		 * the role must see it as no longer busy. */
		memcpy(id, j->m->id, sizeof(id));
		rmsg_unref(rm, j->m);
		j->m = NULL;
		rm->done(rm->arg, id, j->mta[0] ? j->mta : NULL, j->idx,
		    j->rcpts, j->n);
		job_free(rm, j);
	}
}

/* ---- destinations ----------------------------------------------------- */

static struct dest *
dest_get(struct queue_remote *rm, const char *domain)
{
	const char *route = config_route_lookup(rm->cfg, domain);
	char key[SMTPC_DNS_HOST_MAX + 16], host[SMTPC_DNS_HOST_MAX];
	const char *errstr;
	uint16_t port = rm->cfg->remote_smtp_port;
	struct dest *d;
	size_t n;

	if (route != NULL) {
		if (config_hostport_split(route, host, sizeof(host), &port,
		    &errstr) == -1)
			return NULL;	/* config_load checked it */
		snprintf(key, sizeof(key), "route %s", route);
	} else {
		strlcpy_(host, domain, sizeof(host));
		n = strlen(host);
		if (n > 0 && host[n - 1] == '.')
			host[n - 1] = '\0';
		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		snprintf(key, sizeof(key), "mx %s", host);
	}
	TAILQ_FOREACH(d, &rm->dests, entry)
		if (strcmp(d->key, key) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	d->key = xstrdup(key);
	d->name = xstrdup(host);
	d->port = port;
	d->mx = route == NULL;
	for (size_t i = 0; route != NULL && i < rm->nauths; i++)
		if (strcmp(rm->auths[i].nexthop, route) == 0)
			d->auth = &rm->auths[i];
	TAILQ_INIT(&d->waiting);
	TAILQ_INSERT_TAIL(&rm->dests, d, entry);
	return d;
}

/* Forgets destinations with nothing to do. Only called from the top of
 * queue_remote_deliver: a destination is never freed under a caller that
 * still holds it (callbacks can nest: resolve → connect → fail → free). */
static void
dests_sweep(struct queue_remote *rm)
{
	struct dest *d, *next;
	int64_t now = now_s();

	for (d = TAILQ_FIRST(&rm->dests); d != NULL; d = next) {
		next = TAILQ_NEXT(d, entry);
		if (d->nconns > 0 || d->nwaiting > 0 || d->dead_until > now)
			continue;
		TAILQ_REMOVE(&rm->dests, d, entry);
		free(d->key);
		free(d->name);
		free(d);
	}
}

static void
fail_waiting(struct queue_remote *rm, struct dest *d, int code,
    const char *status, const char *text)
{
	struct job *j;

	while ((j = TAILQ_FIRST(&d->waiting)) != NULL) {
		TAILQ_REMOVE(&d->waiting, j, entry);
		d->nwaiting--;
		job_fail(rm, j, code, status, text);
	}
}

/* No connection to d worked. Temporary: rest for a while (doubling up to
 * queue_interval) and fail what waits, so the queue moves on; permanent
 * (no such domain, null MX): fail what waits for good. */
static void
dest_failed(struct queue_remote *rm, struct dest *d, bool perm,
    const char *status, const char *why)
{
	int64_t pause;

	strlcpy_(d->error, why, sizeof(d->error));
	if (perm) {
		fail_waiting(rm, d, 550, status, why);
		return;
	}
	if (d->nbusy == 0) {
		d->fails++;
		pause = REMOTE_DEST_BACKOFF;
		for (unsigned i = 1; i < d->fails && pause <
		    rm->cfg->queue_interval; i++)
			pause *= 2;
		if (pause > rm->cfg->queue_interval)
			pause = rm->cfg->queue_interval;
		d->dead_until = now_s() + pause;
		log_info("destination %s unreachable, pausing %llds: %s",
		    d->name, (long long)pause, why);
	}
	fail_waiting(rm, d, 451, status, why);
}

/* ---- connections ------------------------------------------------------ */

static void
conn_free(struct conn *c)
{
	struct queue_remote *rm = c->rm;
	struct dest *d = c->d;

	if (c->job != NULL) {	/* cannot happen: DONE came before */
		job_fail(rm, c->job, 451, "4.4.2", "connection lost");
		d->nbusy--;
	}
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	smtpc_free(&c->s);
	free(c->addrs);
	TAILQ_REMOVE(&rm->conns, c, entry);
	rm->nconns--;
	d->nconns--;
	free(c);
	if (rm->stopping)
		return;
	dest_kick(rm, d);
	/* A global slot came free: someone else may be waiting for it. */
	if (rm->nconns == REMOTE_CONN_MAX - 1) {
		struct dest *o;
		TAILQ_FOREACH(o, &rm->dests, entry)	/* kicks free none */
			if (o->nwaiting > 0)
				dest_kick(rm, o);
	}
}

/* Sends the engine's output into the socket, a bounded amount at a time
 * (the body streams as the socket drains). */
static void
move_output(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *o;
	size_t n;

	while (evbuffer_get_length(out) < OUT_HIGH &&
	    (o = smtpc_output(c->s, &n), n > 0)) {
		if (bufferevent_write(c->bev, o, n) == -1)
			break;
		smtpc_output_consume(c->s, n);
	}
}

static void on_read(struct bufferevent *bev, void *arg);
static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

static void
set_timeouts(struct conn *c)
{
	struct timeval rd = { smtpc_timeout(c->s), 0 };
	struct timeval wr = { SMTPC_TIMEOUT_BLOCK, 0 };

	bufferevent_set_timeouts(c->bev, &rd, &wr);
}

static void
start_tls(struct conn *c)
{
	struct queue_remote *rm = c->rm;
	struct bufferevent *tbev;
	SSL *ssl;

	if (c->d->auth != NULL && c->d->auth->verify) {
		/* RFC 6125: the name we were told to use (the route's HOST)
		 * must be in the certificate. */
		ssl = rm->tls_verify ? SSL_new(rm->tls_verify) : NULL;
		if (ssl != NULL && SSL_set1_host(ssl, c->addrs[c->ai].host) != 1) {
			SSL_free(ssl);
			ssl = NULL;
		}
	} else
		ssl = SSL_new(rm->tls);
	if (ssl == NULL) {
		smtpc_tls_done(c->s, false);
		return;
	}
	SSL_set_tlsext_host_name(ssl, c->addrs[c->ai].host);
	tbev = bufferevent_openssl_filter_new(rm->base, c->bev, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS);
	if (tbev == NULL) {
		SSL_free(ssl);
		smtpc_tls_done(c->s, false);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(tbev, 1);
	c->bev = tbev;
	c->handshaking = true;
	bufferevent_setcb(tbev, on_read, on_write, on_event, c);
	bufferevent_enable(tbev, EV_READ | EV_WRITE);
}

static void
take_job(struct conn *c)
{
	struct dest *d = c->d;
	struct job *j = TAILQ_FIRST(&d->waiting);

	if (j == NULL || c->nsent >= REMOTE_MSGS_PER_CONN) {
		smtpc_quit(c->s);
		return;
	}
	TAILQ_REMOVE(&d->waiting, j, entry);
	d->nwaiting--;
	d->nbusy++;
	c->job = j;
	c->nsent++;
	smtpc_send(c->s, &j->msg);
}

/* Handles what the engine asks for; may free c. */
static void
pump(struct conn *c)
{
	struct queue_remote *rm = c->rm;
	enum smtpc_event ev;

	move_output(c);
	while ((ev = smtpc_event(c->s)) != SMTPC_EV_NONE) {
		switch (ev) {
		case SMTPC_EV_STARTTLS:
			start_tls(c);
			break;
		case SMTPC_EV_READY:
			if (!c->ready_once) {
				c->ready_once = true;
				c->d->fails = 0;
				c->d->dead_until = 0;
			}
			take_job(c);
			break;
		case SMTPC_EV_DONE:
			c->d->nbusy--;
			job_done(rm, c->job, c->mta);
			c->job = NULL;
			break;
		case SMTPC_EV_CLOSED:
			move_output(c);
			if (!c->ready_once && c->tls_failed && !c->notls &&
			    c->d->auth == NULL) {
				/* RFC 7435: opportunistic TLS that fails falls
				 * back to plaintext on a new connection to the
				 * same host. */
				log_info("relay=%s: TLS failed, retrying "
				    "without it", c->mta);
				c->notls = true;
				smtpc_free(&c->s);
				bufferevent_free(c->bev);
				c->bev = NULL;
				conn_connect(c);
				return;
			}
			if (!c->ready_once) {
				/* This host would not talk: the next one. */
				snprintf(c->lasterr, sizeof(c->lasterr),
				    "%s: %s", c->mta, smtpc_error(c->s));
				c->lastcode = smtpc_error_code(c->s);
				log_info("relay=%s: %s", c->mta,
				    smtpc_error(c->s));
				smtpc_free(&c->s);
				bufferevent_free(c->bev);
				c->bev = NULL;
				c->ai++;
				c->notls = c->tls_failed = false;
				conn_connect(c);
				return;
			}
			if (*smtpc_error(c->s) != '\0')
				log_info("relay=%s: session ended: %s", c->mta,
				    smtpc_error(c->s));
			c->closing = true;
			if (evbuffer_get_length(bufferevent_get_output(c->bev))
			    == 0)
				conn_free(c);
			else
				bufferevent_disable(c->bev, EV_READ);
			return;
		case SMTPC_EV_NONE:
			break;
		}
		move_output(c);
	}
	set_timeouts(c);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[16384];
	int n;

	if (c->s == NULL || c->closing)
		return;
	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		smtpc_push(c->s, buf, (size_t)n);
		if (c->handshaking)
			break;
	}
	pump(c);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->closing) {
		conn_free(c);
		return;
	}
	if (c->s != NULL)
		pump(c);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	struct smtpc_settings st;
	char why[256];

	(void)bev;
	if (c->closing) {
		conn_free(c);
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		if (c->handshaking) {
			c->handshaking = false;
			smtpc_tls_done(c->s, true);
		} else {
			memset(&st, 0, sizeof(st));
			st.helo = c->rm->cfg->hostname;
			st.tls = c->rm->tls && !c->notls ? SMTPC_TLS_MAY :
			    SMTPC_TLS_NONE;
			if (c->d->auth != NULL) {
				/* A password never travels in clear. */
				st.tls = SMTPC_TLS_MUST;
				st.auth_user = c->d->auth->user;
				st.auth_pass = c->d->auth->pass;
			}
			c->s = smtpc_new(&st);
		}
		pump(c);
		return;
	}
	if (c->s == NULL) {
		/* The TCP connection did not open: the next address. */
		snprintf(c->lasterr, sizeof(c->lasterr), "%s: %s", c->mta,
		    (what & BEV_EVENT_TIMEOUT) ? "connection timed out" :
		    strerror(EVUTIL_SOCKET_ERROR()));
		c->lastcode = 0;
		log_info("relay=%s", c->lasterr);
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->ai++;
		conn_connect(c);
		return;
	}
	if (c->handshaking) {
		c->handshaking = false;
		c->tls_failed = true;
		smtpc_tls_done(c->s, false);
	} else if (what & BEV_EVENT_TIMEOUT) {
		smtpc_fail(c->s, "timeout waiting for the server");
	} else if (what & BEV_EVENT_EOF) {
		smtpc_eof(c->s);
	} else {
		snprintf(why, sizeof(why), "connection error: %s",
		    strerror(EVUTIL_SOCKET_ERROR()));
		smtpc_fail(c->s, why);
	}
	pump(c);
}

/* Connects to addrs[ai], or gives up on the destination after the last. */
static void
conn_connect(struct conn *c)
{
	struct queue_remote *rm = c->rm;
	struct timeval rd = { SMTPC_TIMEOUT_GREETING, 0 };
	struct timeval wr = { REMOTE_CONNECT_TIMEOUT, 0 };
	char addr[INET6_ADDRSTRLEN];
	struct smtpc_dns_addr *a;

	if (c->ai >= c->naddrs) {
		dest_failed(rm, c->d, false, "4.4.1", c->lasterr[0] ?
		    c->lasterr : "no host to try");
		conn_free(c);
		return;
	}
	a = &c->addrs[c->ai];
	if (a->sa.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&a->sa)->sin6_addr,
		    addr, sizeof(addr));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&a->sa)->sin_addr,
		    addr, sizeof(addr));
	snprintf(c->mta, sizeof(c->mta), "%s[%s]", a->host, addr);
	c->bev = bufferevent_socket_new(rm->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		dest_failed(rm, c->d, false, "4.3.0", "out of sockets");
		conn_free(c);
		return;
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &rd, &wr);
	bufferevent_setwatermark(c->bev, EV_WRITE, OUT_HIGH / 4, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&a->sa,
	    (int)a->salen) == -1) {
		snprintf(c->lasterr, sizeof(c->lasterr), "%s: %s", c->mta,
		    strerror(errno));
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->ai++;
		conn_connect(c);
	}
}

static void
on_resolved(void *arg, enum smtpc_dns_status status,
    const struct smtpc_dns_addr *addrs, size_t n, const char *error)
{
	struct conn *c = arg;
	struct queue_remote *rm = c->rm;

	c->resolving = false;
	if (rm->stopping) {
		conn_free(c);
		return;
	}
	if (status != SMTPC_DNS_OK) {
		/* RFC 7505 §4.3: null MX is 556 5.1.10; a domain that does
		 * not exist is 5.1.2. */
		dest_failed(rm, c->d, status == SMTPC_DNS_PERMFAIL,
		    status == SMTPC_DNS_PERMFAIL ? (strstr(error, "null MX") ?
		    "5.1.10" : "5.1.2") : "4.4.3", error);
		conn_free(c);
		return;
	}
	c->addrs = xcalloc(n, sizeof(*c->addrs));
	memcpy(c->addrs, addrs, n * sizeof(*addrs));
	c->naddrs = n;
	c->ai = 0;
	conn_connect(c);
}

static void
conn_start(struct queue_remote *rm, struct dest *d)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->rm = rm;
	c->d = d;
	c->resolving = true;
	TAILQ_INSERT_TAIL(&rm->conns, c, entry);
	rm->nconns++;
	d->nconns++;
	smtpc_dns_resolve(rm->dns, d->name, d->port, d->mx, on_resolved, c);
}

/* Opens connections while jobs wait and the limits allow. */
static void
dest_kick(struct queue_remote *rm, struct dest *d)
{
	if (d->nwaiting == 0)
		return;
	if (d->dead_until > now_s()) {
		fail_waiting(rm, d, 451, "4.4.1", d->error);
		return;
	}
	while (d->nconns - d->nbusy < d->nwaiting &&
	    d->nconns < REMOTE_DEST_CONC && rm->nconns < REMOTE_CONN_MAX)
		conn_start(rm, d);
}

/* ---- the interface ---------------------------------------------------- */

void
queue_remote_deliver(struct queue_remote *rm, const struct queue_envelope *env,
    const size_t *idx, size_t n, int fd, off_t off, off_t size)
{
	struct job **jobs = xcalloc(n, sizeof(*jobs));
	struct rmsg *m = xcalloc(1, sizeof(*m));
	size_t njobs = 0;

	dests_sweep(rm);
	memcpy(m->id, env->id, sizeof(m->id));
	m->sender = xstrdup(env->sender);
	m->envid = env->envid ? xstrdup(env->envid) : NULL;
	m->ret = env->ret == QUEUE_RET_FULL ? SMTPC_RET_FULL :
	    env->ret == QUEUE_RET_HDRS ? SMTPC_RET_HDRS : SMTPC_RET_NONE;
	m->smtputf8 = env->smtputf8;
	m->maplen = (size_t)(off + size);
	m->map = mmap(NULL, m->maplen, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m->map == MAP_FAILED)
		m->map = NULL;
	else {
		m->data = (const char *)m->map + off;
		m->len = (size_t)size;
	}
	if (tsearch(m, &rm->msgs, cmp_msg) == NULL)
		abort();
	for (size_t k = 0; k < n; k++) {
		const struct queue_rcpt *r = &env->rcpts[idx[k]];
		struct dest *d = dest_get(rm, route_domain(r->addr));
		struct job *j = NULL;
		struct smtpc_rcpt *sr;

		for (size_t i = 0; i < njobs && j == NULL; i++)
			if (jobs[i]->d == d)
				j = jobs[i];
		if (j == NULL) {
			j = jobs[njobs++] = xcalloc(1, sizeof(*j));
			j->m = m;
			m->refs++;
			j->d = d;
			j->idx = xcalloc(n, sizeof(*j->idx));
			j->rcpts = xcalloc(n, sizeof(*j->rcpts));
		}
		j->idx[j->n] = idx[k];
		sr = &j->rcpts[j->n++];
		sr->addr = xstrdup(r->addr);
		sr->orcpt = r->orcpt ? xstrdup(r->orcpt) : NULL;
		sr->notify = r->notify;	/* the same bits (client.h) */
	}
	m->refs++;	/* held until every job is queued */
	for (size_t i = 0; i < njobs; i++) {
		struct job *j = jobs[i];
		j->msg.sender = m->sender;
		j->msg.rcpts = j->rcpts;
		j->msg.nrcpts = j->n;
		j->msg.data = m->data;
		j->msg.len = m->len;
		j->msg.smtputf8 = m->smtputf8;
		j->msg.envid = m->envid;
		j->msg.ret = m->ret;
		if (j->d == NULL)
			job_fail(rm, j, 451, "4.3.5", "bad route");
		else if (m->map == NULL)
			job_fail(rm, j, 451, "4.3.0", "cannot map the message");
		else {
			TAILQ_INSERT_TAIL(&j->d->waiting, j, entry);
			j->d->nwaiting++;
			dest_kick(rm, j->d);
		}
	}
	rmsg_unref(rm, m);
	free(jobs);
}

bool
queue_remote_busy(const struct queue_remote *rm, const char *id)
{
	struct rmsg key;

	if (strlen(id) != QUEUE_ID_LEN)
		return false;
	memcpy(key.id, id, sizeof(key.id));
	return tfind(&key, &rm->msgs, cmp_msg) != NULL;
}

void
queue_remote_flush(struct queue_remote *rm)
{
	struct dest *d;

	TAILQ_FOREACH(d, &rm->dests, entry) {
		d->dead_until = 0;
		d->fails = 0;
	}
}

char *
queue_remote_error(const char *mta, const struct smtpc_rcpt *r)
{
	if (r->remote && mta != NULL)
		return xasprintf("%s said: %s", mta, r->text);
	if (r->status[0] != '\0')	/* bounce_parse_error reads it back */
		return xasprintf("%s %s", r->status, r->text);
	return xstrdup(r->text);
}

/* Reads data_dir/relay-auth when it exists. */
static int
load_auth(struct queue_remote *rm, char *err, size_t errlen)
{
	char path[4096], line[1024], *save, *hop, *user, *pass, *opt;
	struct stat st;
	unsigned lineno = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/relay-auth", rm->cfg->data_dir);
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s",
		    path, strerror(errno)), -1);
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		log_warnx("%s is readable by others: chmod 600 it", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		hop = strtok_r(line, " \t", &save);
		if (hop == NULL || *hop == '#')
			continue;
		user = strtok_r(NULL, " \t", &save);
		pass = strtok_r(NULL, " \t", &save);
		opt = pass ? strtok_r(NULL, " \t", &save) : NULL;
		if (user == NULL || pass == NULL || (opt != NULL &&
		    strcmp(opt, "verify") != 0) ||
		    strtok_r(NULL, " \t", &save) != NULL) {
			snprintf(err, errlen, "%s:%u: want HOST:PORT USER "
			    "PASSWORD [verify]", path, lineno);
			fclose(f);
			return -1;
		}
		rm->auths = xreallocarray(rm->auths, rm->nauths + 1,
		    sizeof(*rm->auths));
		rm->auths[rm->nauths].nexthop = xstrdup(hop);
		rm->auths[rm->nauths].user = xstrdup(user);
		rm->auths[rm->nauths].pass = xstrdup(pass);
		rm->auths[rm->nauths].verify = opt != NULL;
		rm->nauths++;
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return 0;
}

static void
free_auth(struct queue_remote *rm)
{
	for (size_t i = 0; i < rm->nauths; i++) {
		free(rm->auths[i].nexthop);
		free(rm->auths[i].user);
		explicit_bzero(rm->auths[i].pass, strlen(rm->auths[i].pass));
		free(rm->auths[i].pass);
	}
	free(rm->auths);
}

struct queue_remote *
queue_remote_new(const struct config *cfg, struct event_base *base,
    queue_remote_done_fn done, void *arg, char *err, size_t errlen)
{
	struct queue_remote *rm = xcalloc(1, sizeof(*rm));
	char terr[256];

	rm->cfg = cfg;
	rm->base = base;
	rm->done = done;
	rm->arg = arg;
	TAILQ_INIT(&rm->dests);
	TAILQ_INIT(&rm->conns);
	TAILQ_INIT(&rm->finished);
	if (load_auth(rm, err, errlen) == -1) {
		free_auth(rm);
		free(rm);
		return NULL;
	}
	if ((rm->dns = smtpc_dns_new(base, cfg->dns_server, err, errlen)) ==
	    NULL) {
		free_auth(rm);
		free(rm);
		return NULL;
	}
	/* Opportunistic TLS (RFC 7435): encrypt when offered, without
	 * authenticating the peer; MX records carry no policy. */
	if ((rm->tls = tls_client_ctx_new(0, NULL, terr, sizeof(terr))) ==
	    NULL)
		log_warnx("outbound TLS unavailable: %s", terr);
	for (size_t i = 0; i < rm->nauths && rm->tls_verify == NULL; i++)
		if (rm->auths[i].verify && (rm->tls_verify =
		    tls_client_ctx_new(1, NULL, terr, sizeof(terr))) == NULL)
			log_warnx("verified TLS unavailable: %s", terr);
	rm->report_ev = event_new(base, -1, 0, on_report, rm);
	return rm;
}

void
queue_remote_free(struct queue_remote **rmp)
{
	struct queue_remote *rm = *rmp;
	struct conn *c;
	struct dest *d;
	struct job *j;

	if (rm == NULL)
		return;
	on_report(-1, 0, rm);	/* results already in hand count */
	rm->stopping = true;
	smtpc_dns_free(&rm->dns);	/* resolving conns end here */
	while ((c = TAILQ_FIRST(&rm->conns)) != NULL) {
		if (c->job != NULL) {
			job_free(rm, c->job);	/* retried at the next start */
			c->job = NULL;
			c->d->nbusy--;
		}
		conn_free(c);
	}
	while ((d = TAILQ_FIRST(&rm->dests)) != NULL) {
		while ((j = TAILQ_FIRST(&d->waiting)) != NULL) {
			TAILQ_REMOVE(&d->waiting, j, entry);
			job_free(rm, j);
		}
		TAILQ_REMOVE(&rm->dests, d, entry);
		free(d->key);
		free(d->name);
		free(d);
	}
	while ((j = TAILQ_FIRST(&rm->finished)) != NULL) {
		TAILQ_REMOVE(&rm->finished, j, entry);
		job_free(rm, j);
	}
	event_free(rm->report_ev);
	if (rm->tls != NULL)
		SSL_CTX_free(rm->tls);
	if (rm->tls_verify != NULL)
		SSL_CTX_free(rm->tls_verify);
	free_auth(rm);
	free(rm);
	*rmp = NULL;
}
