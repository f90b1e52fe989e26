/*
 * client-int.h: what the two halves of the SMTP client engine share —
 * client.c (the session: greeting, EHLO, STARTTLS, AUTH, replies, events)
 * and xact.c (one message: MAIL, RCPT, DATA or BDAT, the body). Private
 * to src/smtpc; users include client.h.
 */
#ifndef SMTPC_CLIENT_INT_H
#define SMTPC_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "smtpc/client.h"
#include "smtpc/reply.h"

struct scram_client;

#define OUT_MAX		(4u * 1024 * 1024)	/* commands + a body chunk */
#define BODY_LOW	(32u * 1024)	/* refill below this much output */
#define BODY_CHUNK	(64u * 1024)	/* message bytes per refill */
#define PARAM_MAX	500		/* ENVID/ORCPT (RFC 3461 §4.2: 100) */
#define ADDR_MAX	512		/* RFC 5321 §4.5.3.1.3: path 256 */
#define AUTH_RAW_MAX	2048		/* decoded SASL response */

enum state {
	S_GREETING,	/* waiting for the 220 */
	S_EHLO,
	S_HELO,
	S_STARTTLS,
	S_TLS,		/* the glue runs the handshake */
	S_AUTH,		/* the final reply to AUTH is due */
	S_AUTH_LOGIN_USER,	/* LOGIN: the 334 asking for the user */
	S_AUTH_LOGIN_PASS,	/* LOGIN: the 334 asking for the password */
	S_AUTH_SCRAM_FIRST,	/* SCRAM: the 334 with server-first */
	S_AUTH_SCRAM_FINAL,	/* SCRAM: the 334 with server-final */
	S_READY,	/* between messages */
	S_XACT,		/* replies to MAIL/RCPT/DATA/dot are due */
	S_BODY,		/* streaming the message */
	S_RSET,
	S_QUIT,
	S_CLOSED,
};

enum pend_kind { P_MAIL, P_RCPT, P_DATA, P_DOT, P_BDAT };

struct pend {
	enum pend_kind	 kind;
	size_t		 idx;	/* P_RCPT: recipient; P_BDAT: 1 if LAST */
};

/* Per-recipient progress inside a transaction. */
enum rstate { R_WAIT, R_ACCEPTED, R_FINAL };

#define EVB_STARTTLS	0x01
#define EVB_DONE	0x02
#define EVB_READY	0x04
#define EVB_CLOSED	0x08

struct smtpc {
	char			*helo;
	char			*auth_user;
	char			*auth_pass;
	enum smtpc_tls		 tls;
	bool			 auth_plaintext;
	bool			 tls_active;
	struct scram_client	*scram;		/* SCRAM exchange, or NULL */

	enum state		 state;
	struct smtpc_reply_parser rp;
	struct buf		 out;
	unsigned		 ext;
	uint64_t		 size_max;	/* 0: not announced */
	unsigned		 events;
	char			 error[SMTPC_RESULT_MAX];
	int			 error_code;

	/* The transaction (S_XACT, S_BODY). */
	struct smtpc_msg	*msg;
	struct pend		*pend;
	size_t			 npend, phead;
	unsigned char		*rst;		/* enum rstate per recipient */
	size_t			 next_rcpt;	/* lock-step: next RCPT */
	size_t			 naccepted;
	bool			 mail_failed;
	bool			 dot_discard;	/* 354 with nobody accepted */
	bool			 eight;		/* 8-bit bytes in the body */
	bool			 bdat;		/* RFC 3030 chunks, not DATA */
	bool			 bdat_failed;	/* a chunk was refused */
	size_t			 rcpt_pending;	/* RCPT replies still due */
	struct buf		 chunk;		/* the next BDAT chunk */
	const char		*data;		/* what is sent: the message, */
	size_t			 len;
	struct buf		 conv;		/* or its 7-bit conversion */
	struct smtpc_reply	 mail_reply;
	size_t			 body_off;
	bool			 body_bol;
};

/* client.c */
void smtpc_emit(struct smtpc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Whether s can go inside <...> on a command line. */
bool smtpc_path_ok(const char *s, bool utf8);
/* Whether s is a usable RFC 3461 xtext value. */
bool smtpc_xtext_ok(const char *s);
void smtpc_set_result(struct smtpc_rcpt *rc, int code, bool remote,
    const char *status, const char *text);
void smtpc_set_reply_result(struct smtpc_rcpt *rc,
    const struct smtpc_reply *r);
/* The transaction is over: its memory goes, DONE is reported. */
void smtpc_xact_end(struct smtpc *c);
/* Ends the session after a reply it cannot go on from. */
void smtpc_close_reply(struct smtpc *c, const char *what,
    const struct smtpc_reply *r);
void smtpc_enter_ready(struct smtpc *c);

/* xact.c */
/* A reply while a transaction runs (S_XACT, S_BODY). */
void smtpc_xact_reply(struct smtpc *c, const struct smtpc_reply *r);
/* Refills the output with the body as it drains (S_BODY). */
void smtpc_fill_body(struct smtpc *c);

#endif
