/*
 * session.c: the SMTP server session engine (see session.h).
 *
 * RFC 5321 with the extensions of RFC 1870 (SIZE), 2034 (ENHANCEDSTATUSCODES),
 * 2920 (PIPELINING), 3030 (CHUNKING), 3207 (STARTTLS), 3461 (DSN), 4954
 * (AUTH), 6152 (8BITMIME), 6531 (SMTPUTF8). Runs in the smtp role process,
 * one engine per connection, on input nobody has vouched for: every length
 * is bounded by the limits below.
 *
 * Rules this engine applies beyond the letter of the RFCs, and why:
 *  - Input before the greeting: 554 and close (a spam-bot tell).
 *  - Pipelining (Postfix's "improper command pipelining"): when the client
 *    sent bytes behind a command before our reply could reach it, and that
 *    command must end a group (EHLO, HELO, DATA; RFC 2920 §3.1) or the
 *    client never got PIPELINING (no EHLO yet, or HELO), we reply 554 5.5.0
 *    and close. Bytes after STARTTLS are discarded instead (RFC 3207 §6,
 *    CVE-2011-0411), bytes after QUIT are ignored. NOOP, VRFY and EXPN may
 *    be followed by more: clients do it and it is harmless.
 *  - Commands must end in CRLF: a bare LF gets 500 5.5.2 (RFC 5321 §2.3.8).
 *  - Message content with a bare CR or LF, or a line over 1000 octets, is
 *    read to the real end and refused with 554 5.6.0 (see data.h on SMTP
 *    smuggling). Refusing rather than normalising keeps the spool free of
 *    anything a later hop could split differently.
 *  - A BDAT command we cannot parse loses the chunk framing, so the rest
 *    of the stream cannot be trusted: 501 and close.
 *  - Every 4xx/5xx reply counts toward error_limit, and NOOP, RSET, VRFY,
 *    EXPN, HELP toward junk_limit until a message is accepted; past either,
 *    421 4.7.0 and close.
 *  - ENHANCEDSTATUSCODES are on every 2xx/4xx/5xx reply except the
 *    greeting and the 250 replies to HELO/EHLO (RFC 2034 §3); errors to
 *    HELO/EHLO keep theirs, as other servers do.
 */
#include "smtpd/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "smtpd/data.h"
#include "smtpd/received.h"
#include "smtpd/sasl.h"

/* Limits. */
#define SMTPD_CMD_LINE_MAX	512	/* RFC 5321 §4.5.3.1.4, CRLF included */
#define SMTPD_AUTH_LINE_MAX	12288	/* RFC 4954 §4 */
#define SMTPD_IN_MAX		(SMTPD_AUTH_LINE_MAX + 65536)
#define SMTPD_OUT_HIGH		16384	/* stop reading commands above this */
#define SMTPD_OUT_MAX		65536
#define SMTPD_CHUNK_MAX		65536	/* message bytes per msg_write */
#define SMTPD_HELO_MAX		255	/* a domain (§4.5.3.1.2) */
#define SMTPD_ID_MAX		64

enum state {
	ST_PREGREET,	/* smtpd_session_greet not called yet */
	ST_CMD,		/* reading command lines */
	ST_AUTH,	/* reading SASL responses after a 334 */
	ST_DATA,	/* reading DATA content */
	ST_BDAT,	/* reading a BDAT chunk */
	ST_WAIT,	/* waiting for a *_done call */
	ST_TLS,		/* STARTTLS accepted, handshake not done */
	ST_CLOSED,	/* CLOSE asked for: input is ignored */
};

enum wait { W_NONE, W_RCPT, W_AUTH, W_COMMIT };
enum auth_step { A_PLAIN, A_LOGIN_USER, A_LOGIN_PASS };

/* One mail transaction: MAIL to the end of DATA/BDAT LAST, or RSET. */
struct tx {
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
	enum state	 state;
	enum wait	 wait;
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
	enum auth_step	 auth_step;
	char		 auth_name[SMTPD_SASL_FIELD_MAX + 1];
	unsigned	 errors, junk;
	struct tx	 tx;
};

static void cmd_helo(struct smtpd_session *, char *, size_t);
static void cmd_ehlo(struct smtpd_session *, char *, size_t);
static void cmd_mail(struct smtpd_session *, char *, size_t);
static void cmd_rcpt(struct smtpd_session *, char *, size_t);
static void cmd_data(struct smtpd_session *, char *, size_t);
static void cmd_bdat(struct smtpd_session *, char *, size_t);
static void cmd_rset(struct smtpd_session *, char *, size_t);
static void cmd_vrfy(struct smtpd_session *, char *, size_t);
static void cmd_expn(struct smtpd_session *, char *, size_t);
static void cmd_noop(struct smtpd_session *, char *, size_t);
static void cmd_help(struct smtpd_session *, char *, size_t);
static void cmd_quit(struct smtpd_session *, char *, size_t);
static void cmd_starttls(struct smtpd_session *, char *, size_t);
static void cmd_auth(struct smtpd_session *, char *, size_t);
static void cmd_unknown(struct smtpd_session *, char *, size_t);

/* Command flags: when a command is legal. */
#define NEED_HELO	0x001	/* after HELO or EHLO */
#define NEED_EHLO	0x002	/* an extension: after EHLO */
#define NEED_MAIL	0x004	/* inside a transaction */
#define NO_TX		0x008	/* outside a transaction */
#define NEED_ARG	0x010	/* takes an argument */
#define NO_ARG		0x020	/* takes none */
#define GROUP_END	0x040	/* last in a pipelined group (RFC 2920 §3.1) */
#define JUNK		0x080	/* counts toward junk_limit */
#define SYNC_FREE	0x100	/* pipelining rule does not apply */

static const struct cmd {
	const char	*name;
	void		(*fn)(struct smtpd_session *, char *, size_t);
	unsigned	 flags;
} cmds[] = {
	{ "HELO",	cmd_helo,	NEED_ARG | GROUP_END },
	{ "EHLO",	cmd_ehlo,	NEED_ARG | GROUP_END },
	{ "MAIL",	cmd_mail,	NEED_HELO | NO_TX | NEED_ARG },
	{ "RCPT",	cmd_rcpt,	NEED_HELO | NEED_MAIL | NEED_ARG },
	{ "DATA",	cmd_data,	NEED_HELO | NEED_MAIL | NO_ARG | GROUP_END },
	/* BDAT checks legality itself, after reading its chunk (RFC 3030 §2). */
	{ "BDAT",	cmd_bdat,	SYNC_FREE },
	{ "RSET",	cmd_rset,	NO_ARG | JUNK },
	{ "VRFY",	cmd_vrfy,	NEED_ARG | JUNK | SYNC_FREE },
	{ "EXPN",	cmd_expn,	NEED_ARG | JUNK | SYNC_FREE },
	{ "NOOP",	cmd_noop,	JUNK | SYNC_FREE },
	{ "HELP",	cmd_help,	JUNK },
	{ "QUIT",	cmd_quit,	NO_ARG | SYNC_FREE },
	{ "STARTTLS",	cmd_starttls,	NEED_EHLO | NO_TX | NO_ARG | SYNC_FREE },
	{ "AUTH",	cmd_auth,	NEED_EHLO | NO_TX | NEED_ARG },
	{ NULL,		cmd_unknown,	SYNC_FREE },	/* sentinel */
};

/* ---- output ---- */

static void
event(struct smtpd_session *s, enum smtpd_event ev, const char *detail)
{
	if (s->ops->event != NULL)
		s->ops->event(s->ctx, ev, detail);
}

static void
put_line(struct smtpd_session *s, const char *line)
{
	/* SMTPD_OUT_MAX leaves room past SMTPD_OUT_HIGH for any reply. */
	if (buf_puts(&s->out, line) == -1 || buf_puts(&s->out, "\r\n") == -1)
		abort();
}

/* Sends a reply and ends the session (no error counting). */
static void
reply_close(struct smtpd_session *s, const char *line)
{
	put_line(s, line);
	s->actions |= SMTPD_ACT_CLOSE;
	s->state = ST_CLOSED;
}

/* Sends a one-line reply; 4xx and 5xx count toward error_limit. */
static void
reply(struct smtpd_session *s, const char *line)
{
	char msg[128];

	put_line(s, line);
	if (line[0] != '4' && line[0] != '5')
		return;
	if (++s->errors < s->set.error_limit)
		return;
	event(s, SMTPD_EV_LIMIT, "too many errors");
	snprintf(msg, sizeof(msg), "421 4.7.0 %.80s Too many errors, closing",
	    s->set.hostname);
	reply_close(s, msg);
}

static void
replyf(struct smtpd_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
replyf(struct smtpd_session *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);	/* truncation is harmless */
	va_end(ap);
	reply(s, line);
}

/* ---- transaction ---- */

static void
tx_reset(struct smtpd_session *s)
{
	struct tx *t = &s->tx;
	size_t i;

	if (t->begun && s->ops->msg_abort != NULL)
		s->ops->msg_abort(s->ctx);
	free(t->sender);
	for (i = 0; i < t->nrcpts; i++)
		free(t->rcpts[i].mailbox);
	free(t->rcpts);
	free(t->pending.mailbox);
	memset(t, 0, sizeof(*t));
}

static bool
can_auth(const struct smtpd_session *s)
{
	return s->auth_user == NULL && (s->tls || s->set.plaintext_auth);
}

static bool
can_starttls(const struct smtpd_session *s)
{
	return s->set.tls_available && !s->tls;
}

/* RFC 3848 and RFC 6531 §3.7.3 "with" protocol names. */
static const char *
protocol(const struct smtpd_session *s)
{
	static const char *const names[2][4] = {
		{ "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" },
		{ "UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA" },
	};

	if (!s->esmtp)
		return "SMTP";
	return names[s->tx.mail.smtputf8 ? 1 : 0]
	    [(s->tls ? 1 : 0) + (s->auth_user != NULL ? 2 : 0)];
}

/* Hands the chunk buffer to the sink, unless the message already failed. */
static void
flush_chunk(struct smtpd_session *s)
{
	struct tx *t = &s->tx;

	if (s->chunk.len > 0 && t->begun && !t->too_big && !t->write_failed &&
	    s->ops->msg_write(s->ctx, s->chunk.data, s->chunk.len) == -1)
		t->write_failed = true;
	buf_reset(&s->chunk);
}

/* Opens the message at the sink and writes our Received: field. Returns
 * NULL, or the reply refusing it. */
static const char *
begin_message(struct smtpd_session *s)
{
	struct tx *t = &s->tx;
	struct smtpd_envelope env = {
		.helo = s->helo,
		.peer_addr = s->set.peer_addr,
		.auth_user = s->auth_user,
		.tls = s->tls,
		.sender = t->sender,
		.mail = t->mail,
		.rcpts = t->rcpts,
		.nrcpts = t->nrcpts,
		.protocol = protocol(s),
	};
	struct smtpd_received r;

	switch (s->ops->msg_begin(s->ctx, &env, t->id, sizeof(t->id))) {
	case SMTPD_OK:
		break;
	case SMTPD_PERMFAIL:
		return "554 5.3.0 Message refused";
	default:
		return "451 4.3.0 Cannot queue the message now, try again later";
	}
	t->id[sizeof(t->id) - 1] = '\0';
	t->begun = true;
	memset(&r, 0, sizeof(r));
	r.helo = s->helo;
	r.peer_name = s->set.peer_name;
	r.peer_addr = s->set.peer_addr;
	r.hostname = s->set.hostname;
	r.protocol = protocol(s);
	r.queue_id = t->id;
	r.rcpt = t->nrcpts == 1 ? t->rcpts[0].mailbox : NULL;
	r.when = s->ops->now != NULL ? s->ops->now(s->ctx) : time(NULL);
	if (smtpd_received_format(&s->chunk, &r) == -1)
		abort();	/* the chunk is empty here and far larger */
	flush_chunk(s);
	return NULL;
}

/* The final reply for a message whose content has all been read, or NULL
 * when it may be committed. */
static const char *
content_verdict(const struct smtpd_session *s)
{
	const struct tx *t = &s->tx;

	if (t->too_big)
		return "552 5.3.4 Message size exceeds fixed maximum message size";
	if (t->data.problems & (SMTPD_DATA_BARE_LF | SMTPD_DATA_BARE_CR))
		return "554 5.6.0 Message refused: bare CR or LF in content "
		    "(RFC 5321 2.3.8), lines must end in CRLF";
	if (t->data.problems & SMTPD_DATA_LONG_LINE)
		return "554 5.6.0 Message refused: line longer than 1000 "
		    "octets (RFC 5321 4.5.3.1.6)";
	/* RFC 5321 §6.3: with ours, more than SMTPD_MAX_HOPS is a loop. */
	if (t->data.hops + 1 > SMTPD_MAX_HOPS)
		return "554 5.4.6 Too many hops, mail loop suspected";
	if (t->write_failed)
		return "451 4.3.0 Error writing the message, try again later";
	return NULL;
}

static void
commit_result(struct smtpd_session *s, enum smtpd_status st)
{
	struct tx *t = &s->tx;

	t->begun = false;	/* the sink owns the outcome now */
	switch (st) {
	case SMTPD_OK:
		replyf(s, "250 2.0.0 Ok: queued as %s", t->id);
		event(s, SMTPD_EV_QUEUED, t->id);
		s->junk = 0;
		break;
	case SMTPD_PERMFAIL:
		event(s, SMTPD_EV_REJECT, "sink refused the message");
		reply(s, "554 5.3.0 Message refused");
		break;
	default:
		event(s, SMTPD_EV_REJECT, "sink failed to commit");
		reply(s, "451 4.3.0 Error queueing the message, try again later");
		break;
	}
	tx_reset(s);
}

/* The content of a message ended (final dot, or BDAT LAST). */
static void
finish_message(struct smtpd_session *s)
{
	const char *verdict = content_verdict(s);
	enum smtpd_status st;

	s->state = ST_CMD;
	if (verdict != NULL) {
		event(s, SMTPD_EV_REJECT, verdict);
		reply(s, verdict);
		tx_reset(s);
		return;
	}
	st = s->ops->msg_commit(s->ctx);
	if (st == SMTPD_PENDING) {
		s->state = ST_WAIT;
		s->wait = W_COMMIT;
		return;
	}
	commit_result(s, st);
}

/* ---- commands ---- */

/* HELO/EHLO argument: one token of printable ASCII (a domain or an
 * address literal; we do not judge which, the Received: field shows it). */
static bool
helo_arg_ok(const char *arg, size_t len)
{
	size_t i;

	if (len == 0 || len > SMTPD_HELO_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)arg[i] <= 32 || (unsigned char)arg[i] >= 127)
			return false;
	return true;
}

static bool
hello(struct smtpd_session *s, char *arg, size_t len, bool esmtp)
{
	if (!helo_arg_ok(arg, len)) {
		reply(s, "501 5.5.4 Syntax: HELO/EHLO domain");
		return false;
	}
	tx_reset(s);	/* §4.1.4: like RSET */
	free(s->helo);
	s->helo = xstrndup(arg, len);
	s->esmtp = esmtp;
	return true;
}

static void
cmd_helo(struct smtpd_session *s, char *arg, size_t len)
{
	if (hello(s, arg, len, false))
		replyf(s, "250 %s", s->set.hostname);
}

static void
cmd_ehlo(struct smtpd_session *s, char *arg, size_t len)
{
	char line[128];

	if (!hello(s, arg, len, true))
		return;
	snprintf(line, sizeof(line), "250-%.100s", s->set.hostname);
	put_line(s, line);
	put_line(s, "250-PIPELINING");
	if (s->set.max_message_size > 0) {
		snprintf(line, sizeof(line), "250-SIZE %llu",
		    (unsigned long long)s->set.max_message_size);
		put_line(s, line);
	} else
		put_line(s, "250-SIZE");
	put_line(s, "250-8BITMIME");
	put_line(s, "250-SMTPUTF8");
	put_line(s, "250-CHUNKING");
	put_line(s, "250-DSN");
	if (can_starttls(s))
		put_line(s, "250-STARTTLS");
	/* RFC 4954 §4 and the issue: never offer what would be refused. */
	if (can_auth(s))
		put_line(s, "250-AUTH PLAIN LOGIN");
	put_line(s, "250 ENHANCEDSTATUSCODES");
}

/* Skips "FROM:" or "TO:" and optional spaces (RFC 5321 forbids them;
 * widespread clients send them). Returns the offset of the path or -1. */
static long
skip_prefix(const char *arg, size_t len, const char *prefix)
{
	size_t n = strlen(prefix), i;

	if (len < n || strncasecmp(arg, prefix, n) != 0)
		return -1;
	for (i = n; i < len && arg[i] == ' '; i++)
		;
	return (long)i;
}

static void
cmd_mail(struct smtpd_session *s, char *arg, size_t len)
{
	struct smtpd_mail_params mp;
	struct smtpd_path path;
	const char *errreply;
	enum smtpd_path_err perr;
	size_t used;
	long off;

	/* RFC 6409 §4.3 / RFC 4954 §6: submission needs AUTH first. */
	if (s->set.listener != SMTPD_LISTENER_MTA && s->auth_user == NULL) {
		if (can_auth(s))
			reply(s, "530 5.7.0 Authentication required");
		else
			reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	if ((off = skip_prefix(arg, len, "FROM:")) == -1) {
		reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	perr = smtpd_path_parse(arg + off, len - (size_t)off,
	    SMTPD_PATH_NULL_OK | SMTPD_PATH_UTF8, &path, &used);
	if (perr == SMTPD_PATH_TOOLONG) {
		reply(s, "501 5.1.7 Sender address too long");
		return;
	}
	if (perr != SMTPD_PATH_OK) {
		reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	off += (long)used;
	if ((size_t)off < len && !s->esmtp) {
		reply(s, "555 5.5.4 MAIL parameters need EHLO");
		return;
	}
	if (smtpd_mail_params_parse(arg + off, len - (size_t)off, &mp,
	    &errreply) == -1) {
		reply(s, errreply);
		return;
	}
	if (path.utf8 && !mp.smtputf8) {
		reply(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8");
		return;
	}
	/* RFC 1870 §6.2. */
	if (mp.has_size && s->set.max_message_size > 0 &&
	    mp.size > s->set.max_message_size) {
		reply(s, "552 5.3.4 Message size exceeds fixed maximum message size");
		return;
	}
	if (s->ops->space != NULL &&
	    s->ops->space(s->ctx, mp.has_size ? mp.size : 0) != SMTPD_OK) {
		reply(s, "452 4.3.1 Insufficient system storage");
		return;
	}
	s->tx.active = true;
	s->tx.sender = xstrdup(path.mailbox);
	s->tx.mail = mp;
	reply(s, "250 2.1.0 Ok");
}

static void
rcpt_result(struct smtpd_session *s, enum smtpd_rcpt_kind kind)
{
	struct tx *t = &s->tx;

	switch (kind) {
	case SMTPD_RCPT_REMOTE:
		/* RFC 5321 §3.6.2: relay only for trusted clients. */
		if (!s->set.peer_relay && s->auth_user == NULL) {
			reply(s, "554 5.7.1 Relay access denied");
			break;
		}
		/* FALLTHROUGH */
	case SMTPD_RCPT_LOCAL:
		if (t->nrcpts == t->rcap) {
			t->rcap = t->rcap ? t->rcap * 2 : 4;
			t->rcpts = xreallocarray(t->rcpts, t->rcap,
			    sizeof(*t->rcpts));
		}
		t->pending.kind = kind;
		t->rcpts[t->nrcpts++] = t->pending;
		t->pending.mailbox = NULL;
		reply(s, "250 2.1.5 Ok");
		break;
	case SMTPD_RCPT_UNKNOWN:
		reply(s, "550 5.1.1 No such user here");
		break;
	default:
		reply(s, "451 4.3.0 Recipient lookup failed, try again later");
		break;
	}
	free(t->pending.mailbox);
	memset(&t->pending, 0, sizeof(t->pending));
}

static void
cmd_rcpt(struct smtpd_session *s, char *arg, size_t len)
{
	struct tx *t = &s->tx;
	struct smtpd_rcpt_params rp;
	struct smtpd_path path;
	const char *errreply;
	enum smtpd_path_err perr;
	enum smtpd_rcpt_kind kind;
	size_t used;
	long off;

	if ((off = skip_prefix(arg, len, "TO:")) == -1) {
		reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	perr = smtpd_path_parse(arg + off, len - (size_t)off,
	    SMTPD_PATH_POSTMASTER | SMTPD_PATH_UTF8, &path, &used);
	if (perr == SMTPD_PATH_TOOLONG) {
		reply(s, "501 5.1.3 Recipient address too long");
		return;
	}
	if (perr != SMTPD_PATH_OK) {
		reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	off += (long)used;
	if ((size_t)off < len && !s->esmtp) {
		reply(s, "555 5.5.4 RCPT parameters need EHLO");
		return;
	}
	if (smtpd_rcpt_params_parse(arg + off, len - (size_t)off, &rp,
	    &errreply) == -1) {
		reply(s, errreply);
		return;
	}
	if (path.utf8 && !t->mail.smtputf8) {
		reply(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8");
		return;
	}
	if (t->nrcpts >= s->set.rcpt_limit) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	t->pending.mailbox = xstrdup(path.mailbox);
	t->pending.domain_off = path.domain_off;
	t->pending.dsn = rp;
	kind = s->ops->rcpt_lookup(s->ctx, t->pending.mailbox,
	    path.domain_off ? t->pending.mailbox + path.domain_off : "");
	if (kind == SMTPD_RCPT_PENDING) {
		s->state = ST_WAIT;
		s->wait = W_RCPT;
		return;
	}
	rcpt_result(s, kind);
}

static void
cmd_data(struct smtpd_session *s, char *arg, size_t len)
{
	const char *err;

	if (s->tx.bdat) {
		reply(s, "503 5.5.1 DATA not allowed after BDAT");
		return;
	}
	if (s->tx.nrcpts == 0) {
		reply(s, "554 5.5.1 No valid recipients");
		return;
	}
	if ((err = begin_message(s)) != NULL) {
		reply(s, err);
		return;
	}
	smtpd_data_init(&s->tx.data, 1);
	put_line(s, "354 End data with <CR><LF>.<CR><LF>");
	s->state = ST_DATA;
}

/* "BDAT" SP chunk-size [ SP end-marker ] (RFC 3030 §2). */
static int
parse_bdat(const char *arg, size_t len, uint64_t *size_out, bool *last_out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len && arg[i] >= '0' && arg[i] <= '9'; i++) {
		if (i >= 19)
			return -1;
		v = v * 10 + (uint64_t)(arg[i] - '0');
	}
	if (i == 0)
		return -1;
	*last_out = false;
	if (i < len) {
		if (len - i != 5 || strncasecmp(arg + i, " LAST", 5) != 0)
			return -1;
		*last_out = true;
	}
	*size_out = v;
	return 0;
}

static void
cmd_bdat(struct smtpd_session *s, char *arg, size_t len)
{
	struct tx *t = &s->tx;
	uint64_t size;
	bool last;

	if (parse_bdat(arg, len, &size, &last) == -1) {
		/* The chunk cannot be framed: the rest may be anything. */
		event(s, SMTPD_EV_PROTOCOL, "unparsable BDAT");
		reply_close(s, "501 5.5.4 Syntax: BDAT size [LAST], closing");
		return;
	}
	t->bdat_size = t->bdat_left = size;
	t->bdat_last = last;
	t->bdat_err = NULL;
	s->state = ST_BDAT;
	/* Legality is judged now but told after the chunk is read. */
	if (!s->esmtp)
		t->bdat_err = "503 5.5.1 Send EHLO first";
	else if (!t->active)
		t->bdat_err = "503 5.5.1 Need MAIL command";
	else if (t->nrcpts == 0)
		t->bdat_err = "554 5.5.1 No valid recipients";
	else if (t->bdat_failed)
		t->bdat_err = "554 5.5.0 Message already refused, send RSET";
	else if (!t->begun && !t->bdat) {
		t->bdat_err = begin_message(s);
		smtpd_data_init(&t->data, 0);
	}
	if (t->bdat_err != NULL)
		return;
	t->bdat = true;
	t->bdat_total += size;
	if (s->set.max_message_size > 0 &&
	    (t->bdat_total > s->set.max_message_size || t->bdat_total < size))
		t->too_big = true;
}

/* A BDAT chunk has been read in full. */
static void
bdat_chunk_end(struct smtpd_session *s)
{
	struct tx *t = &s->tx;

	s->state = ST_CMD;
	if (t->bdat_err != NULL) {
		if (t->active && t->begun) {
			s->ops->msg_abort(s->ctx);
			t->begun = false;
		}
		if (t->active)
			t->bdat_failed = true;
		reply(s, t->bdat_err);
		if (t->bdat_last)
			tx_reset(s);
		return;
	}
	if (t->too_big && !t->bdat_last) {
		/* RFC 3030 §2: the client stops after an error reply. */
		reply(s, "552 5.3.4 Message size exceeds fixed maximum message size");
		if (t->begun) {
			s->ops->msg_abort(s->ctx);
			t->begun = false;
		}
		t->bdat_failed = true;
		return;
	}
	if (!t->bdat_last) {
		replyf(s, "250 2.0.0 %llu octets received",
		    (unsigned long long)t->bdat_size);
		return;
	}
	smtpd_data_finish(&t->data, &s->chunk);
	flush_chunk(s);
	finish_message(s);
}

static void
cmd_rset(struct smtpd_session *s, char *arg, size_t len)
{
	tx_reset(s);
	reply(s, "250 2.0.0 Ok");
}

static void
cmd_vrfy(struct smtpd_session *s, char *arg, size_t len)
{
	/* §3.5.3: 252 keeps user names private and promises nothing. */
	reply(s, "252 2.5.0 Cannot VRFY user, but will accept message "
	    "and attempt delivery");
}

static void
cmd_expn(struct smtpd_session *s, char *arg, size_t len)
{
	/* §3.5.2 and §7.3: list contents are not shown to strangers. */
	if (s->auth_user == NULL)
		reply(s, "502 5.7.0 EXPN is not available");
	else
		reply(s, "252 2.5.0 Cannot EXPN, but will accept message "
		    "and attempt delivery");
}

static void
cmd_noop(struct smtpd_session *s, char *arg, size_t len)
{
	reply(s, "250 2.0.0 Ok");	/* §4.1.1.9: the argument is ignored */
}

static void
cmd_help(struct smtpd_session *s, char *arg, size_t len)
{
	put_line(s, "214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET");
	put_line(s, "214-2.0.0 VRFY EXPN NOOP QUIT HELP STARTTLS AUTH");
	put_line(s, "214 2.0.0 See RFC 5321");
}

static void
cmd_quit(struct smtpd_session *s, char *arg, size_t len)
{
	char line[160];

	snprintf(line, sizeof(line), "221 2.0.0 %.100s Bye", s->set.hostname);
	tx_reset(s);
	reply_close(s, line);
}

static void
cmd_starttls(struct smtpd_session *s, char *arg, size_t len)
{
	char n[32];
	size_t pending;

	if (s->tls) {
		reply(s, "503 5.5.1 TLS already active");
		return;
	}
	if (!s->set.tls_available) {
		reply(s, "502 5.5.1 STARTTLS not available");
		return;
	}
	put_line(s, "220 2.0.0 Ready to start TLS");
	/* RFC 3207 §6, CVE-2011-0411: nothing sent before the handshake
	 * may be read as if it came through TLS. */
	pending = s->in.len - s->in_off;
	if (pending > 0) {
		snprintf(n, sizeof(n), "%zu bytes", pending);
		event(s, SMTPD_EV_PLAINTEXT_DISCARDED, n);
	}
	buf_reset(&s->in);
	s->in_off = 0;
	s->state = ST_TLS;
	s->actions |= SMTPD_ACT_STARTTLS;
}

/* ---- AUTH (RFC 4954) ---- */

static void
auth_result(struct smtpd_session *s, enum smtpd_status st)
{
	s->state = ST_CMD;
	switch (st) {
	case SMTPD_OK:
		s->auth_user = xstrdup(s->auth_name);
		event(s, SMTPD_EV_AUTH_OK, s->auth_name);
		reply(s, "235 2.7.0 Authentication successful");
		break;
	case SMTPD_PERMFAIL:
		event(s, SMTPD_EV_AUTH_FAIL, s->auth_name);
		reply(s, "535 5.7.8 Authentication credentials invalid");
		break;
	default:
		reply(s, "454 4.7.0 Temporary authentication failure");
		break;
	}
}

static void
auth_check(struct smtpd_session *s, const char *user, const char *pass)
{
	enum smtpd_status st;

	strlcpy_(s->auth_name, user, sizeof(s->auth_name));
	st = user[0] == '\0' ? SMTPD_PERMFAIL :
	    s->ops->auth(s->ctx, user, pass);
	if (st == SMTPD_PENDING) {
		s->state = ST_WAIT;
		s->wait = W_AUTH;
		return;
	}
	auth_result(s, st);
}

/* One client response (the initial response or a line after 334). */
static void
auth_response(struct smtpd_session *s, const char *resp, size_t len)
{
	char dec[SMTPD_AUTH_LINE_MAX];
	char user[SMTPD_SASL_FIELD_MAX + 1], pass[SMTPD_SASL_FIELD_MAX + 1];
	long n;

	s->state = ST_CMD;
	if (len == 1 && resp[0] == '*') {
		reply(s, "501 5.0.0 Authentication cancelled");
		return;
	}
	if (len == 1 && resp[0] == '=')	/* RFC 4954 §4: empty response */
		len = 0;
	if ((n = smtpd_base64_decode(resp, len, dec, sizeof(dec))) == -1) {
		reply(s, "501 5.5.2 Cannot decode response");
		return;
	}
	switch (s->auth_step) {
	case A_PLAIN:
		if (smtpd_sasl_plain(dec, (size_t)n, user, pass) == -1) {
			explicit_bzero(dec, sizeof(dec));
			reply(s, "535 5.7.8 Authentication credentials invalid");
			return;
		}
		auth_check(s, user, pass);
		break;
	case A_LOGIN_USER:
		if ((size_t)n > SMTPD_SASL_FIELD_MAX ||
		    memchr(dec, '\0', (size_t)n) != NULL) {
			reply(s, "535 5.7.8 Authentication credentials invalid");
			return;
		}
		memcpy(s->auth_name, dec, (size_t)n + 1);
		s->auth_step = A_LOGIN_PASS;
		s->state = ST_AUTH;
		put_line(s, "334 UGFzc3dvcmQ6");	/* "Password:" */
		break;
	case A_LOGIN_PASS:
		if ((size_t)n > SMTPD_SASL_FIELD_MAX ||
		    memchr(dec, '\0', (size_t)n) != NULL) {
			explicit_bzero(dec, sizeof(dec));
			reply(s, "535 5.7.8 Authentication credentials invalid");
			return;
		}
		memcpy(user, s->auth_name, sizeof(user));
		auth_check(s, user, dec);
		break;
	}
	explicit_bzero(dec, sizeof(dec));
	explicit_bzero(pass, sizeof(pass));
}

static void
cmd_auth(struct smtpd_session *s, char *arg, size_t len)
{
	char *sp = memchr(arg, ' ', len);
	size_t mlen = sp ? (size_t)(sp - arg) : len;

	if (s->auth_user != NULL) {
		reply(s, "503 5.5.1 Already authenticated");
		return;
	}
	if (!can_auth(s)) {
		reply(s, "538 5.7.11 Encryption required for requested "
		    "authentication mechanism");
		return;
	}
	if (mlen == 5 && strncasecmp(arg, "PLAIN", 5) == 0)
		s->auth_step = A_PLAIN;
	else if (mlen == 5 && strncasecmp(arg, "LOGIN", 5) == 0)
		s->auth_step = A_LOGIN_USER;
	else {
		reply(s, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	s->auth_name[0] = '\0';
	if (sp != NULL) {
		auth_response(s, sp + 1, len - mlen - 1);
		return;
	}
	s->state = ST_AUTH;
	put_line(s, s->auth_step == A_PLAIN ? "334 " :
	    "334 VXNlcm5hbWU6");	/* "Username:" */
}

static void
cmd_unknown(struct smtpd_session *s, char *arg, size_t len)
{
	reply(s, "500 5.5.1 Command unrecognized");
}

/* ---- dispatcher ---- */

/* Is the command legal now? NULL, or the reply refusing it. */
static const char *
check(const struct smtpd_session *s, const struct cmd *c, size_t arglen)
{
	if ((c->flags & NEED_HELO) && s->helo == NULL)
		return "503 5.5.1 Send HELO or EHLO first";
	if ((c->flags & NEED_EHLO) && !s->esmtp)
		return "503 5.5.1 Send EHLO first";
	if ((c->flags & NEED_MAIL) && !s->tx.active)
		return "503 5.5.1 Need MAIL command";
	if ((c->flags & NO_TX) && s->tx.active)
		return "503 5.5.1 Not allowed inside a mail transaction";
	if ((c->flags & NEED_ARG) && arglen == 0)
		return "501 5.5.4 Argument required";
	if ((c->flags & NO_ARG) && arglen > 0)
		return "501 5.5.4 No argument allowed";
	return NULL;
}

static void
dispatch(struct smtpd_session *s, char *line, size_t len)
{
	const struct cmd *c;
	const char *refusal;
	size_t vlen = 0;
	char *arg;

	while (vlen < len && line[vlen] != ' ')
		vlen++;
	for (c = cmds; c->name != NULL; c++)
		if (strlen(c->name) == vlen &&
		    strncasecmp(c->name, line, vlen) == 0)
			break;
	arg = line + (vlen < len ? vlen + 1 : vlen);
	len -= (size_t)(arg - line);
	/* See the file comment: improper command pipelining. */
	if (s->more && !(c->flags & SYNC_FREE) &&
	    ((c->flags & GROUP_END) || !s->esmtp)) {
		event(s, SMTPD_EV_PROTOCOL, "improper command pipelining");
		reply_close(s, "554 5.5.0 Error: SMTP protocol synchronization");
		return;
	}
	if ((c->flags & JUNK) && ++s->junk > s->set.junk_limit) {
		event(s, SMTPD_EV_LIMIT, "too many junk commands");
		reply_close(s, "421 4.7.0 Too many commands without mail, closing");
		return;
	}
	if ((refusal = check(s, c, len)) != NULL) {
		reply(s, refusal);
		return;
	}
	c->fn(s, arg, len);
}

/* ---- input ---- */

/* One command or AUTH line is complete at in[in_off..nl]. */
static void
take_line(struct smtpd_session *s, char *line, size_t nl)
{
	size_t len = nl, limit = SMTPD_CMD_LINE_MAX;
	bool bare = len == 0 || line[len - 1] != '\r';

	s->in_off += nl + 1;
	s->more = s->in.len > s->in_off;
	if (!bare)
		len--;
	line[len] = '\0';
	if (s->state == ST_AUTH || (len >= 5 && strncasecmp(line, "AUTH ", 5) == 0))
		limit = SMTPD_AUTH_LINE_MAX;
	if (len + 2 > limit || bare || memchr(line, '\0', len) != NULL) {
		s->state = ST_CMD;	/* an AUTH exchange ends too */
		reply(s, len + 2 > limit ? "500 5.5.2 Line too long" :
		    bare ? "500 5.5.2 Line must end in CRLF" :
		    "500 5.5.2 NUL in command line");
		return;
	}
	if (s->state == ST_AUTH)
		auth_response(s, line, len);
	else
		dispatch(s, line, len);
}

/* Runs as far as the buffered input, waits and output allow. */
static void
process(struct smtpd_session *s)
{
	for (;;) {
		char *p = s->in.data + s->in_off;
		size_t avail = s->in.len - s->in_off, n;
		char *nl;

		if (s->out.len >= SMTPD_OUT_HIGH)
			break;
		if (s->state == ST_BDAT && s->tx.bdat_left == 0) {
			bdat_chunk_end(s);
			continue;
		}
		if (avail == 0)
			break;
		switch (s->state) {
		case ST_CMD:
		case ST_AUTH:
			nl = memchr(p, '\n', avail);
			if (s->discarding) {
				if (nl == NULL) {
					s->in_off += avail;
					continue;
				}
				s->in_off += (size_t)(nl - p) + 1;
				s->discarding = false;
				s->state = ST_CMD;
				reply(s, "500 5.5.2 Line too long");
				continue;
			}
			if (nl == NULL) {
				if (avail >= SMTPD_AUTH_LINE_MAX) {
					s->discarding = true;
					s->in_off += avail;
					continue;
				}
				goto out;	/* need more */
			}
			take_line(s, p, (size_t)(nl - p));
			continue;
		case ST_DATA:
			n = avail < SMTPD_CHUNK_MAX ? avail : SMTPD_CHUNK_MAX;
			n = smtpd_data_scan(&s->tx.data, p, n, &s->chunk);
			s->in_off += n;
			if (s->set.max_message_size > 0 &&
			    s->tx.data.size > s->set.max_message_size)
				s->tx.too_big = true;
			flush_chunk(s);
			if (s->tx.data.done)
				finish_message(s);
			continue;
		case ST_BDAT:
			n = avail < SMTPD_CHUNK_MAX ? avail : SMTPD_CHUNK_MAX;
			if (n > s->tx.bdat_left)
				n = (size_t)s->tx.bdat_left;
			if (s->tx.bdat_err == NULL && !s->tx.too_big) {
				smtpd_data_scan(&s->tx.data, p, n, &s->chunk);
				flush_chunk(s);
			}
			s->in_off += n;
			s->tx.bdat_left -= n;
			continue;
		default:
			goto out;
		}
	}
out:
	if (s->in_off > 0 && (s->in_off == s->in.len ||
	    s->in_off > s->in.len / 2)) {
		buf_consume(&s->in, s->in_off);
		s->in_off = 0;
	}
}

/* ---- public ---- */

struct smtpd_session *
smtpd_session_new(const struct smtpd_settings *set,
    const struct smtpd_ops *ops, void *ctx)
{
	struct smtpd_session *s = xcalloc(1, sizeof(*s));

	s->set = *set;
	s->set.hostname = xstrdup(set->hostname ? set->hostname : "localhost");
	s->set.peer_addr = xstrdup(set->peer_addr ? set->peer_addr : "unknown");
	s->set.peer_name = set->peer_name ? xstrdup(set->peer_name) : NULL;
	if (s->set.error_limit == 0)
		s->set.error_limit = SMTPD_ERROR_LIMIT_DEFAULT;
	if (s->set.junk_limit == 0)
		s->set.junk_limit = SMTPD_JUNK_LIMIT_DEFAULT;
	if (s->set.rcpt_limit == 0)
		s->set.rcpt_limit = SMTPD_RCPT_LIMIT_DEFAULT;
	s->ops = ops;
	s->ctx = ctx;
	s->tls = set->tls_active;
	s->state = ST_PREGREET;
	buf_init(&s->in, SMTPD_IN_MAX);
	buf_init(&s->out, SMTPD_OUT_MAX);
	buf_init(&s->chunk, SMTPD_CHUNK_MAX + 4096);
	return s;
}

void
smtpd_session_free(struct smtpd_session **sp)
{
	struct smtpd_session *s = *sp;

	if (s == NULL)
		return;
	tx_reset(s);
	buf_free(&s->in);
	buf_free(&s->out);
	buf_free(&s->chunk);
	free(s->helo);
	free(s->auth_user);
	free((char *)s->set.hostname);
	free((char *)s->set.peer_addr);
	free((char *)s->set.peer_name);
	explicit_bzero(s->auth_name, sizeof(s->auth_name));
	free(s);
	*sp = NULL;
}

void
smtpd_session_greet(struct smtpd_session *s)
{
	char line[160];

	if (s->state != ST_PREGREET)
		return;
	/* RFC 2034 §3: no enhanced code in the greeting. */
	snprintf(line, sizeof(line), "220 %.100s ESMTP Postern",
	    s->set.hostname);
	put_line(s, line);
	s->state = ST_CMD;
}

void
smtpd_session_abort(struct smtpd_session *s, const char *status,
    const char *text)
{
	char line[256];

	if (s->state == ST_CLOSED)
		return;
	snprintf(line, sizeof(line), "421 %.10s %.100s %.100s", status,
	    s->set.hostname, text);
	tx_reset(s);
	reply_close(s, line);
}

size_t
smtpd_session_push(struct smtpd_session *s, const void *data, size_t len)
{
	size_t room;

	switch (s->state) {
	case ST_CLOSED:
		return len;
	case ST_TLS:
		/* Plaintext after STARTTLS and before the handshake. */
		if (len > 0)
			event(s, SMTPD_EV_PLAINTEXT_DISCARDED, "after STARTTLS");
		return len;
	case ST_PREGREET:
		if (len == 0)
			return 0;
		event(s, SMTPD_EV_PROTOCOL, "input before greeting");
		reply_close(s, "554 5.5.0 Error: input before greeting");
		return len;
	default:
		break;
	}
	if (s->in_off > 0) {
		buf_consume(&s->in, s->in_off);
		s->in_off = 0;
	}
	room = s->in.max - s->in.len;
	if (len > room)
		len = room;
	if (len > 0 && buf_append(&s->in, data, len) == -1)
		len = 0;
	process(s);
	return len;
}

const char *
smtpd_session_output(const struct smtpd_session *s, size_t *len_out)
{
	*len_out = s->out.len;
	return buf_cstr(&s->out);
}

void
smtpd_session_output_consume(struct smtpd_session *s, size_t n)
{
	buf_consume(&s->out, n);
}

unsigned
smtpd_session_actions(const struct smtpd_session *s)
{
	return s->actions;
}

bool
smtpd_session_waiting(const struct smtpd_session *s)
{
	return s->state == ST_WAIT || s->state == ST_TLS;
}

/* Checks that the session waits for w; a wrong call is a glue bug. */
static void
resume(struct smtpd_session *s, enum wait w)
{
	if (s->state != ST_WAIT || s->wait != w)
		abort();
	s->wait = W_NONE;
	s->state = ST_CMD;
}

void
smtpd_session_rcpt_done(struct smtpd_session *s, enum smtpd_rcpt_kind kind)
{
	resume(s, W_RCPT);
	rcpt_result(s, kind == SMTPD_RCPT_PENDING ? SMTPD_RCPT_TEMPFAIL : kind);
	process(s);
}

void
smtpd_session_auth_done(struct smtpd_session *s, enum smtpd_status st)
{
	resume(s, W_AUTH);
	auth_result(s, st == SMTPD_PENDING ? SMTPD_TEMPFAIL : st);
	process(s);
}

void
smtpd_session_commit_done(struct smtpd_session *s, enum smtpd_status st)
{
	resume(s, W_COMMIT);
	commit_result(s, st == SMTPD_PENDING ? SMTPD_TEMPFAIL : st);
	process(s);
}

void
smtpd_session_tls_done(struct smtpd_session *s, const char *info)
{
	if (s->state != ST_TLS)
		abort();
	s->actions &= ~SMTPD_ACT_STARTTLS;
	s->tls = true;
	/* RFC 3207 §4.2: forget what the client said before TLS. */
	tx_reset(s);
	free(s->helo);
	s->helo = NULL;
	s->esmtp = false;
	free(s->auth_user);
	s->auth_user = NULL;
	s->state = ST_CMD;
	process(s);
}
