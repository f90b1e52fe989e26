/*
 * cmd-any.c: commands valid in any state and session-wide ones:
 * CAPABILITY, NOOP, LOGOUT (RFC 3501 §6.1), STARTTLS (§6.2.1), ID
 * (RFC 2971), ENABLE (RFC 5161), NAMESPACE (RFC 2342). Run by the imap
 * role process.
 */
#include <string.h>
#include <strings.h>

#include "imapd/imapd-private.h"

void
cmd_capability(struct imapd_session *s, struct imapd_cmdctx *c)
{
	if (!arg_end(c)) {
		reply(c, "BAD", "No arguments expected");
		return;
	}
	out_printf(s, "* CAPABILITY ");
	out_capability(s);
	out_printf(s, "\r\n");
	reply(c, "OK", "Capability completed");
}

void
cmd_noop(struct imapd_session *s, struct imapd_cmdctx *c)
{
	(void)s;
	/* The dispatcher sends the mailbox updates (§6.1.2). */
	reply(c, "OK", "%s completed", c->name);
}

void
cmd_logout(struct imapd_session *s, struct imapd_cmdctx *c)
{
	out_printf(s, "* BYE Logging out\r\n");
	s->state = IMAPD_STATE_LOGOUT;
	s->action = IMAPD_ACT_CLOSE;
	reply(c, "OK", "Logout completed");
}

/* RFC 2971: the client's ID is accepted and ignored; ours is short. */
void
cmd_id(struct imapd_session *s, struct imapd_cmdctx *c)
{
	const struct imapd_tok *t = arg_next(c);

	if (t == NULL || (!imapd_tok_is(t, "NIL") &&
	    t->type != IMAPD_TOK_LIST_START)) {
		reply(c, "BAD", "ID takes a list or NIL");
		return;
	}
	out_printf(s, "* ID (\"name\" \"Postern\" \"vendor\" \"Postern\")\r\n");
	reply(c, "OK", "ID completed");
}

void
cmd_enable(struct imapd_session *s, struct imapd_cmdctx *c)
{
	const struct imapd_tok *t;
	bool any = false;

	if (arg_end(c)) {
		reply(c, "BAD", "ENABLE needs capabilities");
		return;
	}
	out_printf(s, "* ENABLED");
	while ((t = arg_next(c)) != NULL) {
		if (t->type != IMAPD_TOK_ATOM)
			continue;
		if (strcasecmp(t->s, "CONDSTORE") == 0 && !any) {
			s->condstore = true;
			out_printf(s, " CONDSTORE");
			any = true;
		}
	}
	out_printf(s, "\r\n");
	reply(c, "OK", "Enabled");
}

void
cmd_namespace(struct imapd_session *s, struct imapd_cmdctx *c)
{
	/* One personal namespace, no others (RFC 2342 §5). */
	out_printf(s, "* NAMESPACE ((\"\" \"%c\")) NIL NIL\r\n",
	    STORE_FOLDER_DELIM);
	reply(c, "OK", "Namespace completed");
}

void
cmd_starttls(struct imapd_session *s, struct imapd_cmdctx *c)
{
	if (s->set.tls || !s->set.starttls) {
		reply(c, "BAD", "TLS not available");
		return;
	}
	/* §6.2.1: pipelined plaintext after STARTTLS must not count. */
	imapd_parser_discard(s->parser);
	session_tagged(s, c->tag, "OK", "Begin TLS negotiation now");
	c->pending = true;
	s->action = IMAPD_ACT_STARTTLS;
}
