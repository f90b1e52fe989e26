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
 *
 * Layout (STYLE §6): limits, states, the session and transaction structs
 * are in session-int.h; this file has the command table, the dispatcher,
 * the input loop and the public functions; the commands live in
 * cmd-basic.c, cmd-mail.c, cmd-data.c and cmd-auth.c.
 */
#include "smtpd/session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/scram.h"
#include "lib/util.h"
#include "smtpd/data.h"
#include "smtpd/session-int.h"

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
	{ "HELO",	smtpd_cmd_helo,		NEED_ARG | GROUP_END },
	{ "EHLO",	smtpd_cmd_ehlo,		NEED_ARG | GROUP_END },
	{ "MAIL",	smtpd_cmd_mail,		NEED_HELO | NO_TX | NEED_ARG },
	{ "RCPT",	smtpd_cmd_rcpt,		NEED_HELO | NEED_MAIL |
						NEED_ARG },
	{ "DATA",	smtpd_cmd_data,		NEED_HELO | NEED_MAIL | NO_ARG |
						GROUP_END },
	/* BDAT judges itself, after reading its chunk (RFC 3030 §2). */
	{ "BDAT",	smtpd_cmd_bdat,		SYNC_FREE },
	{ "RSET",	smtpd_cmd_rset,		NO_ARG | JUNK },
	{ "VRFY",	smtpd_cmd_vrfy,		NEED_ARG | JUNK | SYNC_FREE },
	{ "EXPN",	smtpd_cmd_expn,		NEED_ARG | JUNK | SYNC_FREE },
	{ "NOOP",	smtpd_cmd_noop,		JUNK | SYNC_FREE },
	{ "HELP",	smtpd_cmd_help,		JUNK },
	{ "QUIT",	smtpd_cmd_quit,		NO_ARG | SYNC_FREE },
	{ "STARTTLS",	smtpd_cmd_starttls,	NEED_EHLO | NO_TX | NO_ARG |
						SYNC_FREE },
	{ "AUTH",	smtpd_cmd_auth,		NEED_EHLO | NO_TX | NEED_ARG },
	{ NULL,		smtpd_cmd_unknown,	SYNC_FREE },	/* sentinel */
};

/* ---- output ---- */

/* Details may hold client bytes (a user name): control characters become
 * '?' so that no log line can be forged, and the length is bounded. */
void
smtpd_emit(struct smtpd_session *s, enum smtpd_event ev, const char *detail)
{
	char safe[256];
	size_t i;

	if (s->ops->event == NULL)
		return;
	for (i = 0; detail[i] != '\0' && i < sizeof(safe) - 1; i++)
		safe[i] = (unsigned char)detail[i] < 32 || detail[i] == 0x7f ?
		    '?' : detail[i];
	safe[i] = '\0';
	s->ops->event(s->ctx, ev, safe);
}

void
smtpd_put_line(struct smtpd_session *s, const char *line)
{
	/* SMTPD_OUT_MAX leaves room past SMTPD_OUT_HIGH for any reply. */
	if (buf_puts(&s->out, line) == -1 || buf_puts(&s->out, "\r\n") == -1)
		abort();
}

/* Sends a reply and ends the session (no error counting). */
void
smtpd_reply_close(struct smtpd_session *s, const char *line)
{
	smtpd_put_line(s, line);
	s->actions |= SMTPD_ACT_CLOSE;
	s->state = SMTPD_STATE_CLOSED;
}

/* Sends a one-line reply; 4xx and 5xx count toward error_limit. */
void
smtpd_reply(struct smtpd_session *s, const char *line)
{
	char msg[128];

	smtpd_put_line(s, line);
	if (line[0] != '4' && line[0] != '5')
		return;
	if (++s->errors < s->set.error_limit)
		return;
	smtpd_emit(s, SMTPD_EV_LIMIT, "too many errors");
	snprintf(msg, sizeof(msg), "421 4.7.0 %.80s Too many errors, closing",
	    s->set.hostname);
	smtpd_reply_close(s, msg);
}

void
smtpd_replyf(struct smtpd_session *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);	/* truncation is harmless */
	va_end(ap);
	smtpd_reply(s, line);
}

/* ---- transaction ---- */

void
smtpd_tx_reset(struct smtpd_session *s)
{
	struct smtpd_tx *t = &s->tx;
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

bool
smtpd_can_auth(const struct smtpd_session *s)
{
	return s->auth_user == NULL && (s->tls || s->set.plaintext_auth);
}

bool
smtpd_can_starttls(const struct smtpd_session *s)
{
	return s->set.tls_available && !s->tls;
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
		smtpd_emit(s, SMTPD_EV_PROTOCOL, "improper command pipelining");
		smtpd_reply_close(s,
		    "554 5.5.0 Error: SMTP protocol synchronization");
		return;
	}
	if ((c->flags & JUNK) && ++s->junk > s->set.junk_limit) {
		smtpd_emit(s, SMTPD_EV_LIMIT, "too many junk commands");
		smtpd_reply_close(s,
		    "421 4.7.0 Too many commands without mail, closing");
		return;
	}
	if ((refusal = check(s, c, len)) != NULL) {
		smtpd_reply(s, refusal);
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
	if (s->state == SMTPD_STATE_AUTH ||
	    (len >= 5 && strncasecmp(line, "AUTH ", 5) == 0))
		limit = SMTPD_AUTH_LINE_MAX;
	if (len + 2 > limit || bare || memchr(line, '\0', len) != NULL) {
		s->state = SMTPD_STATE_CMD;	/* an AUTH exchange ends too */
		smtpd_reply(s, len + 2 > limit ? "500 5.5.2 Line too long" :
		    bare ? "500 5.5.2 Line must end in CRLF" :
		    "500 5.5.2 NUL in command line");
		return;
	}
	if (s->state == SMTPD_STATE_AUTH)
		smtpd_auth_response(s, line, len);
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
		if (s->state == SMTPD_STATE_BDAT && s->tx.bdat_left == 0) {
			smtpd_bdat_chunk_end(s);
			continue;
		}
		if (avail == 0)
			break;
		switch (s->state) {
		case SMTPD_STATE_CMD:
		case SMTPD_STATE_AUTH:
			nl = memchr(p, '\n', avail);
			if (s->discarding) {
				if (nl == NULL) {
					s->in_off += avail;
					continue;
				}
				s->in_off += (size_t)(nl - p) + 1;
				s->discarding = false;
				s->state = SMTPD_STATE_CMD;
				smtpd_reply(s, "500 5.5.2 Line too long");
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
		case SMTPD_STATE_DATA:
			n = avail < SMTPD_CHUNK_MAX ? avail : SMTPD_CHUNK_MAX;
			n = smtpd_data_scan(&s->tx.data, p, n, &s->chunk);
			s->in_off += n;
			if (s->set.max_message_size > 0 &&
			    s->tx.data.size > s->set.max_message_size)
				s->tx.too_big = true;
			smtpd_chunk_flush(s);
			if (s->tx.data.done)
				smtpd_msg_finish(s);
			continue;
		case SMTPD_STATE_BDAT:
			n = avail < SMTPD_CHUNK_MAX ? avail : SMTPD_CHUNK_MAX;
			if (n > s->tx.bdat_left)
				n = (size_t)s->tx.bdat_left;
			if (s->tx.bdat_err == NULL && !s->tx.too_big) {
				smtpd_data_scan(&s->tx.data, p, n, &s->chunk);
				smtpd_chunk_flush(s);
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
	/* An idle session keeps no large buffers (many sessions per
	 * process, ARCHITECTURE "Processes"). */
	if (s->in.len == 0 && s->in.cap > SMTPD_IDLE_BUF_MAX)
		buf_free(&s->in);
	if (s->chunk.cap > SMTPD_IDLE_BUF_MAX &&
	    s->state != SMTPD_STATE_DATA && s->state != SMTPD_STATE_BDAT)
		buf_free(&s->chunk);
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
	s->state = SMTPD_STATE_PREGREET;
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
	smtpd_tx_reset(s);
	buf_free(&s->in);
	buf_free(&s->out);
	buf_free(&s->chunk);
	free(s->helo);
	free(s->auth_user);
	free((char *)s->set.hostname);
	free((char *)s->set.peer_addr);
	free((char *)s->set.peer_name);
	explicit_bzero(s->auth_name, sizeof(s->auth_name));
	scram_server_free(&s->scram);
	free(s);
	*sp = NULL;
}

void
smtpd_session_greet(struct smtpd_session *s)
{
	char line[160];

	if (s->state != SMTPD_STATE_PREGREET)
		return;
	/* RFC 2034 §3: no enhanced code in the greeting. */
	snprintf(line, sizeof(line), "220 %.100s ESMTP Postern",
	    s->set.hostname);
	smtpd_put_line(s, line);
	s->state = SMTPD_STATE_CMD;
}

void
smtpd_session_abort(struct smtpd_session *s, const char *status,
    const char *text)
{
	char line[256];

	if (s->state == SMTPD_STATE_CLOSED)
		return;
	snprintf(line, sizeof(line), "421 %.10s %.100s %.100s", status,
	    s->set.hostname, text);
	smtpd_tx_reset(s);
	smtpd_reply_close(s, line);
}

size_t
smtpd_session_push(struct smtpd_session *s, const void *data, size_t len)
{
	size_t room;

	switch (s->state) {
	case SMTPD_STATE_CLOSED:
		return len;
	case SMTPD_STATE_TLS:
		/* Plaintext after STARTTLS and before the handshake. */
		if (len > 0)
			smtpd_emit(s, SMTPD_EV_PLAINTEXT_DISCARDED,
			    "after STARTTLS");
		return len;
	case SMTPD_STATE_PREGREET:
		if (len == 0)
			return 0;
		smtpd_emit(s, SMTPD_EV_PROTOCOL, "input before greeting");
		smtpd_reply_close(s, "554 5.5.0 Error: input before greeting");
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
	if (s->out.len == 0 && s->out.cap > SMTPD_IDLE_BUF_MAX)
		buf_free(&s->out);
}

unsigned
smtpd_session_actions(const struct smtpd_session *s)
{
	return s->actions;
}

bool
smtpd_session_waiting(const struct smtpd_session *s)
{
	return s->state == SMTPD_STATE_WAIT || s->state == SMTPD_STATE_TLS;
}

/* Ends a wait for w: false when the session was closed meanwhile (abort,
 * timeout) and the result is to be ignored. Any other wrong call is a
 * glue bug. */
static bool
resume(struct smtpd_session *s, enum smtpd_wait w)
{
	if (s->state == SMTPD_STATE_CLOSED)
		return false;
	if (s->state != SMTPD_STATE_WAIT || s->wait != w)
		abort();
	s->wait = SMTPD_WAIT_NONE;
	s->state = SMTPD_STATE_CMD;
	return true;
}

void
smtpd_session_rcpt_done(struct smtpd_session *s, enum smtpd_rcpt_kind kind)
{
	if (!resume(s, SMTPD_WAIT_RCPT))
		return;
	smtpd_rcpt_result(s, kind == SMTPD_RCPT_PENDING ?
	    SMTPD_RCPT_TEMPFAIL : kind);
	process(s);
}

void
smtpd_session_auth_done(struct smtpd_session *s, enum smtpd_status st)
{
	if (!resume(s, SMTPD_WAIT_AUTH))
		return;
	smtpd_auth_result(s, st == SMTPD_PENDING ? SMTPD_TEMPFAIL : st);
	process(s);
}

void
smtpd_session_commit_done(struct smtpd_session *s, enum smtpd_status st)
{
	if (!resume(s, SMTPD_WAIT_COMMIT))
		return;
	smtpd_commit_result(s, st == SMTPD_PENDING ? SMTPD_TEMPFAIL : st);
	process(s);
}

void
smtpd_session_tls_done(struct smtpd_session *s, const char *info)
{
	if (s->state == SMTPD_STATE_CLOSED)
		return;
	if (s->state != SMTPD_STATE_TLS)
		abort();
	s->actions &= ~SMTPD_ACT_STARTTLS;
	s->tls = true;
	/* RFC 3207 §4.2: forget what the client said before TLS. */
	smtpd_tx_reset(s);
	free(s->helo);
	s->helo = NULL;
	s->esmtp = false;
	free(s->auth_user);
	s->auth_user = NULL;
	s->state = SMTPD_STATE_CMD;
	process(s);
}
