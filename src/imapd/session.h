/*
 * session.h: the IMAP4 session engine (RFC 3501 and the extensions in
 * CAPABILITY). No socket I/O: the role glue pushes the bytes it reads,
 * calls imapd_session_run, sends what imapd_session_output holds and acts
 * on the returned action. Mailbox access goes through the store.
 */
#ifndef IMAPD_SESSION_H
#define IMAPD_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

struct store;
struct imapd_session;

struct imapd_settings {
	const char	*hostname;	/* borrowed for the session's life */
	bool		 tls;		/* the connection is encrypted */
	bool		 starttls;	/* STARTTLS may be offered */
	bool		 plaintext_ok;	/* password logins allowed without
					 * TLS (config plaintext_auth) */
	size_t		 append_max;	/* biggest message APPEND takes */
	bool		 async_auth;	/* IMAPD_ACT_AUTH for password checks */
	const char	*peer;		/* printable address, for logs */
};

enum imapd_action {
	IMAPD_ACT_NONE,		/* push more input */
	IMAPD_ACT_STARTTLS,	/* flush output, start TLS, then call
				 * imapd_session_tls_started */
	IMAPD_ACT_CLOSE,	/* flush output and close */
	IMAPD_ACT_FLUSH,	/* send the output; run again once it has
				 * been written (a long FETCH) */
	IMAPD_ACT_AUTH,		/* check imapd_session_auth_request's
				 * password, then imapd_session_auth_done */
	IMAPD_ACT_SCRAM,	/* look up imapd_session_scram_request's
				 * SCRAM credentials (store_user_scram_get),
				 * then imapd_session_scram_done */
};

/* A new session; store is borrowed. */
struct imapd_session *imapd_session_new(const struct imapd_settings *set,
    struct store *store);
void imapd_session_free(struct imapd_session **sp);

/* Appends the greeting to the output. */
void imapd_session_greet(struct imapd_session *s);
/* Takes up to len bytes of input; returns how many. */
size_t imapd_session_push(struct imapd_session *s, const void *data,
    size_t len);
/* Runs every complete command pushed so far. */
enum imapd_action imapd_session_run(struct imapd_session *s);
/* Bytes to send; the glue consumes what it sent (buf_consume). */
struct buf *imapd_session_output(struct imapd_session *s);
/* TLS is up after IMAPD_ACT_STARTTLS. */
void imapd_session_tls_started(struct imapd_session *s);

/* The login to check while the action is IMAPD_ACT_AUTH: true and the
 * user and password (valid until imapd_session_auth_done). */
bool imapd_session_auth_request(const struct imapd_session *s,
    const char **user_out, const char **pass_out);
/* The check's result as store_user_verify gives it (1 good, 0 bad, -1
 * error) and the canonical address on 1. Run the session again after. */
void imapd_session_auth_done(struct imapd_session *s, int result,
    const char *canon);

/* The user whose SCRAM-SHA-256 credentials to look up while the action
 * is IMAPD_ACT_SCRAM: true and the name (valid until scram_done). */
bool imapd_session_scram_request(const struct imapd_session *s,
    const char **user_out);
/* The lookup's result as store_user_scram_get gives it: r, *creds
 * (copied; stand-ins on 0) and canon (on 1). Run the session again. */
struct scram_creds;
void imapd_session_scram_done(struct imapd_session *s, int r,
    const struct scram_creds *creds, const char *canon);

/* The file the store touches on every change of the selected mailbox
 * while the session is in IDLE, or NULL. */
const char *imapd_session_idle_path(const struct imapd_session *s);
/* The selected mailbox may have changed: during IDLE, send the updates. */
void imapd_session_poll(struct imapd_session *s);
/* Marks the session logged in as user (normal form) without a password:
 * for tests and fuzzing, which cannot afford a password hash per run. */
void imapd_session_preauth(struct imapd_session *s, const char *user);
/* Server shutdown: a BYE is appended. */
void imapd_session_shutdown(struct imapd_session *s);

#endif
