/*
 * server.h: event-loop glue shared by the role processes (smtp, pop3, imap).
 *
 * Postern's role processes run one libevent loop each: many sessions per
 * process, non-blocking sockets, TLS in the loop through bufferevent_openssl
 * (docs/architecture.md says why libevent). This file accepts connections on
 * the listening sockets the master handed down, wraps implicit-TLS ones,
 * sets TCP_NODELAY (replies go out at once: PERFORMANCE.md) and gives each
 * new connection to the role as a bufferevent. Protocol engines never see
 * any of this: the role's glue feeds them bytes.
 */
#ifndef LIB_SERVER_H
#define LIB_SERVER_H

#include <stdbool.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/ssl.h>

/* One listening socket and what it serves. */
struct server_listener {
	int		 fd;
	const char	*service;	/* "smtp", "submissions", "imaps", ... */
	bool		 tls;		/* implicit TLS from the first byte */
};

/* A new connection. bev is owned by the callee (bufferevent_free closes
 * it). For a TLS listener the handshake may still be running: the callee
 * gets BEV_EVENT_CONNECTED on bev when it completes. */
struct server_conn {
	struct bufferevent	*bev;
	const char		*service;
	bool			 tls;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	char			 peer_addr[64];	/* printable, no port */
};
typedef void (*server_accept_fn)(struct server_conn *conn, void *arg);

struct server;

/* Starts accepting on every listener. tls may be NULL when no listener is
 * TLS. The server does not own the listening fds' lifetime beyond
 * server_free, which closes them. */
struct server *server_new(struct event_base *base, SSL_CTX *tls,
    const struct server_listener *listeners, size_t n, server_accept_fn fn,
    void *arg);
/* Copies of n listeners on descriptors of their own (a second event loop
 * accepting on the same sockets; server_free closes the copies). Exits
 * when a descriptor cannot be duplicated. */
struct server_listener *server_listeners_dup(
    const struct server_listener *ls, size_t n);

#define SERVER_ACCEPT_BATCH	64	/* accepts per wake-up, by default */

/* Sets how many connections one wake-up accepts. Loops of one process
 * that share a listener set 1: every loop is woken for a new connection,
 * and one that took the whole backlog would leave the others idle. */
void server_set_accept_batch(struct server *srv, int n);
/* Stops accepting and closes the listening sockets (shutdown begins). */
void server_stop_listening(struct server *srv);
void server_free(struct server **srv);

/* Starts TLS on an established plaintext connection (STARTTLS/STLS): returns
 * the new bufferevent that replaces bev (bev is then owned by it), or NULL. */
struct bufferevent *server_starttls(struct event_base *base, SSL_CTX *tls,
    struct bufferevent *bev);

/* Whether the peer address is loopback (127.0.0.0/8, ::1, mapped). */
bool server_peer_is_loopback(const struct sockaddr_storage *peer);

#endif
