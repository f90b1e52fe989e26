/*
 * cmd-auth.c: STARTTLS (RFC 3207) and AUTH PLAIN / LOGIN / SCRAM-SHA-256
 * (RFC 4954, RFC 4616, RFC 5802, RFC 7677). Part of the session engine
 * (session.c), smtp role process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/scram.h"
#include "lib/util.h"
#include "smtpd/session-int.h"

#define R_BADCREDS	"535 5.7.8 Authentication credentials invalid"
#define R_BADSCRAM	"501 5.5.2 Invalid SCRAM message"

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
	char detail[SASL_FIELD_MAX + 32];
	bool scram = s->scram != NULL;

	s->state = SMTPD_STATE_CMD;
	scram_server_free(&s->scram);
	/* The log line names SCRAM logins, so one can tell them apart. */
	snprintf(detail, sizeof(detail), "%s%s", s->auth_name,
	    scram ? " (" SCRAM_MECH ")" : "");
	switch (st) {
	case SMTPD_OK:
		s->auth_user = xstrdup(s->auth_name);
		smtpd_emit(s, SMTPD_EV_AUTH_OK, detail);
		smtpd_reply(s, "235 2.7.0 Authentication successful");
		break;
	case SMTPD_PERMFAIL:
		smtpd_emit(s, SMTPD_EV_AUTH_FAIL, detail);
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

/* A 334 continuation carrying msg in base64. */
static void
put_b64(struct smtpd_session *s, const char *msg)
{
	char line[4 + SCRAM_MSG_MAX * 2];

	memcpy(line, "334 ", 4);
	if (sasl_base64_encode(msg, strlen(msg), line + 4,
	    sizeof(line) - 4) < 0)
		abort();	/* msg is at most SCRAM_MSG_MAX */
	smtpd_put_line(s, line);
}

/* One SCRAM-SHA-256 message (RFC 5802 §5), decoded. */
static void
scram_step(struct smtpd_session *s, const char *dec, size_t n)
{
	char out[SCRAM_MSG_MAX + 1], canon[SASL_FIELD_MAX + 1];
	struct scram_creds cr;
	enum smtpd_status st;
	const char *user, *err;
	int r;

	switch (s->auth_step) {
	case SMTPD_AUTH_SCRAM_FIRST:
		s->scram = scram_server_new();
		if (scram_server_client_first(s->scram, dec, n, &user,
		    &err) == -1) {
			scram_server_free(&s->scram);
			smtpd_reply(s, R_BADSCRAM);
			return;
		}
		strlcpy_(s->auth_name, user, sizeof(s->auth_name));
		/* The same place as the password check: in the loop. */
		st = s->ops->scram(s->ctx, user, &cr, canon, sizeof(canon));
		if (st == SMTPD_OK)
			strlcpy_(s->auth_name, canon, sizeof(s->auth_name));
		else if (st == SMTPD_PERMFAIL)
			scram_server_set_fake(s->scram);
		if ((st != SMTPD_OK && st != SMTPD_PERMFAIL) ||
		    scram_server_first(s->scram, &cr, NULL, out, sizeof(out),
		    &err) == -1) {
			explicit_bzero(&cr, sizeof(cr));
			scram_server_free(&s->scram);
			smtpd_auth_result(s, SMTPD_TEMPFAIL);
			return;
		}
		explicit_bzero(&cr, sizeof(cr));
		s->auth_step = SMTPD_AUTH_SCRAM_FINAL;
		s->state = SMTPD_STATE_AUTH;
		put_b64(s, out);
		return;
	case SMTPD_AUTH_SCRAM_FINAL:
		r = scram_server_client_final(s->scram, dec, n, out,
		    sizeof(out), &err);
		if (r == -1) {
			scram_server_free(&s->scram);
			smtpd_reply(s, R_BADSCRAM);
			return;
		}
		if (r == 0) {
			smtpd_auth_result(s, SMTPD_PERMFAIL);
			return;
		}
		/* RFC 4954 §4: no data with 235, so the server-final message
		 * goes in a 334 the client answers with an empty line. */
		s->auth_step = SMTPD_AUTH_SCRAM_ACK;
		s->state = SMTPD_STATE_AUTH;
		put_b64(s, out);
		return;
	default:
		if (n != 0) {
			scram_server_free(&s->scram);
			smtpd_reply(s, R_BADSCRAM);
			return;
		}
		smtpd_auth_result(s, SMTPD_OK);
		return;
	}
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
		scram_server_free(&s->scram);
		smtpd_reply(s, "501 5.0.0 Authentication cancelled");
		return;
	}
	if (len == 1 && resp[0] == '=')	/* RFC 4954 §4: empty response */
		len = 0;
	if ((n = sasl_base64_decode(resp, len, dec, sizeof(dec))) == -1) {
		scram_server_free(&s->scram);
		smtpd_reply(s, "501 5.5.2 Cannot decode response");
		return;
	}
	switch (s->auth_step) {
	case SMTPD_AUTH_SCRAM_FIRST:
	case SMTPD_AUTH_SCRAM_FINAL:
	case SMTPD_AUTH_SCRAM_ACK:
		scram_step(s, dec, (size_t)n);
		break;
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
	else if (s->ops->scram != NULL && mlen == strlen(SCRAM_MECH) &&
	    strncasecmp(arg, SCRAM_MECH, mlen) == 0)
		s->auth_step = SMTPD_AUTH_SCRAM_FIRST;
	else {
		smtpd_reply(s, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	s->auth_name[0] = '\0';
	scram_server_free(&s->scram);
	if (sp != NULL) {
		smtpd_auth_response(s, sp + 1, len - mlen - 1);
		return;
	}
	s->state = SMTPD_STATE_AUTH;
	smtpd_put_line(s, s->auth_step == SMTPD_AUTH_LOGIN_USER ?
	    "334 VXNlcm5hbWU6" : "334 ");	/* "Username:" */
}

