/*
 * session.h: the SMTP server session engine (RFC 5321, with PIPELINING,
 * SIZE, 8BITMIME, ENHANCEDSTATUSCODES, SMTPUTF8, STARTTLS, AUTH PLAIN and
 * LOGIN, CHUNKING, DSN).
 *
 * The engine does no I/O and keeps no clock: bytes go in through
 * smtpd_session_push(), replies come out of smtpd_session_output(), and
 * what only the glue can do (TLS handshake, closing, looking up users,
 * checking passwords, writing the queue file) is asked for through the
 * ops callbacks or reported as actions. The smtp role process runs one
 * engine per connection; tests and fuzzers run it in memory.
 *
 * How the glue drives a session:
 *  1. s = smtpd_session_new(&settings, &ops, ctx).
 *  2. smtpd_session_greet(s) when the greeting may go out (after an
 *     optional greet pause), or smtpd_session_abort(s, ...) to refuse the
 *     connection (e.g. the per-IP cap) with a 421.
 *  3. On readable input: n = smtpd_session_push(s, data, len); the engine
 *     took n bytes; keep the rest and push it again later. n < len means
 *     the engine's input buffer is full because it waits for an
 *     asynchronous completion or for its output to drain: stop reading.
 *  4. After every push or *_done call: write out smtpd_session_output()
 *     and smtpd_session_output_consume() what was written. Once output is
 *     drained, call smtpd_session_push(s, NULL, 0) so held input is
 *     processed.
 *  5. Check smtpd_session_actions(s):
 *     SMTPD_ACT_STARTTLS: write all output (the 220), then run the TLS
 *       handshake; the engine has discarded every byte it held
 *       (CVE-2011-0411) and drops plaintext pushed until
 *       smtpd_session_tls_done(s, info) reports the handshake done; from
 *       then on push decrypted bytes. If the handshake fails, close.
 *     SMTPD_ACT_CLOSE: write all output, then close and free the session.
 *  6. An op returning SMTPD_PENDING (rcpt lookup, auth, commit) makes the
 *     engine wait: it holds input and sends nothing until the glue calls
 *     the matching smtpd_session_*_done(). Never call a *_done function
 *     from inside an op callback; return the result instead. A *_done
 *     call after smtpd_session_abort() is ignored.
 *  7. Timeouts (the SMTPD_TIMEOUT_* values below) are the glue's:
 *     smtpd_session_abort(s, "4.4.2", "Timeout") then close.
 *  8. smtpd_session_free(&s) at the end; it calls msg_abort if a message
 *     was begun and not committed.
 */
#ifndef SMTPD_SESSION_H
#define SMTPD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "smtpd/params.h"
#include "smtpd/path.h"

/*
 * RFC 5321 §4.5.3.2 timeouts, in seconds, for the glue. §4.5.3.2.7: a
 * server waits at least 5 minutes for the next command; while the client
 * sends content it may pause up to the client's 3-minute data block
 * timeout (§4.5.3.2.5); after the final dot the client waits 10 minutes
 * (§4.5.3.2.6), so a commit must finish well within that.
 */
#define SMTPD_TIMEOUT_COMMAND	300	/* §4.5.3.2.7, also before the first */
#define SMTPD_TIMEOUT_DATA_BLOCK 180	/* §4.5.3.2.5: between content reads */
#define SMTPD_TIMEOUT_DATA_END	600	/* §4.5.3.2.6: bound for the commit */

/* Defaults for smtpd_settings fields left at 0. */
#define SMTPD_ERROR_LIMIT_DEFAULT	10	/* 4xx/5xx replies, then 421 */
#define SMTPD_JUNK_LIMIT_DEFAULT	100	/* NOOP, RSET... without mail */
#define SMTPD_RCPT_LIMIT_DEFAULT	100	/* RFC 5321 §4.5.3.1.8 */

enum smtpd_listener {
	SMTPD_LISTENER_MTA,		/* port 25's role: relay rules apply */
	SMTPD_LISTENER_SUBMISSION,	/* RFC 6409: AUTH before MAIL */
	SMTPD_LISTENER_SUBMISSIONS,	/* RFC 8314: implicit TLS */
};

struct smtpd_settings {
	const char	*hostname;	/* greeting, EHLO, Received: */
	enum smtpd_listener listener;
	bool		 tls_active;	/* implicit TLS already up */
	bool		 tls_available;	/* STARTTLS may be offered */
	bool		 plaintext_auth; /* AUTH allowed without TLS here */
	uint64_t	 max_message_size; /* octets; 0: no limit */
	const char	*peer_addr;	/* numeric, no brackets */
	const char	*peer_name;	/* verified reverse name, or NULL */
	bool		 peer_relay;	/* peer is in relay_networks */
	unsigned	 error_limit;	/* 0: SMTPD_ERROR_LIMIT_DEFAULT */
	unsigned	 junk_limit;	/* 0: SMTPD_JUNK_LIMIT_DEFAULT */
	unsigned	 rcpt_limit;	/* 0: SMTPD_RCPT_LIMIT_DEFAULT */
};

/* Result of an op that may fail or finish later. */
enum smtpd_status {
	SMTPD_OK,
	SMTPD_PENDING,		/* the glue will call the matching *_done */
	SMTPD_TEMPFAIL,		/* 4xx: try again later */
	SMTPD_PERMFAIL,		/* 5xx (auth: bad credentials) */
};

/* Result of a recipient lookup. */
enum smtpd_rcpt_kind {
	SMTPD_RCPT_LOCAL,	/* a local user or alias: accept */
	SMTPD_RCPT_UNKNOWN,	/* local domain, no such user: 550 5.1.1 */
	SMTPD_RCPT_REMOTE,	/* not ours: relay if the session may */
	SMTPD_RCPT_TEMPFAIL,	/* lookup failed: 451 4.3.0 */
	SMTPD_RCPT_PENDING,	/* smtpd_session_rcpt_done() follows */
};

struct smtpd_rcpt {
	char		*mailbox;	/* "local@domain" or "Postmaster" */
	size_t		 domain_off;	/* 0: no domain */
	enum smtpd_rcpt_kind kind;	/* LOCAL or REMOTE */
	struct smtpd_rcpt_params dsn;	/* NOTIFY, ORCPT */
};

/*
 * The envelope of the message being received. Owned by the engine: valid
 * from msg_begin until msg_commit returns or msg_abort is called; copy
 * what you keep. The DSN parameters are here for the queue to store.
 */
struct smtpd_envelope {
	const char	*helo;
	const char	*peer_addr;
	const char	*auth_user;	/* NULL unless authenticated */
	bool		 tls;
	const char	*sender;	/* "" for the null reverse-path */
	/* SIZE, BODY, SMTPUTF8, RET, ENVID, AUTH= */
	struct smtpd_mail_params mail;
	struct smtpd_rcpt *rcpts;
	size_t		 nrcpts;
	const char	*protocol;	/* "ESMTPSA" ... as in Received: */
};

/* What the engine tells the glue for logging; it never logs itself. */
enum smtpd_event {
	SMTPD_EV_PROTOCOL,	/* protocol violation (pre-greet, pipelining) */
	SMTPD_EV_PLAINTEXT_DISCARDED, /* bytes after STARTTLS dropped */
	SMTPD_EV_AUTH_OK,	/* detail: user name */
	SMTPD_EV_AUTH_FAIL,	/* detail: user name */
	SMTPD_EV_LIMIT,		/* error or junk limit reached: closing */
	SMTPD_EV_REJECT,	/* a message refused after its data */
	SMTPD_EV_QUEUED,	/* detail: queue id */
};

struct smtpd_session;
struct scram_creds;

struct smtpd_ops {
	/* A recipient. Returning SMTPD_RCPT_PENDING makes the engine wait
	 * for smtpd_session_rcpt_done(). mailbox is "local@domain" or
	 * "Postmaster"; domain points into it ("" when there is none). */
	enum smtpd_rcpt_kind (*rcpt_lookup)(void *ctx, const char *mailbox,
	    const char *domain);
	/* Checks a password. OK, PERMFAIL (wrong), TEMPFAIL or PENDING. */
	enum smtpd_status (*auth)(void *ctx, const char *user,
	    const char *pass);
	/* Optional (NULL: no SCRAM-SHA-256 offered): the user's SCRAM
	 * credentials (store_user_scram_get). OK: *creds_out and the
	 * user's normal form in canon_out (canonsize bytes); PERMFAIL: no
	 * credentials, *creds_out holds stand-ins the exchange fails with;
	 * TEMPFAIL. */
	enum smtpd_status (*scram)(void *ctx, const char *user,
	    struct scram_creds *creds_out, char *canon_out, size_t canonsize);
	/* At MAIL: is there room for a message of size octets (the SIZE
	 * parameter, or 0 when unknown)? OK or TEMPFAIL (452 4.3.1). */
	enum smtpd_status (*space)(void *ctx, uint64_t size);
	/* Begins a message (at DATA or the first BDAT): opens the queue
	 * file and writes the queue id (NUL-terminated, at most idsize-1
	 * bytes) into id_out. OK, TEMPFAIL (451 4.3.0) or PERMFAIL. */
	enum smtpd_status (*msg_begin)(void *ctx,
	    const struct smtpd_envelope *env, char *id_out, size_t idsize);
	/* Message bytes: the Received: field first, then the content, CRLF
	 * line ends, dot-unstuffed. Returns 0, or -1 on a write error (the
	 * engine then reads to the end and replies 451 4.3.0). */
	int (*msg_write)(void *ctx, const void *data, size_t len);
	/* The content ended and passed every check: make the message
	 * durable (fsync) before answering. OK, TEMPFAIL, PERMFAIL, or
	 * PENDING followed by smtpd_session_commit_done(). From this call
	 * on the glue owns the outcome: on a failure it removes what it
	 * wrote, and the engine calls msg_abort for this message only if
	 * the session ends (abort, free) while the commit is PENDING. */
	enum smtpd_status (*msg_commit)(void *ctx);
	/* Forget the message begun (rejected, RSET, connection gone). */
	void (*msg_abort)(void *ctx);
	/* Optional: an event worth a log line. detail is at most 255 bytes
	 * with control characters replaced by '?'; it may hold other bytes
	 * the client chose (UTF-8 user names). */
	void (*event)(void *ctx, enum smtpd_event ev, const char *detail);
	/* Optional: the time for Received:; NULL means time(NULL). */
	time_t (*now)(void *ctx);
};

/* Actions (bits) for the glue. */
#define SMTPD_ACT_STARTTLS	0x01	/* start the TLS handshake */
#define SMTPD_ACT_CLOSE		0x02	/* flush output, then close */

/* Creates a session. Settings strings are copied; ops and ctx must
 * outlive the session. Nothing is sent until smtpd_session_greet(). */
struct smtpd_session *smtpd_session_new(const struct smtpd_settings *set,
    const struct smtpd_ops *ops, void *ctx);
/* Aborts a begun message (msg_abort), frees, and sets *sp to NULL. */
void smtpd_session_free(struct smtpd_session **sp);

/* Queues the 220 greeting. Input pushed before this is a pre-greeting
 * violation: 554 and close (RFC 5321 §3.1 lets the client speak only
 * after the greeting). */
void smtpd_session_greet(struct smtpd_session *s);
/* Queues "421 <status> <hostname> <text>" and sets SMTPD_ACT_CLOSE:
 * refusal instead of a greeting, shutdown, timeout. status like "4.3.2". */
void smtpd_session_abort(struct smtpd_session *s, const char *status,
    const char *text);

/* Feeds bytes from the client; returns how many were taken (see above).
 * len 0 (data may be NULL) only resumes processing of held input. */
size_t smtpd_session_push(struct smtpd_session *s, const void *data,
    size_t len);

/* Reply bytes waiting to be written; *len_out gets their number. The
 * pointer is valid until the next call into the engine. */
const char *smtpd_session_output(const struct smtpd_session *s,
    size_t *len_out);
void smtpd_session_output_consume(struct smtpd_session *s, size_t n);

/* SMTPD_ACT_* bits currently set. */
unsigned smtpd_session_actions(const struct smtpd_session *s);

/* Asynchronous completions (after an op returned a PENDING value). */
void smtpd_session_rcpt_done(struct smtpd_session *s,
    enum smtpd_rcpt_kind kind);
void smtpd_session_auth_done(struct smtpd_session *s,
    enum smtpd_status st);
void smtpd_session_commit_done(struct smtpd_session *s,
    enum smtpd_status st);
/* The TLS handshake after STARTTLS succeeded. info (may be NULL) is not
 * used yet. The session is reset to its state after the greeting (RFC
 * 3207 §4.2): the client must send EHLO again. */
void smtpd_session_tls_done(struct smtpd_session *s, const char *info);

/* True when the engine waits for a *_done call or a TLS handshake. */
bool smtpd_session_waiting(const struct smtpd_session *s);

#endif
