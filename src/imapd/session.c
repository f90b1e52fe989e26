/*
 * session.c: the IMAP4 session engine: command table, dispatcher, output
 * helpers (RFC 3501 §6, §7). Run by the imap role process; no socket I/O
 * (session.h). One file per command family holds the handlers (cmd-*.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd-private.h"
#include "mime/mutf7.h"
#include "lib/log.h"
#include "lib/scram.h"
#include "lib/util.h"

#define REPLY_TEXT_MAX	4096

/*
 * The command table (STYLE §3.3): name, handler, the states it is legal
 * in, and whether it has a UID form. The dispatcher checks the row; the
 * handler only does the work.
 */
static const struct imapd_command commands[] = {
	{ "CAPABILITY",	cmd_capability,	CMD_ANY },
	{ "NOOP",	cmd_noop,	CMD_ANY },
	{ "LOGOUT",	cmd_logout,	CMD_ANY },
	{ "ID",		cmd_id,		CMD_ANY },
	{ "STARTTLS",	cmd_starttls,	CMD_NOAUTH },
	{ "LOGIN",	cmd_login,	CMD_NOAUTH },
	{ "AUTHENTICATE", cmd_authenticate, CMD_NOAUTH },
	{ "ENABLE",	cmd_enable,	CMD_AUTH | CMD_SEL },
	{ "NAMESPACE",	cmd_namespace,	CMD_AUTH | CMD_SEL },
	{ "SELECT",	cmd_select,	CMD_AUTH | CMD_SEL },
	{ "EXAMINE",	cmd_select,	CMD_AUTH | CMD_SEL },
	{ "CREATE",	cmd_create,	CMD_AUTH | CMD_SEL },
	{ "DELETE",	cmd_delete,	CMD_AUTH | CMD_SEL },
	{ "RENAME",	cmd_rename,	CMD_AUTH | CMD_SEL },
	{ "SUBSCRIBE",	cmd_subscribe,	CMD_AUTH | CMD_SEL },
	{ "UNSUBSCRIBE", cmd_subscribe,	CMD_AUTH | CMD_SEL },
	{ "LIST",	cmd_list,	CMD_AUTH | CMD_SEL },
	{ "LSUB",	cmd_list,	CMD_AUTH | CMD_SEL },
	{ "STATUS",	cmd_status,	CMD_AUTH | CMD_SEL },
	{ "APPEND",	cmd_append,	CMD_AUTH | CMD_SEL },
	{ "IDLE",	cmd_idle,	CMD_AUTH | CMD_SEL },
	{ "CHECK",	cmd_check,	CMD_SEL },
	{ "CLOSE",	cmd_close,	CMD_SEL },
	{ "UNSELECT",	cmd_close,	CMD_SEL },
	{ "EXPUNGE",	cmd_expunge,	CMD_SEL | CMD_UIDOK },
	{ "SEARCH",	cmd_search,	CMD_SEL | CMD_UIDOK | CMD_NOEXPUNGE },
	{ "FETCH",	cmd_fetch,	CMD_SEL | CMD_UIDOK | CMD_NOEXPUNGE },
	{ "STORE",	cmd_store,	CMD_SEL | CMD_UIDOK | CMD_NOEXPUNGE },
	{ "COPY",	cmd_copy,	CMD_SEL | CMD_UIDOK },
	{ "MOVE",	cmd_copy,	CMD_SEL | CMD_UIDOK },
	{ NULL,		NULL,		0 },	/* sentinel: unknown command */
};

static const struct imapd_command *
command_find(const char *name)
{
	const struct imapd_command *cmd;

	for (cmd = commands; cmd->name != NULL; cmd++)
		if (strcasecmp(cmd->name, name) == 0)
			break;
	return cmd;
}

struct imapd_session *
imapd_session_new(const struct imapd_settings *set, struct store *store)
{
	struct imapd_session *s = xcalloc(1, sizeof(*s));
	struct imapd_parser_settings ps;

	s->set = *set;
	s->store = store;
	imapd_parser_settings_default(&ps);
	if (set->append_max > 0)
		ps.append_max = set->append_max;
	s->parser = imapd_parser_new(&ps);
	/* Before login APPEND is refused anyway: no megabyte literals for
	 * strangers (raised in imapd_session_logged_in). */
	imapd_parser_set_append_max(s->parser, ps.literal_max);
	buf_init(&s->out, IMAPD_OUT_MAX);
	s->state = IMAPD_STATE_NOAUTH;
	return s;
}

void
imapd_session_free(struct imapd_session **sp)
{
	struct imapd_session *s = *sp;

	if (s == NULL)
		return;
	fetch_run_free(&s->fetch);
	view_close(s);
	imapd_parser_free(&s->parser);
	buf_free(&s->out);
	free(s->auth_user);
	free(s->auth_req_user);
	scram_server_free(&s->scram);
	if (s->auth_req_pass != NULL) {
		explicit_bzero(s->auth_req_pass, strlen(s->auth_req_pass));
		free(s->auth_req_pass);
	}
	free(s);
	*sp = NULL;
}

struct buf *
imapd_session_output(struct imapd_session *s)
{
	return &s->out;
}

size_t
imapd_session_push(struct imapd_session *s, const void *data, size_t len)
{
	if (s->action != IMAPD_ACT_NONE)
		return 0;
	return imapd_parser_push(s->parser, data, len);
}

void
out_write(struct imapd_session *s, const void *data, size_t len)
{
	if (buf_append(&s->out, data, len) == -1)
		s->action = IMAPD_ACT_CLOSE;	/* the client does not read */
}

void
out_printf(struct imapd_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&s->out, fmt, ap) == -1)
		s->action = IMAPD_ACT_CLOSE;
	va_end(ap);
}

/* RFC 3501 §4.3: quoted strings hold 7-bit text without CR, LF, NUL. */
void
out_string(struct imapd_session *s, const char *str, size_t len)
{
	size_t i;
	bool quoted = len < 1024;

	for (i = 0; quoted && i < len; i++) {
		unsigned char c = (unsigned char)str[i];

		if (c == '\r' || c == '\n' || c == 0 || c >= 0x80)
			quoted = false;
	}
	if (!quoted) {
		out_printf(s, "{%zu}\r\n", len);
		out_write(s, str, len);
		return;
	}
	out_write(s, "\"", 1);
	for (i = 0; i < len; i++) {
		if (str[i] == '"' || str[i] == '\\')
			out_write(s, "\\", 1);
		out_write(s, str + i, 1);
	}
	out_write(s, "\"", 1);
}

bool
session_can_plaintext(const struct imapd_session *s)
{
	return s->set.tls || s->set.plaintext_ok;
}

void
session_capability(struct imapd_session *s, struct buf *b)
{
	buf_puts(b, "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE "
	    "UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE CONDSTORE BINARY "
	    "ESEARCH");
	if (s->state != IMAPD_STATE_NOAUTH)
		return;
	if (s->set.starttls && !s->set.tls)
		buf_puts(b, " STARTTLS");
	/* RFC 3501 §6.2.3, §7.2.1: no plaintext passwords without TLS. */
	if (session_can_plaintext(s))
		buf_puts(b, " AUTH=" SCRAM_MECH " AUTH=PLAIN AUTH=LOGIN");
	else
		buf_puts(b, " LOGINDISABLED");
}

void
out_capability(struct imapd_session *s)
{
	struct buf b;

	buf_init(&b, 1024);
	session_capability(s, &b);
	out_printf(s, "%s", buf_cstr(&b));
	buf_free(&b);
}

void
imapd_session_greet(struct imapd_session *s)
{
	out_printf(s, "* OK [CAPABILITY ");
	out_capability(s);
	out_printf(s, "] %s Postern IMAP4rev1 ready\r\n", s->set.hostname);
}

void
imapd_session_tls_started(struct imapd_session *s)
{
	s->set.tls = true;
	s->action = IMAPD_ACT_NONE;
}

void
session_logged_in(struct imapd_session *s, const char *user)
{
	struct imapd_parser_settings ps;

	strlcpy_(s->user, user, sizeof(s->user));
	s->state = IMAPD_STATE_AUTH;
	imapd_parser_settings_default(&ps);
	imapd_parser_set_append_max(s->parser, s->set.append_max > 0 ?
	    s->set.append_max : ps.append_max);
}

void
imapd_session_preauth(struct imapd_session *s, const char *user)
{
	session_logged_in(s, user);
}

void
imapd_session_shutdown(struct imapd_session *s)
{
	fetch_run_free(&s->fetch);
	out_printf(s, "* BYE Server shutting down\r\n");
	s->action = IMAPD_ACT_CLOSE;
}

void
reply(struct imapd_cmdctx *c, const char *kind, const char *fmt, ...)
{
	va_list ap;

	c->kind = kind;
	buf_reset(&c->text);
	va_start(ap, fmt);
	buf_vprintf(&c->text, fmt, ap);
	va_end(ap);
}

void
session_tagged(struct imapd_session *s, const char *tag, const char *kind,
    const char *fmt, ...)
{
	va_list ap;

	out_printf(s, "%s %s ", tag, kind);
	va_start(ap, fmt);
	if (buf_vprintf(&s->out, fmt, ap) == -1)
		s->action = IMAPD_ACT_CLOSE;
	va_end(ap);
	out_write(s, "\r\n", 2);
}

int
session_name_in(char *name, size_t size)
{
	struct buf b;
	const char *p;
	int r = 0;

	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			break;
	if (*p == '\0')
		return 0;
	/* A client sent UTF-8: the store speaks modified UTF-7. */
	buf_init(&b, size - 1);
	if (mime_mutf7_encode(name, strlen(name), &b) == -1)
		r = -1;
	else
		memcpy(name, buf_cstr(&b), b.len + 1);
	buf_free(&b);
	return r;
}

int
session_mailbox_arg(struct imapd_cmdctx *c, char *out, size_t outlen)
{
	size_t len;

	if (arg_astring(c, out, outlen) == -1 || session_name_in(out,
	    outlen) == -1)
		return -1;
	/* RFC 3501 §6.3.3: a trailing delimiter only declares intent. */
	len = strlen(out);
	if (len > 1 && out[len - 1] == STORE_FOLDER_DELIM)
		out[len - 1] = '\0';
	return 0;
}

/* Runs one parsed command: checks the table row, then calls the handler. */
static void
dispatch(struct imapd_session *s, const struct imapd_parsed *it)
{
	const struct imapd_command *cmd;
	struct imapd_cmdctx c;

	memset(&c, 0, sizeof(c));
	c.tag = it->tag;
	c.name = it->name;
	c.args = it->args;
	c.nargs = it->nargs;
	buf_init(&c.text, REPLY_TEXT_MAX);
	cmd = command_find(it->name);
	if (strcmp(it->name, "UID") == 0 && c.nargs > 0 &&
	    c.args[0].type == IMAPD_TOK_ATOM) {
		cmd = command_find(c.args[0].s);
		c.name = cmd->name;
		c.uid = true;
		c.pos = 1;
		if (cmd->name != NULL && !(cmd->flags & CMD_UIDOK))
			cmd = &commands[nitems(commands) - 1];
	}
	if (cmd->name == NULL) {
		reply(&c, "BAD", "Unknown command");
		s->nbad++;
	} else if (!(cmd->flags & s->state)) {
		reply(&c, "BAD", "%s", (cmd->flags & CMD_NOAUTH) ?
		    "Already logged in" : s->state == IMAPD_STATE_NOAUTH ?
		    "Log in first" : "Select a mailbox first");
	} else {
		c.no_expunge = (cmd->flags & CMD_NOEXPUNGE) && !c.uid;
		c.kind = "OK";
		cmd->fn(s, &c);
	}
	if (c.kind != NULL && strcmp(c.kind, "BAD") == 0)
		s->nbad++;
	if (!c.pending) {
		/* Untagged updates go before the tagged reply (§5.2). */
		if (s->view != NULL && s->state == IMAPD_STATE_SELECTED &&
		    s->action == IMAPD_ACT_NONE)
			view_sync(s, !c.no_expunge);
		session_tagged(s, c.tag, c.kind, "%s", buf_cstr(&c.text));
	}
	buf_free(&c.text);
}

enum imapd_action
imapd_session_run(struct imapd_session *s)
{
	struct imapd_parsed it;
	enum imapd_parse_result r;

	if (s->action == IMAPD_ACT_FLUSH) {
		s->action = IMAPD_ACT_NONE;
		if (s->fetch != NULL)
			fetch_resume(s);
	}
	while (s->action == IMAPD_ACT_NONE) {
		if (s->nbad >= IMAPD_BAD_MAX) {
			out_printf(s, "* BYE Too many errors\r\n");
			s->action = IMAPD_ACT_CLOSE;
			break;
		}
		r = imapd_parser_next(s->parser, &it);
		switch (r) {
		case IMAPD_P_MORE:
			return s->action;
		case IMAPD_P_CONTINUE:
			out_printf(s, "+ Ready for literal data\r\n");
			break;
		case IMAPD_P_LINE:
			if (s->cont != NULL)
				s->cont(s, it.line, it.linelen);
			break;
		case IMAPD_P_CMD:
			dispatch(s, &it);
			break;
		case IMAPD_P_BAD:
			s->nbad++;
			out_printf(s, "%s BAD %s\r\n", it.tag ? it.tag : "*",
			    it.errstr ? it.errstr : "Syntax error");
			break;
		case IMAPD_P_TOOBIG:
			/* RFC 7888 §4 and RFC 4469 TOOBIG: refuse without
			 * reading the literal. */
			out_printf(s, "%s NO [TOOBIG] %s\r\n",
			    it.tag ? it.tag : "*", it.errstr);
			break;
		case IMAPD_P_FATAL:
			out_printf(s, "* BYE %s\r\n", it.errstr);
			s->action = IMAPD_ACT_CLOSE;
			break;
		}
	}
	return s->action;
}

const char *
imapd_session_idle_path(const struct imapd_session *s)
{
	if (!s->idling || s->view == NULL)
		return NULL;
	if (s->view->mbox == NULL)
		return s->view->notify;
	return store_mbox_notify_path(s->view->mbox);
}

void
imapd_session_poll(struct imapd_session *s)
{
	if (!s->idling || s->view == NULL || view_resume(s) == -1)
		return;
	view_sync(s, true);
	view_suspend(s);
}
