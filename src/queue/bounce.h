/*
 * bounce.h: delivery status notifications (RFC 3464 multipart/report,
 * RFC 6522) for failed and delayed recipients, sent by the queue role to
 * the envelope sender with MAIL FROM:<> (RFC 5321 §4.5.5).
 *
 * bounce_build only composes bytes (tests and the fuzzer drive it);
 * queue_bounce_send decides who is owed a notice (RFC 3461 NOTIFY, never
 * a bounce to <>: a failed bounce goes to the postmaster once, a failed
 * postmaster notice is only logged) and spools it.
 */
#ifndef QUEUE_BOUNCE_H
#define QUEUE_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "queue/envelope.h"

struct spool;

#define BOUNCE_HEADERS_MAX	(64 * 1024)	/* RET=HDRS: header bytes */
#define BOUNCE_TEXT_MAX		900		/* per diagnostic line */

enum bounce_kind {
	BOUNCE_FAILED,		/* Action: failed */
	BOUNCE_DELAYED,		/* Action: delayed (a warning) */
	BOUNCE_DELIVERED,	/* Action: delivered (NOTIFY=SUCCESS) */
	BOUNCE_RELAYED,		/* Action: relayed to a next hop that
				 * does not speak DSN */
};

struct bounce_rcpt {
	const char	*addr;		/* final recipient */
	const char	*orcpt;		/* RFC 3461 ORCPT "type;xtext" or NULL */
	const char	*error;		/* the stored error text or NULL */
	int64_t		 last_try;	/* unix time, 0: never */
};

struct bounce_info {
	enum bounce_kind	 kind;
	const char		*hostname;	/* reporting MTA */
	const char		*to;		/* who gets the notice */
	const char		*id;		/* queue id of the original */
	const char		*envid;		/* RFC 3461 ENVID or NULL */
	int64_t			 arrival;
	int64_t			 retry_until;	/* delayed: arrival+lifetime */
	int64_t			 now;
	const struct bounce_rcpt *rcpts;
	size_t			 nrcpts;
	const char		*msg;		/* the original message */
	size_t			 len;
	bool			 full;		/* RET=FULL: all of it */
};

/* Appends the notice (header and body, CRLF line ends) to out. -1 with
 * *errstr_out when out is full or randomness fails. */
int bounce_build(const struct bounce_info *b, struct buf *out,
    const char **errstr_out);

/* RFC 3463 status and the server's reply (or NULL) found in an error
 * text stored by the queue ("HOST said: 550 5.1.1 ..."). status_out has
 * room for 16 bytes; mta_out (may be NULL) for 256. */
void bounce_parse_error(const char *error, bool failed, char *status_out,
    const char **diag_out, char *mta_out);

/* Sends the notices owed for env: one DSN listing every recipient that
 * has failed (they become BOUNCED), and one delay notice after
 * delay_warning for deferred ones (once per message). The original is
 * [off, off + size) of fd. Returns whether env changed. */
bool queue_bounce_send(struct spool *sp, const struct config *cfg,
    struct queue_envelope *env, int fd, off_t off, off_t size, int64_t now);

/* Success notices (RFC 3461 NOTIFY=SUCCESS) for env->rcpts[idx[0..n)],
 * just delivered (kind DELIVERED) or relayed (RELAYED); recipients that
 * did not ask for one are skipped, and <> never gets one. */
void queue_bounce_success(struct spool *sp, const struct config *cfg,
    const struct queue_envelope *env, int fd, off_t off, off_t size,
    int64_t now, const size_t *idx, size_t n, enum bounce_kind kind);

#endif
