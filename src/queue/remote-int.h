/*
 * remote-int.h: what the two halves of relay delivery share — remote.c
 * (jobs, destinations, the interface in remote.h) and remote-conn.c (one
 * connection: resolve, connect, TLS, feed the smtpc engine). Private to
 * src/queue/remote*.c.
 */
#ifndef QUEUE_REMOTE_INT_H
#define QUEUE_REMOTE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "queue/relayauth.h"
#include "queue/remote.h"
#include "smtpc/client.h"
#include "smtpc/dns.h"

#define REMOTE_OUT_HIGH (64 * 1024)	/* engine output moved per turn */

/* A queued message, shared by its jobs. Its file is mapped only while a
 * connection sends it (remote_rmsg_map): thousands of messages may wait
 * for a slow destination, and the kernel allows ~65,000 mappings. */
struct rmsg {
	char		 id[QUEUE_ID_LEN + 1];
	unsigned	 refs;
	char		*sender;
	char		*envid;
	enum smtpc_ret	 ret;
	bool		 smtputf8;
	off_t		 off;		/* the content in the queue file */
	size_t		 len;
	unsigned	 active;	/* jobs being sent */
	void		*map;		/* while active > 0 */
	size_t		 maplen;
	const char	*data;
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
	bool		 mapped;	/* holds a remote_rmsg_map */
	char		 mta[SMTPC_DNS_HOST_MAX + 64];
};
TAILQ_HEAD(jobq, job);

struct dest {
	TAILQ_ENTRY(dest) entry;
	char		*key;		/* "mx DOMAIN" or "route HOST:PORT" */
	char		*name;		/* what to resolve */
	const struct relay_auth *auth;	/* AUTH (PLAIN or LOGIN) over TLS, or NULL */
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

/* remote.c */
int64_t remote_now(void);
void remote_job_free(struct queue_remote *rm, struct job *j);
/* Queues j's results for the report event (never reported at once). */
void remote_job_done(struct queue_remote *rm, struct job *j,
    const char *mta);
void remote_job_fail(struct queue_remote *rm, struct job *j, int code,
    const char *status, const char *text);
/* Maps j's message for sending (j->msg.data) unless mapped already for
 * another job. 0, or -1 with errno. The report of j lets go of it. */
int remote_job_map(struct queue_remote *rm, struct job *j);
/* No connection to d worked (perm: the DNS said no for good). */
void remote_dest_failed(struct queue_remote *rm, struct dest *d, bool perm,
    const char *status, const char *why);
/* Opens connections while jobs wait and the limits allow. */
void remote_dest_kick(struct queue_remote *rm, struct dest *d);

/* remote-conn.c */
/* A new connection to d: resolve, connect, then take d's jobs. */
void remote_conn_start(struct queue_remote *rm, struct dest *d);
void remote_conn_free(struct conn *c);

#endif
