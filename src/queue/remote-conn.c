/*
 * remote-conn.c: one outbound SMTP connection in the queue role (see
 * remote.h): resolve the destination (smtpc/dns.c), connect to each
 * address in turn, run STARTTLS through bufferevent_openssl, feed bytes
 * both ways between the socket and the smtpc engine, and hand the
 * destination's waiting jobs to the session while it is ready. RFC 5321
 * §5 (try the next address), RFC 3207, RFC 7435.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

#include "lib/log.h"
#include "lib/util.h"
#include "queue/remote-int.h"

static void pump(struct conn *c);
static void conn_connect(struct conn *c);

void
remote_conn_free(struct conn *c)
{
	struct queue_remote *rm = c->rm;
	struct dest *d = c->d;

	if (c->job != NULL) {	/* cannot happen: DONE came before */
		remote_job_fail(rm, c->job, 451, "4.4.2", "connection lost");
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
	remote_dest_kick(rm, d);
	/* A global slot came free: someone else may be waiting for it. */
	if (rm->nconns == REMOTE_CONN_MAX - 1) {
		struct dest *o;
		TAILQ_FOREACH(o, &rm->dests, entry)	/* kicks free none */
			if (o->nwaiting > 0)
				remote_dest_kick(rm, o);
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

	while (evbuffer_get_length(out) < REMOTE_OUT_HIGH &&
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
	struct job *j;

	for (;;) {
		j = TAILQ_FIRST(&d->waiting);
		if (j == NULL || c->nsent >= REMOTE_MSGS_PER_CONN) {
			smtpc_quit(c->s);
			return;
		}
		TAILQ_REMOVE(&d->waiting, j, entry);
		d->nwaiting--;
		if (remote_job_map(c->rm, j) == 0)
			break;
		remote_job_fail(c->rm, j, 451, "4.3.0", "cannot map the "
		    "queued message");
	}
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
			remote_job_done(rm, c->job, c->mta);
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
				remote_conn_free(c);
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
		remote_conn_free(c);
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
		remote_conn_free(c);
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
	int one = 1;

	if (c->ai >= c->naddrs) {
		remote_dest_failed(rm, c->d, false, "4.4.1", c->lasterr[0] ?
		    c->lasterr : "no host to try");
		remote_conn_free(c);
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
		remote_dest_failed(rm, c->d, false, "4.3.0", "out of sockets");
		remote_conn_free(c);
		return;
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &rd, &wr);
	bufferevent_setwatermark(c->bev, EV_WRITE, REMOTE_OUT_HIGH / 4, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&a->sa,
	    (int)a->salen) == -1) {
		snprintf(c->lasterr, sizeof(c->lasterr), "%s: %s", c->mta,
		    strerror(errno));
		bufferevent_free(c->bev);
		c->bev = NULL;
		c->ai++;
		conn_connect(c);
		return;
	}
	/* Each command group and each message's end goes out at once:
	 * with Nagle the last small segment of a body waits for the
	 * server's delayed ACK, tens of ms per message (PERFORMANCE.md). */
	(void)setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY,
	    &one, sizeof(one));
}

static void
on_resolved(void *arg, enum smtpc_dns_status status,
    const struct smtpc_dns_addr *addrs, size_t n, const char *error)
{
	struct conn *c = arg;
	struct queue_remote *rm = c->rm;

	c->resolving = false;
	if (rm->stopping) {
		remote_conn_free(c);
		return;
	}
	if (status != SMTPC_DNS_OK) {
		/* RFC 7505 §4.3: null MX is 556 5.1.10; a domain that does
		 * not exist is 5.1.2. */
		remote_dest_failed(rm, c->d, status == SMTPC_DNS_PERMFAIL,
		    status == SMTPC_DNS_PERMFAIL ? (strstr(error, "null MX") ?
		    "5.1.10" : "5.1.2") : "4.4.3", error);
		remote_conn_free(c);
		return;
	}
	c->addrs = xcalloc(n, sizeof(*c->addrs));
	memcpy(c->addrs, addrs, n * sizeof(*addrs));
	c->naddrs = n;
	c->ai = 0;
	conn_connect(c);
}

void
remote_conn_start(struct queue_remote *rm, struct dest *d)
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
