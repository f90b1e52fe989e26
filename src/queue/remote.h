/*
 * remote.h: relaying queued recipients to other MTAs, in the queue role.
 *
 * The role hands over the due remote recipients of a message; they are
 * grouped by destination (route.DOMAIN / route.* next hop, else the
 * recipient domain's MX hosts), each destination keeps at most
 * REMOTE_DEST_CONC connections and reuses them for the messages waiting
 * for it, and a destination that cannot be reached is left alone for a
 * while (its waiting recipients fail temporarily at once) so one dead
 * host does not hold up mail to others. Results come back through the
 * done callback, always later from the event loop, never from inside
 * queue_remote_deliver.
 *
 * TLS is opportunistic (RFC 7435): STARTTLS whenever offered, without
 * checking the certificate, and a failed handshake is retried once in
 * plaintext. A smarthost listed in data_dir/relay-auth ("HOST:PORT USER
 * PASSWORD [verify]" lines, HOST:PORT exactly as in route.*) gets AUTH
 * PLAIN (LOGIN when that is all it offers) and then TLS is required: no password ever goes out in clear;
 * with "verify" the certificate must also verify and name HOST.
 */
#ifndef QUEUE_REMOTE_H
#define QUEUE_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/config.h"
#include "queue/envelope.h"
#include "smtpc/client.h"

#define REMOTE_DEST_CONC	20	/* connections per destination */
#define REMOTE_CONN_MAX		200	/* connections in all */
#define REMOTE_MSGS_PER_CONN	100	/* then a fresh connection */
#define REMOTE_CONNECT_TIMEOUT	30	/* seconds */
#define REMOTE_DEST_BACKOFF	30	/* first pause for a dead
					 * destination, doubling up to
					 * queue_interval */

struct event_base;
struct queue_remote;

/* One message's results: res[k] is for env->rcpts[idx[k]]. mta names the
 * host that answered ("host[addr]") or is NULL. */
typedef void (*queue_remote_done_fn)(void *arg, const char *id,
    const char *mta, const size_t *idx, const struct smtpc_rcpt *res,
    size_t n);

struct queue_remote *queue_remote_new(const struct config *cfg,
    struct event_base *base, queue_remote_done_fn done, void *arg,
    char *err, size_t errlen);
/* Reports what finished, then drops every connection. */
void queue_remote_free(struct queue_remote **rmp);

/* Starts delivery of env->rcpts[idx[0..n)] (remote, due); the message is
 * [off, off + size) of its queue file, mapped only while being sent. */
void queue_remote_deliver(struct queue_remote *rm,
    const struct queue_envelope *env, const size_t *idx, size_t n,
    off_t off, off_t size);
/* Whether some recipients of message id are being delivered. */
bool queue_remote_busy(const struct queue_remote *rm, const char *id);
/* Forgets every destination's back-off (queue flush). */
void queue_remote_flush(struct queue_remote *rm);

/* The error text the queue stores for a result: "HOST said: REPLY" for a
 * server's reply, the text alone otherwise. Caller frees. */
char *queue_remote_error(const char *mta, const struct smtpc_rcpt *r);

#endif
