/*
 * client.h: the SMTP client session engine (RFC 5321), with EHLO/HELO,
 * STARTTLS (RFC 3207), PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME
 * (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461), CHUNKING (RFC 3030)
 * and AUTH: SCRAM-SHA-256 (RFC 5802, RFC 7677; the server's signature is
 * checked) when offered, else PLAIN (RFC 4954, RFC 4616), else LOGIN
 * (draft-murchison-sasl-login). Used by the queue role
 * to relay and by the user agent to submit.
 *
 * The engine does no I/O and keeps no clock: bytes from the server go in
 * through smtpc_push(), commands come out of smtpc_output(), and what
 * only the glue can do (TLS handshake, closing, choosing the next message)
 * is asked for through events. How the glue drives a session:
 *  1. c = smtpc_new(&settings) once the TCP connection is up.
 *  2. On readable bytes: smtpc_push(c, data, len) (it takes all of them);
 *     on end of stream smtpc_eof(c); on a read timeout (smtpc_timeout()
 *     seconds, RFC 5321 §4.5.3.2) smtpc_fail(c, "timeout").
 *  3. After every call, write out smtpc_output() and
 *     smtpc_output_consume() what was written (that also refills the
 *     message body while DATA streams), then handle every event from
 *     smtpc_event() until it returns SMTPC_EV_NONE:
 *     SMTPC_EV_STARTTLS: the 220 to STARTTLS arrived and every byte the
 *       server sent with it was dropped; run the handshake and call
 *       smtpc_tls_done().
 *     SMTPC_EV_READY: the session can take a message: smtpc_send(c, msg)
 *       or smtpc_quit(c).
 *     SMTPC_EV_DONE: the message given to smtpc_send() is finished: each
 *       recipient's result is filled in. READY follows unless the session
 *       is closing.
 *     SMTPC_EV_CLOSED: the session is over (after QUIT, or an error:
 *       smtpc_error()). Write what output is left, close, smtpc_free().
 *  4. A message's recipients not finished when the session fails get the
 *     session's error as their (temporary) result, so nothing accepted
 *     with 250 for RCPT is ever reported delivered before the final 250.
 */
#ifndef SMTPC_CLIENT_H
#define SMTPC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 §4.5.3.2 client timeouts, in seconds. */
#define SMTPC_TIMEOUT_GREETING	300	/* §4.5.3.2.1: initial 220 */
#define SMTPC_TIMEOUT_MAIL	300	/* §4.5.3.2.2 (also EHLO, STARTTLS) */
#define SMTPC_TIMEOUT_RCPT	300	/* §4.5.3.2.3 */
#define SMTPC_TIMEOUT_DATA	120	/* §4.5.3.2.4: the 354 */
#define SMTPC_TIMEOUT_BLOCK	180	/* §4.5.3.2.5: each body write */
#define SMTPC_TIMEOUT_DOT	600	/* §4.5.3.2.6: final reply */

#define SMTPC_RESULT_MAX	512	/* result text kept per recipient */

/* RFC 3461 NOTIFY bits, the same values as the queue's. */
#define SMTPC_NOTIFY_NEVER	0x01
#define SMTPC_NOTIFY_SUCCESS	0x02
#define SMTPC_NOTIFY_FAILURE	0x04
#define SMTPC_NOTIFY_DELAY	0x08

enum smtpc_tls {
	SMTPC_TLS_NONE,		/* never STARTTLS (no client context) */
	SMTPC_TLS_MAY,		/* STARTTLS when offered; plaintext if not */
	SMTPC_TLS_MUST,		/* no TLS, no mail (never falls back) */
};

struct smtpc_settings {
	const char	*helo;		/* our name for EHLO/HELO */
	enum smtpc_tls	 tls;
	bool		 tls_active;	/* implicit TLS (RFC 8314) */
	const char	*auth_user;	/* NULL: no AUTH */
	const char	*auth_pass;
	bool		 auth_plaintext; /* AUTH allowed without TLS */
};

enum smtpc_ret { SMTPC_RET_NONE, SMTPC_RET_FULL, SMTPC_RET_HDRS };

struct smtpc_rcpt {
	const char	*addr;		/* "local@domain" */
	const char	*orcpt;		/* RFC 3461 ORCPT value or NULL */
	unsigned	 notify;	/* SMTPC_NOTIFY_* or 0 */
	/* Filled in by the engine: */
	int		 code;		/* reply code; 0: no result */
	bool		 remote;	/* text is the server's reply */
	bool		 dsn_passed;	/* NOTIFY went to the next hop, which
					 * now owes the DSNs (RFC 3461 §6) */
	char		 status[16];	/* RFC 3463 code, e.g. "5.1.1" */
	char		 text[SMTPC_RESULT_MAX];
};

struct smtpc_msg {
	const char	*sender;	/* "" for the null path */
	struct smtpc_rcpt *rcpts;
	size_t		 nrcpts;
	const char	*data;		/* the message, any line ends */
	size_t		 len;
	bool		 smtputf8;	/* needs SMTPUTF8 (RFC 6531) */
	const char	*envid;		/* RFC 3461 ENVID or NULL */
	enum smtpc_ret	 ret;
};

enum smtpc_event {
	SMTPC_EV_NONE,
	SMTPC_EV_STARTTLS,
	SMTPC_EV_READY,
	SMTPC_EV_DONE,
	SMTPC_EV_CLOSED,
};

/* What the server's EHLO said (valid after the first READY). */
#define SMTPC_EXT_PIPELINING	0x01
#define SMTPC_EXT_SIZE		0x02
#define SMTPC_EXT_8BITMIME	0x04
#define SMTPC_EXT_SMTPUTF8	0x08
#define SMTPC_EXT_STARTTLS	0x10
#define SMTPC_EXT_DSN		0x20
#define SMTPC_EXT_AUTH_PLAIN	0x40
#define SMTPC_EXT_ESMTP		0x80	/* EHLO worked (not HELO) */
#define SMTPC_EXT_CHUNKING	0x100	/* RFC 3030 BDAT */
#define SMTPC_EXT_AUTH_LOGIN	0x200	/* AUTH LOGIN (no PLAIN needed) */
#define SMTPC_EXT_AUTH_SCRAM	0x400	/* AUTH SCRAM-SHA-256 */

struct smtpc;

/* A session whose connection just opened; strings in settings are
 * copied. Waits for the greeting. */
struct smtpc *smtpc_new(const struct smtpc_settings *settings);
void smtpc_free(struct smtpc **cp);

/* Bytes from the server (all taken). */
void smtpc_push(struct smtpc *c, const void *data, size_t len);
/* The server closed the connection. */
void smtpc_eof(struct smtpc *c);
/* Ends the session with a temporary error (timeout, I/O error). */
void smtpc_fail(struct smtpc *c, const char *why);
/* The TLS handshake asked for by SMTPC_EV_STARTTLS finished. */
void smtpc_tls_done(struct smtpc *c, bool ok);

/* Starts a transaction (only after READY). msg and the strings it points
 * to must stay valid until DONE; results are written into msg->rcpts. */
void smtpc_send(struct smtpc *c, struct smtpc_msg *msg);
/* Ends a READY session politely. */
void smtpc_quit(struct smtpc *c);

/* The next event, consumed. */
enum smtpc_event smtpc_event(struct smtpc *c);

const char *smtpc_output(const struct smtpc *c, size_t *len_out);
void smtpc_output_consume(struct smtpc *c, size_t n);

/* Seconds to wait for the server now (RFC 5321 §4.5.3.2). */
int smtpc_timeout(const struct smtpc *c);
/* Why the session ended ("" after a clean QUIT), and the reply code that
 * ended it (0: not a reply: network, timeout, protocol or policy). */
const char *smtpc_error(const struct smtpc *c);
int smtpc_error_code(const struct smtpc *c);
/* SMTPC_EXT_* bits of the server. */
unsigned smtpc_extensions(const struct smtpc *c);
bool smtpc_tls_active(const struct smtpc *c);

#endif
