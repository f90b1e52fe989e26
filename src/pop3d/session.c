/*
 * session.c: the POP3 session engine: states, the command table and its
 * dispatcher, and the hand-over of actions to the glue (RFC 1939 §3).
 * The commands themselves live in cmd-auth.c and cmd-mail.c. Run by the
 * pop3 role process (role.c), and by the unit tests and fuzzer directly.
 */
#include "pop3d/session.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/scram.h"
#include "lib/util.h"
#include "pop3d/session-private.h"

/* Commands, their states and argument counts (RFC 1939 §4-7, RFC 2449,
 * RFC 2595, RFC 5034, RFC 6856). The last row catches unknown commands. */
static const struct pop3d_cmd cmds[] = {
	{ "CAPA", pop3d_cmd_capa, POP3D_CMD_AUTHZ | POP3D_CMD_TRANS, 0, 0 },
	{ "USER", pop3d_cmd_user, POP3D_CMD_AUTHZ | POP3D_CMD_PASSWD, 1, 1 },
	{ "PASS", pop3d_cmd_pass, POP3D_CMD_AUTHZ | POP3D_CMD_PASSWD |
	    POP3D_CMD_REST, 1, 1 },
	{ "AUTH", pop3d_cmd_auth, POP3D_CMD_AUTHZ, 0, 2 },
	{ "APOP", pop3d_cmd_apop, POP3D_CMD_AUTHZ, 2, 2 },
	{ "STLS", pop3d_cmd_stls, POP3D_CMD_AUTHZ, 0, 0 },
	{ "QUIT", pop3d_cmd_quit, POP3D_CMD_AUTHZ | POP3D_CMD_TRANS, 0, 0 },
	{ "STAT", pop3d_cmd_stat, POP3D_CMD_TRANS, 0, 0 },
	{ "LIST", pop3d_cmd_list, POP3D_CMD_TRANS, 0, 1 },
	{ "UIDL", pop3d_cmd_uidl, POP3D_CMD_TRANS, 0, 1 },
	{ "RETR", pop3d_cmd_retr, POP3D_CMD_TRANS, 1, 1 },
	{ "TOP",  pop3d_cmd_top,  POP3D_CMD_TRANS, 2, 2 },
	{ "DELE", pop3d_cmd_dele, POP3D_CMD_TRANS, 1, 1 },
	{ "NOOP", pop3d_cmd_noop, POP3D_CMD_TRANS, 0, 0 },
	{ "RSET", pop3d_cmd_rset, POP3D_CMD_TRANS, 0, 0 },
	{ "UTF8", pop3d_cmd_utf8, POP3D_CMD_AUTHZ, 0, 0 },
	{ "LANG", pop3d_cmd_lang, POP3D_CMD_AUTHZ | POP3D_CMD_TRANS, 0, 1 },
	{ NULL,   NULL,           0,               0, 0 },
};

/* Splits a command line at spaces (RFC 1939 §3: keyword and arguments
 * separated by a single space; runs of spaces are tolerated). With
 * POP3D_CMD_REST the text after the keyword is one argument, spaces and
 * all (PASS: passwords may hold spaces). Returns argc, or -1: too many. */
static int
split(char *line, char **argv, bool rest)
{
	int argc = 0;
	char *p = line;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (argc == POP3D_ARGS_MAX)
			return -1;
		argv[argc++] = p;
		if (rest && argc == 2)
			break;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p == ' ')
			*p++ = '\0';
	}
	return argc;
}

/* The row for the keyword name[0..len), or the sentinel row. */
static const struct pop3d_cmd *
lookup(const char *name, size_t len)
{
	const struct pop3d_cmd *c;

	for (c = cmds; c->name != NULL; c++)
		if (strlen(c->name) == len &&
		    strncasecmp(c->name, name, len) == 0)
			break;
	return c;
}

/* The dispatcher: is it legal (table flags, argument count), then do it. */
static void
dispatch(struct pop3d_session *s, char *line, size_t len)
{
	const struct pop3d_cmd *c = NULL;
	char *argv[POP3D_ARGS_MAX];
	unsigned need = s->state == POP3D_STATE_AUTHORIZATION ?
	    POP3D_CMD_AUTHZ : POP3D_CMD_TRANS;
	int argc = -1;

	if (len > 0 && memchr(line, '\0', len) == NULL) {
		c = lookup(line, strcspn(line, " "));
		argc = split(line, argv, c->flags & POP3D_CMD_REST);
	}
	if (c == NULL || argc == 0)
		pop3d_bad(s, "Bad command line");
	else if (c->name == NULL)
		pop3d_bad(s, "Unknown command");
	else if (!(c->flags & need))
		pop3d_bad(s, "Command not valid in this state");
	else if (argc - 1 < c->minargs || argc - 1 > c->maxargs)
		pop3d_bad(s, "Syntax error");
	else if ((c->flags & POP3D_CMD_PASSWD) && !pop3d_passwords_ok(s))
		pop3d_reply(s, "-ERR [AUTH] Plaintext authentication "
		    "disallowed on non-secure (SSL/TLS) connections");
	else
		c->fn(s, argc, argv);
}

struct pop3d_session *
pop3d_session_new(const struct pop3d_settings *set)
{
	struct pop3d_session *s = xcalloc(1, sizeof(*s));

	s->set = *set;
	if (s->set.auth_delay_ms == 0)
		s->set.auth_delay_ms = POP3D_AUTH_DELAY_MS;
	if (strlcpy_(s->hostname, set->hostname ? set->hostname : "localhost",
	    sizeof(s->hostname)) >= sizeof(s->hostname))
		s->hostname[sizeof(s->hostname) - 1] = '\0';
	s->set.hostname = s->hostname;
	s->state = POP3D_STATE_AUTHORIZATION;
	lr_init(&s->lr, POP3D_LINE_MAX);
	buf_init(&s->out, POP3D_OUT_MAX);
	/* No APOP timestamp: passwords are stored hashed, so there is no
	 * shared secret to check an APOP digest against (RFC 1939 §7). */
	pop3d_reply(s, "+OK %s POP3 server ready", s->hostname);
	return s;
}

void
pop3d_session_free(struct pop3d_session **sp)
{
	struct pop3d_session *s = *sp;

	if (s == NULL)
		return;
	explicit_bzero(s->pass, sizeof(s->pass));
	scram_server_free(&s->scram);
	lr_free(&s->lr);
	buf_free(&s->out);
	free(s->msgs);
	free(s->dele);
	free(s->seen);
	free(s);
	*sp = NULL;
}

size_t
pop3d_session_push(struct pop3d_session *s, const void *data, size_t len)
{
	if (s->closing)
		return len;	/* hung up: nothing more is read */
	return lr_push(&s->lr, data, len);
}

enum pop3d_act
pop3d_session_run(struct pop3d_session *s, struct pop3d_action *act_out)
{
	const char *cline;
	size_t len;

	assert(s->pending == POP3D_ACT_NONE || s->pending == POP3D_ACT_CLOSE);
	memset(act_out, 0, sizeof(*act_out));
	while (!s->closing && s->pending == POP3D_ACT_NONE &&
	    s->delay_ms == 0) {
		/* Pipelined commands answer into a bounded buffer. */
		if (s->out.len >= POP3D_OUT_FLUSH) {
			act_out->type = POP3D_ACT_FLUSH;
			return POP3D_ACT_FLUSH;
		}
		switch (lr_next(&s->lr, &cline, &len)) {
		case LR_LINE:
			if (s->sasl != POP3D_SASL_NONE)
				pop3d_sasl_line(s, (char *)cline, len);
			else
				dispatch(s, (char *)cline, len);
			break;
		case LR_TOOLONG:
			pop3d_sasl_end(s);
			pop3d_bad(s, "Line too long");
			break;
		default:
			return POP3D_ACT_NONE;
		}
	}
	if (s->delay_ms != 0) {
		act_out->type = POP3D_ACT_DELAY;
		act_out->delay_ms = s->delay_ms;
		s->delay_ms = 0;
		return POP3D_ACT_DELAY;
	}
	if (s->closing) {
		s->pending = POP3D_ACT_CLOSE;
		act_out->type = POP3D_ACT_CLOSE;
		return POP3D_ACT_CLOSE;
	}
	*act_out = s->act;
	return act_out->type;
}

struct buf *
pop3d_session_out(struct pop3d_session *s)
{
	return &s->out;
}

void
pop3d_session_out_clear(struct pop3d_session *s)
{
	buf_reset(&s->out);
}

void
pop3d_session_trim(struct pop3d_session *s)
{
	if (s->out.len == 0 && s->out.cap > POP3D_OUT_KEEP) {
		buf_free(&s->out);
		buf_init(&s->out, POP3D_OUT_MAX);
	}
}

const char *
pop3d_session_user(const struct pop3d_session *s)
{
	return s->state != POP3D_STATE_AUTHORIZATION ? s->user : NULL;
}

void
pop3d_reply(struct pop3d_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&s->out, fmt, ap) == -1 ||
	    buf_puts(&s->out, "\r\n") == -1)
		abort();	/* replies are tiny next to POP3D_OUT_MAX */
	va_end(ap);
}

void
pop3d_bad(struct pop3d_session *s, const char *text)
{
	if (++s->nbad >= POP3D_BAD_MAX) {
		pop3d_reply(s, "-ERR Too many bad commands, closing");
		s->closing = true;
		return;
	}
	pop3d_reply(s, "-ERR %s", text);
}

void
pop3d_act(struct pop3d_session *s, enum pop3d_act type)
{
	s->pending = type;
	s->act.type = type;
}

bool
pop3d_passwords_ok(const struct pop3d_session *s)
{
	return s->set.tls_active || s->set.plaintext_ok;
}

/* Marks the action over: the next run goes on with the input. */
static void
act_over(struct pop3d_session *s)
{
	memset(&s->act, 0, sizeof(s->act));
	s->pending = POP3D_ACT_NONE;
}

void
pop3d_session_auth_done(struct pop3d_session *s, enum pop3d_auth_result r,
    uint32_t uidvalidity, const struct pop3d_msginfo *msgs, size_t n)
{
	uint64_t octets = 0;

	assert(s->pending == POP3D_ACT_AUTH);
	act_over(s);
	explicit_bzero(s->pass, sizeof(s->pass));
	s->have_user = false;
	switch (r) {
	case POP3D_AUTH_OK:
		s->state = POP3D_STATE_TRANSACTION;
		s->nbad = 0;	/* counted per state */
		s->uidvalidity = uidvalidity;
		s->msgs = xcalloc(n ? n : 1, sizeof(*s->msgs));
		s->nmsgs = n;
		for (size_t i = 0; i < n; i++) {
			s->msgs[i].uid = msgs[i].uid;
			s->msgs[i].size = msgs[i].size;
			octets += msgs[i].size;
		}
		pop3d_reply(s, "+OK Logged in, %zu messages (%llu octets)", n,
		    (unsigned long long)octets);
		return;
	case POP3D_AUTH_BAD:
		/* RFC 1939 §13: slow down password guessing, more each time. */
		s->delay_ms = s->set.auth_delay_ms << s->nauthfail;
		if (++s->nauthfail >= POP3D_AUTH_FAIL_MAX) {
			pop3d_reply(s, "-ERR [AUTH] Authentication failed, "
			    "closing");
			s->closing = true;
		} else
			pop3d_reply(s, "-ERR [AUTH] Authentication failed");
		return;
	case POP3D_AUTH_INUSE:
		/* RFC 2449 §8.1.1: another session holds the maildrop. */
		pop3d_reply(s, "-ERR [IN-USE] Mailbox is locked by another "
		    "POP3 session");
		return;
	case POP3D_AUTH_DELAY:
		/* RFC 2449 §8.1.2: the password was right, but the last
		 * login is less than the advertised delay ago. */
		pop3d_reply(s, "-ERR [LOGIN-DELAY] Logged in less than %u "
		    "seconds ago, try again later", s->set.login_delay_s);
		return;
	case POP3D_AUTH_TEMP:
		pop3d_reply(s, "-ERR [SYS/TEMP] Temporary failure, try again "
		    "later");
		return;
	}
}

void
pop3d_session_msg_begin(struct pop3d_session *s, int r)
{
	assert(s->pending == POP3D_ACT_RETR);
	if (r == 1) {
		if (s->top_lines < 0)
			pop3d_reply(s, "+OK %llu octets",
			    (unsigned long long)s->msgs[s->cur].size);
		else
			pop3d_reply(s, "+OK Top of message follows");
		pop3d_msgout_init(&s->mo, s->top_lines);
		if (s->top_lines < 0)
			s->msgs[s->cur].retrieved = true;
		return;
	}
	act_over(s);
	if (r == 0)
		pop3d_reply(s, "-ERR Message %u was removed by another session",
		    s->cur + 1);
	else
		pop3d_reply(s, "-ERR [SYS/TEMP] Cannot read message %u",
		    s->cur + 1);
}

bool
pop3d_session_msg_push(struct pop3d_session *s, const void *data, size_t len)
{
	assert(s->pending == POP3D_ACT_RETR && len <= POP3D_CHUNK_MAX);
	return pop3d_msgout_push(&s->mo, data, len, &s->out);
}

void
pop3d_session_msg_end(struct pop3d_session *s)
{
	assert(s->pending == POP3D_ACT_RETR);
	pop3d_msgout_end(&s->mo, &s->out);
	act_over(s);
}

void
pop3d_session_tls_done(struct pop3d_session *s, bool ok)
{
	assert(s->pending == POP3D_ACT_STARTTLS);
	act_over(s);
	if (!ok) {
		s->closing = true;
		return;
	}
	/* RFC 2595 §4: forget what the client said before TLS. */
	s->set.tls_active = true;
	s->have_user = false;
	lr_discard(&s->lr);
}

void
pop3d_session_update_done(struct pop3d_session *s, int r)
{
	size_t left = 0;

	assert(s->pending == POP3D_ACT_UPDATE);
	act_over(s);
	for (size_t i = 0; i < s->nmsgs; i++)
		left += !s->msgs[i].deleted;
	if (r == 0)
		pop3d_reply(s, "+OK %s POP3 server signing off (%zu messages "
		    "left)", s->hostname, left);
	else	/* RFC 1939 §6: some deleted messages not removed */
		pop3d_reply(s, "-ERR [SYS/TEMP] Some deleted messages not "
		    "removed");
	s->closing = true;
}
