/*
 * envelope.h: what travels with a queued message besides its bytes — the
 * RFC 5321 envelope, the DSN parameters (RFC 3461) and, per recipient, the
 * delivery state the queue role keeps.
 *
 * The spool stores it as text lines "KEY VALUE" where every value is
 * %XX-escaped outside printable ASCII (no spaces, no 8-bit bytes raw), so
 * the reader splits on one space and never parses quoting (qmail's "don't
 * parse"). See spool.c for the file layout.
 */
#ifndef QUEUE_ENVELOPE_H
#define QUEUE_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define QUEUE_ID_LEN	16		/* hex digits */
#define QUEUE_RCPT_MAX	1000		/* RFC 5321 §4.5.3.1.8 asks for 100 */
#define QUEUE_ENV_MAX	(256 * 1024)	/* envelope text in a queue file */

/* RFC 3461 NOTIFY bits; 0 means "not given" (the default: FAILURE,DELAY). */
#define QUEUE_NOTIFY_NEVER	0x01
#define QUEUE_NOTIFY_SUCCESS	0x02
#define QUEUE_NOTIFY_FAILURE	0x04
#define QUEUE_NOTIFY_DELAY	0x08

enum queue_ret { QUEUE_RET_DEFAULT, QUEUE_RET_FULL, QUEUE_RET_HDRS };
enum queue_body { QUEUE_BODY_7BIT, QUEUE_BODY_8BITMIME, QUEUE_BODY_BINARYMIME };

enum queue_rcpt_status {
	QUEUE_RCPT_PENDING,	/* not yet tried, or to be retried */
	QUEUE_RCPT_DEFERRED,	/* tried, temporary failure */
	QUEUE_RCPT_DONE,	/* delivered */
	QUEUE_RCPT_FAILED,	/* permanent failure: bounce owed */
	QUEUE_RCPT_BOUNCED,	/* failed and the bounce is queued */
};

struct queue_rcpt {
	char			*addr;		/* as accepted at RCPT */
	char			*orcpt;		/* RFC 3461 ORCPT or NULL */
	unsigned		 notify;
	enum queue_rcpt_status	 status;
	unsigned		 attempts;
	int64_t			 last_try;	/* unix time, 0: never */
	int64_t			 next_try;	/* unix time, 0: now */
	char			*error;		/* last error text or NULL */
	bool			 expanded;	/* a mailbox an alias led to:
						 * deliver as is, no expansion */
};

struct queue_envelope {
	char			 id[QUEUE_ID_LEN + 1];
	int64_t			 arrival;	/* unix time */
	char			*sender;	/* "" for the null path <> */
	char			*envid;		/* RFC 3461 ENVID or NULL */
	enum queue_ret		 ret;
	enum queue_body		 body;
	bool			 smtputf8;
	char			*auth;		/* authenticated user or NULL */
	char			*client;	/* peer address or NULL (local) */
	char			*helo;		/* HELO/EHLO name or NULL */
	bool			 delay_notified;
	struct queue_rcpt	*rcpts;
	size_t			 nrcpts;
};

void queue_env_init(struct queue_envelope *env);
void queue_env_free(struct queue_envelope *env);
/* Adds a recipient (copies the strings); -1 past QUEUE_RCPT_MAX. */
int queue_env_add_rcpt(struct queue_envelope *env, const char *addr,
    const char *orcpt, unsigned notify);

/* Appends the envelope's text form (ending in an empty line) to out. */
int queue_env_format(const struct queue_envelope *env, struct buf *out);
/* Parses the text form from the start of data. On 0, *used_out is the
 * number of bytes the envelope took (the message follows). -1 with
 * *errstr_out on anything malformed. env is initialised by the call. */
int queue_env_parse(const char *data, size_t len, struct queue_envelope *env,
    size_t *used_out, const char **errstr_out);

const char *queue_rcpt_status_name(enum queue_rcpt_status s);
/* Whether every recipient is finished (done, failed-and-bounced). */
bool queue_env_finished(const struct queue_envelope *env);

#endif
