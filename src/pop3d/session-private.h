/*
 * session-private.h: the POP3 session engine's insides, shared by
 * session.c (states, command table, dispatcher) and the command files
 * cmd-auth.c (AUTHORIZATION state) and cmd-mail.c (TRANSACTION state).
 */
#ifndef POP3D_SESSION_PRIVATE_H
#define POP3D_SESSION_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/linereader.h"
#include "pop3d/msgout.h"
#include "pop3d/session.h"

#define POP3D_ARGS_MAX		3	/* command + two arguments */
#define POP3D_HOSTNAME_MAX	256

/* RFC 1939 §3 states. */
enum pop3d_state {
	POP3D_STATE_AUTHORIZATION,
	POP3D_STATE_TRANSACTION,
	POP3D_STATE_UPDATE,
};

/* A SASL exchange in progress (RFC 5034 §4): lines are responses. */
enum pop3d_sasl {
	POP3D_SASL_NONE,
	POP3D_SASL_PLAIN,	/* waiting for the PLAIN message */
	POP3D_SASL_LOGIN_USER,	/* waiting for the user name */
	POP3D_SASL_LOGIN_PASS,	/* waiting for the password */
	POP3D_SASL_SCRAM_FIRST,	/* waiting for SCRAM client-first */
	POP3D_SASL_SCRAM_FINAL,	/* server-first sent, client-final next */
	POP3D_SASL_SCRAM_ACK,	/* server-final sent, empty response next */
};

struct pop3d_msg {
	uint32_t	 uid;
	uint64_t	 size;
	bool		 deleted;	/* DELE'd: expunged at QUIT */
	bool		 retrieved;	/* RETR'd: \Seen at QUIT */
};

struct pop3d_session {
	struct pop3d_settings	 set;
	char			 hostname[POP3D_HOSTNAME_MAX];
	enum pop3d_state	 state;
	enum pop3d_sasl		 sasl;
	struct scram_server	*scram;		/* SCRAM exchange, or NULL */
	struct linereader	 lr;
	struct buf		 out;
	enum pop3d_act		 pending;	/* handed out, not yet done */
	bool			 closing;
	unsigned		 nbad;
	unsigned		 nauthfail;
	unsigned		 delay_ms;	/* DELAY to hand out next */

	char			 user[POP3D_USER_MAX + 1];
	bool			 have_user;	/* USER given */
	bool			 utf8;		/* UTF8 given (RFC 6856 §2) */
	char			 pass[POP3D_PASS_MAX + 1];

	uint32_t		 uidvalidity;
	struct pop3d_msg	*msgs;
	size_t			 nmsgs;
	struct pop3d_msgout	 mo;		/* RETR/TOP in progress */
	long			 top_lines;	/* -1: RETR */
	uint32_t		 cur;		/* message number being sent */
	uint32_t		*dele;		/* UPDATE lists */
	uint32_t		*seen;

	struct pop3d_action	 act;		/* what run returns next */
};

/* One row of the command table (STYLE §3.3). */
struct pop3d_cmd {
	const char	*name;
	void		(*fn)(struct pop3d_session *, int, char **);
	unsigned	 flags;
	int		 minargs;
	int		 maxargs;
};
#define POP3D_CMD_AUTHZ	0x01	/* allowed in AUTHORIZATION */
#define POP3D_CMD_TRANS	0x02	/* allowed in TRANSACTION */
#define POP3D_CMD_PASSWD 0x04	/* sends a password: plaintext_auth rule */
#define POP3D_CMD_REST	0x08	/* the one argument is the rest of the line */

/* Replies: "+OK text" / "-ERR text", CRLF added. */
void pop3d_reply(struct pop3d_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A client mistake: "-ERR text", and past POP3D_BAD_MAX we hang up. */
void pop3d_bad(struct pop3d_session *s, const char *text);
/* Hands an action to the glue at the end of this run. */
void pop3d_act(struct pop3d_session *s, enum pop3d_act type);
/* Whether a password may be sent now (plaintext_auth, RFC 2595 §2.4). */
bool pop3d_passwords_ok(const struct pop3d_session *s);
/* A message number argument: its index, or -1 after replying -ERR. */
long pop3d_msgno(struct pop3d_session *s, const char *arg, bool deleted_ok);
/* A SASL response line while s->sasl != NONE. */
void pop3d_sasl_line(struct pop3d_session *s, char *line, size_t len);
/* Ends any SASL exchange (frees the SCRAM state). */
void pop3d_sasl_end(struct pop3d_session *s);

void pop3d_cmd_capa(struct pop3d_session *, int, char **);
void pop3d_cmd_user(struct pop3d_session *, int, char **);
void pop3d_cmd_pass(struct pop3d_session *, int, char **);
void pop3d_cmd_apop(struct pop3d_session *, int, char **);
void pop3d_cmd_auth(struct pop3d_session *, int, char **);
void pop3d_cmd_stls(struct pop3d_session *, int, char **);
void pop3d_cmd_quit(struct pop3d_session *, int, char **);
void pop3d_cmd_stat(struct pop3d_session *, int, char **);
void pop3d_cmd_list(struct pop3d_session *, int, char **);
void pop3d_cmd_uidl(struct pop3d_session *, int, char **);
void pop3d_cmd_retr(struct pop3d_session *, int, char **);
void pop3d_cmd_top(struct pop3d_session *, int, char **);
void pop3d_cmd_dele(struct pop3d_session *, int, char **);
void pop3d_cmd_noop(struct pop3d_session *, int, char **);
void pop3d_cmd_rset(struct pop3d_session *, int, char **);
void pop3d_cmd_utf8(struct pop3d_session *, int, char **);
void pop3d_cmd_lang(struct pop3d_session *, int, char **);

#endif
