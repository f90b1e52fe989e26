/*
 * session-int.h: internals of the SMTP session engine, shared by its files
 * (session.c: command table, dispatcher, input; cmd-*.c: the commands).
 * Not for the glue: it uses session.h.
 */
#ifndef SMTPD_SESSION_INT_H
#define SMTPD_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "smtpd/data.h"
#include "smtpd/params.h"
#include "lib/sasl.h"
#include "smtpd/session.h"

/* Replies used by more than one file. */
#define R_TOOBIG \
    "552 5.3.4 Message size exceeds fixed maximum message size"

/* Limits. */
#define SMTPD_CMD_LINE_MAX	512	/* RFC 5321 §4.5.3.1.4, with CRLF */
#define SMTPD_AUTH_LINE_MAX	12288	/* RFC 4954 §4 */
#define SMTPD_IN_MAX		(SMTPD_AUTH_LINE_MAX + 65536)
#define SMTPD_OUT_HIGH		16384	/* stop reading commands above this */
#define SMTPD_OUT_MAX		65536
#define SMTPD_CHUNK_MAX		65536	/* message bytes per msg_write */
#define SMTPD_HELO_MAX		255	/* a domain (§4.5.3.1.2) */
#define SMTPD_ID_MAX		64
#define SMTPD_IDLE_BUF_MAX	4096	/* buffer kept between bursts */

enum smtpd_state {
	SMTPD_STATE_PREGREET,	/* smtpd_session_greet not called yet */
	SMTPD_STATE_CMD,		/* reading command lines */
	SMTPD_STATE_AUTH,	/* reading SASL responses after a 334 */
	SMTPD_STATE_DATA,	/* reading DATA content */
	SMTPD_STATE_BDAT,	/* reading a BDAT chunk */
	SMTPD_STATE_WAIT,	/* waiting for a *_done call */
	SMTPD_STATE_TLS,		/* STARTTLS said, handshake not done */
	SMTPD_STATE_CLOSED,	/* CLOSE asked for: input is ignored */
};

/* What an SMTPD_STATE_WAIT session waits for. */
enum smtpd_wait {
	SMTPD_WAIT_NONE,
	SMTPD_WAIT_RCPT,
	SMTPD_WAIT_AUTH,
	SMTPD_WAIT_COMMIT,
};
/* The response an SMTPD_STATE_AUTH session expects. */
enum smtpd_auth_step {
	SMTPD_AUTH_PLAIN,
	SMTPD_AUTH_LOGIN_USER,
	SMTPD_AUTH_LOGIN_PASS,
	SMTPD_AUTH_SCRAM_FIRST,	/* SCRAM client-first next */
	SMTPD_AUTH_SCRAM_FINAL,	/* server-first sent, client-final next */
	SMTPD_AUTH_SCRAM_ACK,	/* server-final sent, empty response next */
};

/* One mail transaction: MAIL to the end of DATA/BDAT LAST, or RSET. */
struct smtpd_tx {
	bool		 active;	/* MAIL was accepted */
	char		*sender;
	struct smtpd_mail_params mail;
	struct smtpd_rcpt *rcpts;
	size_t		 nrcpts, rcap;
	struct smtpd_rcpt pending;	/* rcpt waiting for its lookup */
	bool		 begun;		/* msg_begin succeeded */
	char		 id[SMTPD_ID_MAX];
	struct smtpd_data data;
	bool		 too_big;
	bool		 write_failed;
	bool		 bdat;		/* BDAT used: DATA is refused */
	bool		 bdat_failed;	/* a chunk was refused */
	uint64_t	 bdat_total;	/* octets announced so far */
	uint64_t	 bdat_left;	/* of the current chunk */
	uint64_t	 bdat_size;	/* of the current chunk */
	bool		 bdat_last;
	const char	*bdat_err;	/* reply after the chunk, or NULL */
};

struct smtpd_session {
	struct smtpd_settings set;	/* strings are our copies */
	const struct smtpd_ops *ops;
	void		*ctx;
	enum smtpd_state	 state;
	enum smtpd_wait	 wait;
	unsigned	 actions;
	struct buf	 in;
	size_t		 in_off;
	bool		 discarding;	/* inside an over-long command line */
	bool		 more;		/* bytes followed the current command */
	struct buf	 out;
	struct buf	 chunk;
	char		*helo;
	bool		 esmtp;
	bool		 tls;
	char		*auth_user;
	enum smtpd_auth_step	 auth_step;
	char		 auth_name[SASL_FIELD_MAX + 1];
	struct scram_server	*scram;	/* SCRAM exchange, or NULL */
	unsigned	 errors, junk;
	struct smtpd_tx	 tx;
};


/* Command handlers: arg is the text after the verb and one space,
 * NUL-terminated, len bytes (cmd-basic.c, cmd-mail.c, cmd-data.c,
 * cmd-auth.c). */
void smtpd_cmd_helo(struct smtpd_session *, char *, size_t);
void smtpd_cmd_ehlo(struct smtpd_session *, char *, size_t);
void smtpd_cmd_mail(struct smtpd_session *, char *, size_t);
void smtpd_cmd_rcpt(struct smtpd_session *, char *, size_t);
void smtpd_cmd_data(struct smtpd_session *, char *, size_t);
void smtpd_cmd_bdat(struct smtpd_session *, char *, size_t);
void smtpd_cmd_rset(struct smtpd_session *, char *, size_t);
void smtpd_cmd_vrfy(struct smtpd_session *, char *, size_t);
void smtpd_cmd_expn(struct smtpd_session *, char *, size_t);
void smtpd_cmd_noop(struct smtpd_session *, char *, size_t);
void smtpd_cmd_help(struct smtpd_session *, char *, size_t);
void smtpd_cmd_quit(struct smtpd_session *, char *, size_t);
void smtpd_cmd_starttls(struct smtpd_session *, char *, size_t);
void smtpd_cmd_auth(struct smtpd_session *, char *, size_t);
void smtpd_cmd_unknown(struct smtpd_session *, char *, size_t);

/* Output (session.c). smtpd_reply counts 4xx/5xx toward error_limit and
 * may close the session; smtpd_put_line sends a line uncounted. */
void smtpd_emit(struct smtpd_session *, enum smtpd_event, const char *);
void smtpd_put_line(struct smtpd_session *, const char *);
void smtpd_reply(struct smtpd_session *, const char *);
void smtpd_replyf(struct smtpd_session *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void smtpd_reply_close(struct smtpd_session *, const char *);

/* Session state (session.c). */
void smtpd_tx_reset(struct smtpd_session *);
bool smtpd_can_auth(const struct smtpd_session *);
bool smtpd_can_starttls(const struct smtpd_session *);

/* Results that may arrive later (cmd-mail.c, cmd-auth.c, cmd-data.c). */
void smtpd_rcpt_result(struct smtpd_session *, enum smtpd_rcpt_kind);
void smtpd_auth_result(struct smtpd_session *, enum smtpd_status);
void smtpd_auth_response(struct smtpd_session *, const char *, size_t);
void smtpd_commit_result(struct smtpd_session *, enum smtpd_status);

/* Message content (cmd-data.c). */
void smtpd_chunk_flush(struct smtpd_session *);
void smtpd_msg_finish(struct smtpd_session *);
void smtpd_bdat_chunk_end(struct smtpd_session *);

#endif
