/*
 * cmd-idle.c: IDLE (RFC 2177). The client waits for "DONE" while the role
 * glue watches the selected mailbox's change file and calls
 * imapd_session_poll, which sends EXISTS/EXPUNGE/FETCH at once. Run by
 * the imap role process.
 */
#include <strings.h>

#include "imapd/imapd-private.h"
#include "lib/util.h"

static void
idle_cont(struct imapd_session *s, const char *line, size_t len)
{
	s->cont = NULL;
	s->idling = false;
	imapd_parser_line_mode(s->parser, false);
	if (s->view != NULL && view_resume(s) == 0)
		view_sync(s, true);
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
		session_tagged(s, s->cont_tag, "OK", "IDLE terminated");
	else
		session_tagged(s, s->cont_tag, "BAD", "Expected DONE");
}

void
cmd_idle(struct imapd_session *s, struct imapd_cmdctx *c)
{
	if (!arg_end(c)) {
		reply(c, "BAD", "IDLE takes no arguments");
		return;
	}
	if (s->view != NULL)
		view_sync(s, true);
	c->pending = true;
	strlcpy_(s->cont_tag, c->tag, sizeof(s->cont_tag));
	s->cont = idle_cont;
	s->idling = true;
	imapd_parser_line_mode(s->parser, true);
	out_printf(s, "+ idling\r\n");
	view_suspend(s);
}
