/*
 * cmd-auth.c: STARTTLS (RFC 3207) and AUTH PLAIN / LOGIN (RFC 4954,
 * RFC 4616). Part of the session engine (session.c), smtp role process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "smtpd/session-int.h"

#define R_BADCREDS	"535 5.7.8 Authentication credentials invalid"

void
smtpd_cmd_starttls(struct smtpd_session *s, char *arg, size_t len)
{
	char n[32];
	size_t pending;

	if (s->tls) {
		smtpd_reply(s, "503 5.5.1 TLS already active");
		return;
	}
	if (!s->set.tls_available) {
		smtpd_reply(s, "502 5.5.1 STARTTLS not available");
		return;
	}
	smtpd_put_line(s, "220 2.0.0 Ready to start TLS");
	/* RFC 3207 §6, CVE-2011-0411: nothing sent before the handshake
	 * may be read as if it came through TLS. */
	pending = s->in.len - s->in_off;
	if (pending > 0) {
		snprintf(n, sizeof(n), "%zu bytes", pending);
		smtpd_emit(s, SMTPD_EV_PLAINTEXT_DISCARDED, n);
	}
	buf_reset(&s->in);
	s->in_off = 0;
	s->state = SMTPD_STATE_TLS;
	s->actions |= SMTPD_ACT_STARTTLS;
}

/* ---- AUTH (RFC 4954) ---- */

void
smtpd_auth_result(struct smtpd_session *s, enum smtpd_status st)
{
	s->state = SMTPD_STATE_CMD;
	switch (st) {
	case SMTPD_OK:
		s->auth_user = xstrdup(s->auth_name);
		smtpd_emit(s, SMTPD_EV_AUTH_OK, s->auth_name);
		smtpd_reply(s, "235 2.7.0 Authentication successful");
		break;
	case SMTPD_PERMFAIL:
		smtpd_emit(s, SMTPD_EV_AUTH_FAIL, s->auth_name);
		smtpd_reply(s, R_BADCREDS);
		break;
	default:
		smtpd_reply(s, "454 4.7.0 Temporary authentication failure");
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
		s->state = SMTPD_STATE_WAIT;
		s->wait = SMTPD_WAIT_AUTH;
		return;
	}
	smtpd_auth_result(s, st);
}

/* One client response (the initial response or a line after 334). */
void
smtpd_auth_response(struct smtpd_session *s, const char *resp, size_t len)
{
	char dec[SMTPD_AUTH_LINE_MAX];
	char user[SASL_FIELD_MAX + 1], pass[SASL_FIELD_MAX + 1];
	long n;

	s->state = SMTPD_STATE_CMD;
	if (len == 1 && resp[0] == '*') {
		smtpd_reply(s, "501 5.0.0 Authentication cancelled");
		return;
	}
	if (len == 1 && resp[0] == '=')	/* RFC 4954 §4: empty response */
		len = 0;
	if ((n = sasl_base64_decode(resp, len, dec, sizeof(dec))) == -1) {
		smtpd_reply(s, "501 5.5.2 Cannot decode response");
		return;
	}
	switch (s->auth_step) {
	case SMTPD_AUTH_PLAIN:
		if (sasl_plain_split(dec, (size_t)n, user, sizeof(user), pass,
		    sizeof(pass)) == -1) {
			explicit_bzero(dec, sizeof(dec));
			smtpd_reply(s, R_BADCREDS);
			return;
		}
		auth_check(s, user, pass);
		break;
	case SMTPD_AUTH_LOGIN_USER:
		if ((size_t)n > SASL_FIELD_MAX ||
		    memchr(dec, '\0', (size_t)n) != NULL) {
			smtpd_reply(s, R_BADCREDS);
			return;
		}
		memcpy(s->auth_name, dec, (size_t)n + 1);
		s->auth_step = SMTPD_AUTH_LOGIN_PASS;
		s->state = SMTPD_STATE_AUTH;
		smtpd_put_line(s, "334 UGFzc3dvcmQ6");	/* "Password:" */
		break;
	case SMTPD_AUTH_LOGIN_PASS:
		if ((size_t)n > SASL_FIELD_MAX ||
		    memchr(dec, '\0', (size_t)n) != NULL) {
			explicit_bzero(dec, sizeof(dec));
			smtpd_reply(s, R_BADCREDS);
			return;
		}
		memcpy(user, s->auth_name, sizeof(user));
		auth_check(s, user, dec);
		break;
	}
	explicit_bzero(dec, sizeof(dec));
	explicit_bzero(pass, sizeof(pass));
}

void
smtpd_cmd_auth(struct smtpd_session *s, char *arg, size_t len)
{
	char *sp = memchr(arg, ' ', len);
	size_t mlen = sp ? (size_t)(sp - arg) : len;

	if (s->auth_user != NULL) {
		smtpd_reply(s, "503 5.5.1 Already authenticated");
		return;
	}
	if (!smtpd_can_auth(s)) {
		smtpd_reply(s, "538 5.7.11 Encryption required for requested "
		    "authentication mechanism");
		return;
	}
	if (mlen == 5 && strncasecmp(arg, "PLAIN", 5) == 0)
		s->auth_step = SMTPD_AUTH_PLAIN;
	else if (mlen == 5 && strncasecmp(arg, "LOGIN", 5) == 0)
		s->auth_step = SMTPD_AUTH_LOGIN_USER;
	else {
		smtpd_reply(s, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	s->auth_name[0] = '\0';
	if (sp != NULL) {
		smtpd_auth_response(s, sp + 1, len - mlen - 1);
		return;
	}
	s->state = SMTPD_STATE_AUTH;
	smtpd_put_line(s, s->auth_step == SMTPD_AUTH_PLAIN ? "334 " :
	    "334 VXNlcm5hbWU6");	/* "Username:" */
}

