/*
 * cmd-mail.c: MAIL FROM and RCPT TO (RFC 5321 §4.1.1.2-3): paths,
 * parameters, relay policy (§3.6.2), submission's AUTH rule (RFC 6409 §4.3).
 * Part of the session engine (session.c), smtp role process.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "smtpd/path.h"
#include "smtpd/session-int.h"

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

void
smtpd_cmd_mail(struct smtpd_session *s, char *arg, size_t len)
{
	struct smtpd_mail_params mp;
	struct smtpd_path path;
	const char *errreply;
	enum smtpd_path_err perr;
	size_t used;
	long off;

	/* RFC 6409 §4.3 / RFC 4954 §6: submission needs AUTH first. */
	if (s->set.listener != SMTPD_LISTENER_MTA && s->auth_user == NULL) {
		if (smtpd_can_auth(s))
			smtpd_reply(s, "530 5.7.0 Authentication required");
		else
			smtpd_reply(s,
			    "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	if ((off = skip_prefix(arg, len, "FROM:")) == -1) {
		smtpd_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	perr = smtpd_path_parse(arg + off, len - (size_t)off,
	    SMTPD_PATH_NULL_OK | SMTPD_PATH_UTF8, &path, &used);
	if (perr == SMTPD_PATH_TOOLONG) {
		smtpd_reply(s, "501 5.1.7 Sender address too long");
		return;
	}
	if (perr != SMTPD_PATH_OK) {
		smtpd_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	off += (long)used;
	if (!s->esmtp && strspn(arg + off, " ") < len - (size_t)off) {
		smtpd_reply(s, "555 5.5.4 MAIL parameters need EHLO");
		return;
	}
	if (smtpd_mail_params_parse(arg + off, len - (size_t)off, &mp,
	    &errreply) == -1) {
		smtpd_reply(s, errreply);
		return;
	}
	if (path.utf8 && !mp.smtputf8) {
		smtpd_reply(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8");
		return;
	}
	/* RFC 1870 §6.2. */
	if (mp.has_size && s->set.max_message_size > 0 &&
	    mp.size > s->set.max_message_size) {
		smtpd_reply(s, R_TOOBIG);
		return;
	}
	if (s->ops->space != NULL &&
	    s->ops->space(s->ctx, mp.has_size ? mp.size : 0) != SMTPD_OK) {
		smtpd_reply(s, "452 4.3.1 Insufficient system storage");
		return;
	}
	s->tx.active = true;
	s->tx.sender = xstrdup(path.mailbox);
	s->tx.mail = mp;
	smtpd_reply(s, "250 2.1.0 Ok");
}

void
smtpd_rcpt_result(struct smtpd_session *s, enum smtpd_rcpt_kind kind)
{
	struct smtpd_tx *t = &s->tx;

	switch (kind) {
	case SMTPD_RCPT_REMOTE:
		/* RFC 5321 §3.6.2: relay only for trusted clients. */
		if (!s->set.peer_relay && s->auth_user == NULL) {
			smtpd_reply(s, "554 5.7.1 Relay access denied");
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
		smtpd_reply(s, "250 2.1.5 Ok");
		break;
	case SMTPD_RCPT_UNKNOWN:
		smtpd_reply(s, "550 5.1.1 No such user here");
		break;
	default:
		smtpd_reply(s,
		    "451 4.3.0 Recipient lookup failed, try again later");
		break;
	}
	free(t->pending.mailbox);
	memset(&t->pending, 0, sizeof(t->pending));
}

void
smtpd_cmd_rcpt(struct smtpd_session *s, char *arg, size_t len)
{
	struct smtpd_tx *t = &s->tx;
	struct smtpd_rcpt_params rp;
	struct smtpd_path path;
	const char *errreply;
	enum smtpd_path_err perr;
	enum smtpd_rcpt_kind kind;
	size_t used;
	long off;

	if ((off = skip_prefix(arg, len, "TO:")) == -1) {
		smtpd_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	perr = smtpd_path_parse(arg + off, len - (size_t)off,
	    SMTPD_PATH_POSTMASTER | SMTPD_PATH_UTF8, &path, &used);
	if (perr == SMTPD_PATH_TOOLONG) {
		smtpd_reply(s, "501 5.1.3 Recipient address too long");
		return;
	}
	if (perr != SMTPD_PATH_OK) {
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	off += (long)used;
	if (!s->esmtp && strspn(arg + off, " ") < len - (size_t)off) {
		smtpd_reply(s, "555 5.5.4 RCPT parameters need EHLO");
		return;
	}
	if (smtpd_rcpt_params_parse(arg + off, len - (size_t)off, &rp,
	    &errreply) == -1) {
		smtpd_reply(s, errreply);
		return;
	}
	if (path.utf8 && !t->mail.smtputf8) {
		smtpd_reply(s, "553 5.6.7 Non-ASCII address needs SMTPUTF8");
		return;
	}
	if (t->nrcpts >= s->set.rcpt_limit) {
		smtpd_reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	t->pending.mailbox = xstrdup(path.mailbox);
	t->pending.domain_off = path.domain_off;
	t->pending.dsn = rp;
	kind = s->ops->rcpt_lookup(s->ctx, t->pending.mailbox,
	    path.domain_off ? t->pending.mailbox + path.domain_off : "");
	if (kind == SMTPD_RCPT_PENDING) {
		s->state = SMTPD_STATE_WAIT;
		s->wait = SMTPD_WAIT_RCPT;
		return;
	}
	smtpd_rcpt_result(s, kind);
}

