/*
 * cmd-basic.c: HELO, EHLO (RFC 5321 §4.1.1.1, RFC 1869 extension list),
 * RSET, VRFY, EXPN, NOOP, HELP, QUIT and unknown commands. Part of the
 * session engine (session.c), smtp role process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/scram.h"
#include "lib/util.h"
#include "smtpd/session-int.h"

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
		smtpd_reply(s, "501 5.5.4 Syntax: HELO/EHLO domain");
		return false;
	}
	smtpd_tx_reset(s);	/* §4.1.4: like RSET */
	free(s->helo);
	s->helo = xstrndup(arg, len);
	s->esmtp = esmtp;
	return true;
}

void
smtpd_cmd_helo(struct smtpd_session *s, char *arg, size_t len)
{
	if (hello(s, arg, len, false))
		smtpd_replyf(s, "250 %s", s->set.hostname);
}

void
smtpd_cmd_ehlo(struct smtpd_session *s, char *arg, size_t len)
{
	char line[128];

	if (!hello(s, arg, len, true))
		return;
	snprintf(line, sizeof(line), "250-%.100s", s->set.hostname);
	smtpd_put_line(s, line);
	smtpd_put_line(s, "250-PIPELINING");
	if (s->set.max_message_size > 0) {
		snprintf(line, sizeof(line), "250-SIZE %llu",
		    (unsigned long long)s->set.max_message_size);
		smtpd_put_line(s, line);
	} else
		smtpd_put_line(s, "250-SIZE");
	smtpd_put_line(s, "250-8BITMIME");
	smtpd_put_line(s, "250-SMTPUTF8");
	smtpd_put_line(s, "250-CHUNKING");
	smtpd_put_line(s, "250-DSN");
	if (smtpd_can_starttls(s))
		smtpd_put_line(s, "250-STARTTLS");
	/* RFC 4954 §4 and the issue: never offer what would be refused. */
	if (smtpd_can_auth(s))
		smtpd_put_line(s, s->ops->scram != NULL ?
		    "250-AUTH " SCRAM_MECH " PLAIN LOGIN" :
		    "250-AUTH PLAIN LOGIN");
	smtpd_put_line(s, "250 ENHANCEDSTATUSCODES");
}

void
smtpd_cmd_rset(struct smtpd_session *s, char *arg, size_t len)
{
	smtpd_tx_reset(s);
	smtpd_reply(s, "250 2.0.0 Ok");
}

void
smtpd_cmd_vrfy(struct smtpd_session *s, char *arg, size_t len)
{
	/* §3.5.3: 252 keeps user names private and promises nothing. */
	smtpd_reply(s, "252 2.5.0 Cannot VRFY user, but will accept message "
	    "and attempt delivery");
}

void
smtpd_cmd_expn(struct smtpd_session *s, char *arg, size_t len)
{
	/* §3.5.2 and §7.3: list contents are not shown to strangers. */
	if (s->auth_user == NULL)
		smtpd_reply(s, "502 5.7.0 EXPN is not available");
	else
		smtpd_reply(s, "252 2.5.0 Cannot EXPN, but will accept message "
		    "and attempt delivery");
}

void
smtpd_cmd_noop(struct smtpd_session *s, char *arg, size_t len)
{
	smtpd_reply(s, "250 2.0.0 Ok");	/* §4.1.1.9: the argument is ignored */
}

void
smtpd_cmd_help(struct smtpd_session *s, char *arg, size_t len)
{
	smtpd_put_line(s,
	    "214-2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET");
	smtpd_put_line(s, "214-2.0.0 VRFY EXPN NOOP QUIT HELP STARTTLS AUTH");
	smtpd_put_line(s, "214 2.0.0 See RFC 5321");
}

void
smtpd_cmd_quit(struct smtpd_session *s, char *arg, size_t len)
{
	char line[160];

	snprintf(line, sizeof(line), "221 2.0.0 %.100s Bye", s->set.hostname);
	smtpd_tx_reset(s);
	smtpd_reply_close(s, line);
}

void
smtpd_cmd_unknown(struct smtpd_session *s, char *arg, size_t len)
{
	smtpd_reply(s, "500 5.5.1 Command unrecognized");
}

