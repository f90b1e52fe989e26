/*
 * session.h: the POP3 server session engine (RFC 1939, RFC 2449 CAPA,
 * RFC 2595 STLS, RFC 5034 AUTH, RFC 3206 response codes).
 *
 * No I/O: bytes in, replies and actions out (STYLE §2, §6). The pop3 role
 * (role.c) feeds client bytes with pop3d_session_push, runs the engine
 * with pop3d_session_run, writes whatever pop3d_session_out holds, and
 * carries out the action run returned, reporting back with the matching
 * *_done call before it runs the engine again:
 *
 *   POP3D_ACT_NONE      nothing to do until more input arrives
 *   POP3D_ACT_AUTH      check act.user/act.pass (act.scram 0), or take
 *                       the SCRAM verdict (act.scram 1: act.user proved
 *                       its password, -1: it did not), lock and list the
 *                       maildrop -> pop3d_session_auth_done
 *   POP3D_ACT_SCRAM     look up act.user's SCRAM-SHA-256 credentials
 *                       (store_user_scram_get) -> pop3d_session_scram_done
 *   POP3D_ACT_RETR      open message act.uid -> pop3d_session_msg_begin,
 *                       then its bytes -> pop3d_session_msg_push while it
 *                       returns true, then pop3d_session_msg_end
 *   POP3D_ACT_STARTTLS  send the output, drop unread input, start TLS
 *                       -> pop3d_session_tls_done
 *   POP3D_ACT_UPDATE    expunge act.dele, mark act.seen \Seen
 *                       -> pop3d_session_update_done (RFC 1939 §6)
 *   POP3D_ACT_DELAY     wait act.delay_ms (auth failure), then send the
 *                       output and run again
 *   POP3D_ACT_FLUSH     much output is waiting (a client pipelining
 *                       without reading): send it, run again once the
 *                       peer has taken most of it
 *   POP3D_ACT_CLOSE     send the output and close; run keeps returning it
 *
 * A connection that goes away is simply freed: nothing is deleted (the
 * UPDATE state is only entered by QUIT, RFC 1939 §6).
 */
#ifndef POP3D_SESSION_H
#define POP3D_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/*
 * RFC 2449 §4 limits a command line to 255 octets with CRLF, but SASL
 * responses (RFC 5034 §4) carry base64 of passwords up to 1024 bytes, so
 * lines may be this long; a longer one is answered -ERR and counted bad.
 */
#define POP3D_LINE_MAX		4096
#define POP3D_USER_MAX		512	/* user names (addresses) */
#define POP3D_PASS_MAX		1024	/* store/account.h STORE_PASSWORD_MAX */
#define POP3D_BAD_MAX		10	/* bad commands before we hang up */
#define POP3D_AUTH_FAIL_MAX	3	/* failed logins before we hang up */
#define POP3D_AUTH_DELAY_MS	1000	/* first failure; doubles each time */
#define POP3D_IDLE_TIMEOUT_S	600	/* RFC 1939 §3: at least 10 minutes */
#define POP3D_OUT_MAX		(64u * 1024 * 1024)	/* LIST of a huge box */
#define POP3D_CHUNK_MAX		65536	/* most bytes per msg_push */
#define POP3D_OUT_KEEP		16384	/* output memory kept when idle */
#define POP3D_OUT_FLUSH		(256u * 1024)	/* pause input past this */

struct pop3d_session;

struct pop3d_settings {
	const char	*hostname;	/* in the greeting; copied */
	bool		 tls_active;	/* implicit TLS (pop3s) */
	bool		 tls_offered;	/* STLS may be offered */
	bool		 plaintext_ok;	/* passwords allowed without TLS */
	unsigned	 auth_delay_ms;	/* 0: POP3D_AUTH_DELAY_MS */
	int		 expire_days;	/* CAPA EXPIRE; -1: NEVER */
	unsigned	 login_delay_s;	/* CAPA LOGIN-DELAY */
};

/* One message of the maildrop as listed when the session began. */
struct pop3d_msginfo {
	uint32_t	 uid;
	uint64_t	 size;		/* CRLF-form octets (msgout.h) */
};

enum pop3d_act {
	POP3D_ACT_NONE,
	POP3D_ACT_AUTH,
	POP3D_ACT_SCRAM,
	POP3D_ACT_RETR,
	POP3D_ACT_STARTTLS,
	POP3D_ACT_UPDATE,
	POP3D_ACT_DELAY,
	POP3D_ACT_FLUSH,
	POP3D_ACT_CLOSE,
};

/* What run asks for. Pointers stay valid until the matching done call. */
struct pop3d_action {
	enum pop3d_act	 type;
	const char	*user;		/* AUTH */
	const char	*pass;		/* AUTH (scram 0) */
	int		 scram;		/* AUTH: 0 password, 1/-1 SCRAM */
	uint32_t	 uid;		/* RETR */
	uint64_t	 size;		/* RETR: as listed */
	const uint32_t	*dele;		/* UPDATE: UIDs to expunge */
	size_t		 ndele;
	const uint32_t	*seen;		/* UPDATE: UIDs retrieved (RETR) */
	size_t		 nseen;
	unsigned	 delay_ms;	/* DELAY */
};

enum pop3d_auth_result {
	POP3D_AUTH_OK,		/* maildrop locked and listed */
	POP3D_AUTH_BAD,		/* unknown user, wrong password, disabled */
	POP3D_AUTH_TEMP,	/* store trouble: [SYS/TEMP] */
	POP3D_AUTH_INUSE,	/* maildrop locked by another session */
	POP3D_AUTH_DELAY,	/* logged in too recently: [LOGIN-DELAY] */
};

/* A new session; its greeting is already in the output. Never NULL. */
struct pop3d_session *pop3d_session_new(const struct pop3d_settings *set);
/* Frees the session (wiping the password) and sets *sp to NULL. */
void pop3d_session_free(struct pop3d_session **sp);

/* Takes up to len bytes of client input; returns how many it took (fewer
 * when its line buffer is full: run, then push the rest). */
size_t pop3d_session_push(struct pop3d_session *s, const void *data,
    size_t len);
/* Processes buffered lines until an action is needed or input runs out. */
enum pop3d_act pop3d_session_run(struct pop3d_session *s,
    struct pop3d_action *act_out);
/* Replies to send, in order. The caller sends them, then calls
 * pop3d_session_out_clear. */
struct buf *pop3d_session_out(struct pop3d_session *s);
/* Empties the output (its memory is kept for the next reply). */
void pop3d_session_out_clear(struct pop3d_session *s);
/* Gives back output memory a RETR grew past POP3D_OUT_KEEP: call it when
 * the session goes idle (waits for input), so idle sessions cost little. */
void pop3d_session_trim(struct pop3d_session *s);

/* AUTH done. With POP3D_AUTH_OK, msgs (n entries, copied) is the maildrop
 * in the order message numbers are given, and uidvalidity the folder's
 * IMAP UIDVALIDITY: UIDL is both, so POP3 and IMAP name messages alike. */
void pop3d_session_auth_done(struct pop3d_session *s,
    enum pop3d_auth_result r, uint32_t uidvalidity,
    const struct pop3d_msginfo *msgs, size_t n);
/* SCRAM credentials looked up: r and creds (copied) and canon as
 * store_user_scram_get's (canon meaningful with r 1). */
struct scram_creds;
void pop3d_session_scram_done(struct pop3d_session *s, int r,
    const struct scram_creds *creds, const char *canon);
/* RETR: r is 1 the message is open, 0 it has gone (expunged by another
 * client), -1 store trouble. With r != 1 the action is over. */
void pop3d_session_msg_begin(struct pop3d_session *s, int r);
/* Message bytes, at most POP3D_CHUNK_MAX per call. false: send no more
 * (TOP has its lines); call msg_end. */
bool pop3d_session_msg_push(struct pop3d_session *s, const void *data,
    size_t len);
void pop3d_session_msg_end(struct pop3d_session *s);
/* STLS: ok false when the handshake could not start (then CLOSE). */
void pop3d_session_tls_done(struct pop3d_session *s, bool ok);
/* UPDATE: r 0 every change made, -1 not all (reply -ERR). Then CLOSE. */
void pop3d_session_update_done(struct pop3d_session *s, int r);

/* For logs: the authenticated user, or NULL. */
const char *pop3d_session_user(const struct pop3d_session *s);

#endif
