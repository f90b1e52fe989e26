/*
 * server.c: accepting connections in a role process (see server.h).
 */
#include "lib/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>

#include "lib/log.h"
#include "lib/util.h"

struct server_slot {
	struct server		*srv;
	struct server_listener	 l;
	struct event		*ev;
};

struct server {
	struct event_base	*base;
	SSL_CTX			*tls;
	struct server_slot	*slots;
	size_t			 nslots;
	server_accept_fn	 fn;
	void			*arg;
	int			 accept_batch;	/* accepts per wake-up */
};

static void
peer_format(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	const void *a = NULL;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (a == NULL || inet_ntop(ss->ss_family, a, out, outlen) == NULL)
		snprintf(out, outlen, "unknown");
}

bool
server_peer_is_loopback(const struct sockaddr_storage *ss)
{
	static const uint8_t mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const uint8_t *a =
		    ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a))
			return true;
		return memcmp(a, mapped, 12) == 0 && a[12] == 127;
	}
	return false;
}

static void
on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct server_slot *slot = arg;
	struct server *srv = slot->srv;
	struct server_conn conn;
	int fd, on = 1;

	(void)what;
	/* Drain the backlog in one wake-up, bounded so one busy listener
	 * cannot starve the sessions already running. */
	for (int i = 0; i < srv->accept_batch; i++) {
		memset(&conn, 0, sizeof(conn));
		conn.peerlen = sizeof(conn.peer);
		fd = accept4(lfd, (struct sockaddr *)&conn.peer, &conn.peerlen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("%s: accept", slot->l.service);
			return;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		peer_format(&conn.peer, conn.peer_addr, sizeof(conn.peer_addr));
		conn.service = slot->l.service;
		conn.tls = slot->l.tls;
		if (slot->l.tls) {
			SSL *ssl = SSL_new(srv->tls);
			if (ssl == NULL) {
				log_warnx("%s: SSL_new failed", conn.service);
				close(fd);
				continue;
			}
			conn.bev = bufferevent_openssl_socket_new(srv->base, fd,
			    ssl, BUFFEREVENT_SSL_ACCEPTING,
			    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		} else
			conn.bev = bufferevent_socket_new(srv->base, fd,
			    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (conn.bev == NULL) {
			log_warnx("%s: cannot set up connection", conn.service);
			close(fd);
			continue;
		}
		if (slot->l.tls)
			bufferevent_openssl_set_allow_dirty_shutdown(conn.bev, 1);
		srv->fn(&conn, srv->arg);
	}
}

struct server *
server_new(struct event_base *base, SSL_CTX *tls,
    const struct server_listener *listeners, size_t n, server_accept_fn fn,
    void *arg)
{
	struct server *srv = xcalloc(1, sizeof(*srv));

	srv->base = base;
	srv->tls = tls;
	srv->fn = fn;
	srv->arg = arg;
	srv->accept_batch = SERVER_ACCEPT_BATCH;
	srv->slots = xcalloc(n ? n : 1, sizeof(*srv->slots));
	srv->nslots = n;
	for (size_t i = 0; i < n; i++) {
		struct server_slot *slot = &srv->slots[i];
		slot->srv = srv;
		slot->l = listeners[i];
		slot->ev = event_new(base, slot->l.fd, EV_READ | EV_PERSIST,
		    on_accept, slot);
		if (slot->ev == NULL || event_add(slot->ev, NULL) == -1)
			fatalx("%s: cannot watch listener", slot->l.service);
	}
	return srv;
}

struct server_listener *
server_listeners_dup(const struct server_listener *ls, size_t n)
{
	struct server_listener *l = xcalloc(n ? n : 1, sizeof(*l));

	for (size_t i = 0; i < n; i++) {
		l[i] = ls[i];
		if ((l[i].fd = fcntl(ls[i].fd, F_DUPFD_CLOEXEC, 3)) == -1)
			fatal("%s: cannot duplicate the listener",
			    ls[i].service);
	}
	return l;
}

void
server_set_accept_batch(struct server *srv, int n)
{
	srv->accept_batch = n < 1 ? 1 : n;
}

void
server_stop_listening(struct server *srv)
{
	for (size_t i = 0; i < srv->nslots; i++) {
		struct server_slot *slot = &srv->slots[i];
		if (slot->ev != NULL) {
			event_free(slot->ev);
			slot->ev = NULL;
		}
		if (slot->l.fd != -1) {
			close(slot->l.fd);
			slot->l.fd = -1;
		}
	}
}

void
server_free(struct server **srvp)
{
	struct server *srv = *srvp;

	if (srv == NULL)
		return;
	server_stop_listening(srv);
	free(srv->slots);
	free(srv);
	*srvp = NULL;
}

struct bufferevent *
server_starttls(struct event_base *base, SSL_CTX *tls, struct bufferevent *bev)
{
	SSL *ssl = SSL_new(tls);
	struct bufferevent *tbev;

	if (ssl == NULL)
		return NULL;
	tbev = bufferevent_openssl_filter_new(base, bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (tbev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(tbev, 1);
	return tbev;
}
