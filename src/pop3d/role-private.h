/*
 * role-private.h: the pop3 role's process state (role.c) and its
 * connections (conn.c), shared by those two files only.
 */
#ifndef POP3D_ROLE_PRIVATE_H
#define POP3D_ROLE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/event.h>

#include "lib/role.h"
#include "lib/server.h"
#include "pop3d/session.h"
#include "lib/workq.h"
#include "pop3d/jobs.h"
#include "store/addr.h"

#define POP3D_LOOPS_MAX		8	/* event loops (threads): one a core */
#define POP3D_PER_IP_MAX	20	/* sessions from one address */
#define IPFAIL_SLOTS		1024	/* failed-login memory, by address */
#define PEER_SLOTS		4096	/* open sessions, by address */

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	struct pop3d_role	*role;
	struct bufferevent	*bev;
	struct pop3d_session	*s;
	struct pop3d_maildrop	*md;
	struct event		*timer;		/* auth failure delay */
	int			 msgfd;		/* RETR in progress, or -1 */
	unsigned		 close_polls;
	struct pop3d_job	*job;		/* worker job running */
	bool			 delayed;
	bool			 closing;
	bool			 tls;		/* pop3s, or after STLS */
	const char		*service;
	char			 peer[64];
	char			 user[STORE_ADDR_MAX + 1];
};

/* What the role's loops share: per-address counts, under one lock. */
struct pop3d_shared {
	pthread_mutex_t		 lock;
	struct ipfail {
		uint64_t	 key;
		unsigned	 n;
		time_t		 last;
	}			 ipfail[IPFAIL_SLOTS];
	struct peer {
		uint64_t	 key;		/* 0: free */
		unsigned	 n;
	}			 peers[PEER_SLOTS];
};

/* One event loop (thread) of the role and the sessions it accepted. */
struct pop3d_role {
	const struct role_env	*env;
	struct pop3d_shared	*shared;
	struct event_base	*base;
	struct server		*srv;
	struct store		*store;
	struct pop3d_sizecache	*sizes;
	struct workq		*workq;		/* NULL: work inline */
	int			 expire_days;	/* pop3_expire; -1: never */
	unsigned		 login_delay_s;	/* pop3_login_delay */
	TAILQ_HEAD(, conn)	 conns;
	size_t			 nconns;
	size_t			 nloops;	/* the role's, same in each */
};

/* conn.c */
/* A session on a new connection, greeting sent (or queued behind the
 * TLS handshake); refused at once past POP3D_PER_IP_MAX. */
void pop3d_conn_new(struct pop3d_role *role, struct server_conn *sc);
void pop3d_conn_free(struct conn *c);
/* Closes once the output is gone (sessions end without UPDATE). */
void pop3d_conn_close(struct conn *c);
/* A line from the glue itself, outside the engine (CRLF included). */
void pop3d_conn_say(struct conn *c, const char *text);

/* role.c */
/* The first auth failure delay for a session from peer: it grows with
 * recent failures from that address, so reconnecting does not reset it. */
unsigned pop3d_ipfail_delay(struct pop3d_role *role, const char *peer);
void pop3d_ipfail_note(struct pop3d_role *role, const char *peer);
/* Counts a session from peer in every loop's total; returns how many
 * were open before it. pop3d_peer_leave when it ends. */
unsigned pop3d_peer_enter(struct pop3d_role *role, const char *peer);
void pop3d_peer_leave(struct pop3d_role *role, const char *peer);

#endif
