/*
 * cmd-auth.c: POP3 commands of the AUTHORIZATION state and CAPA: USER,
 * PASS, APOP (RFC 1939 §7), AUTH (RFC 5034: PLAIN, LOGIN, SCRAM-SHA-256
 * of RFC 5802/7677), STLS (RFC 2595 §4), CAPA
 * (RFC 2449 §5), UTF8 and LANG (RFC 6856 §2, §3) and QUIT (RFC 1939 §5,
 * §6). Part of the session engine run by the pop3 role.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "lib/sasl.h"
#include "lib/scram.h"
#include "pop3d/session-private.h"

/* Base64 of the longest PLAIN message we take, plus its NUL. */
#define SASL_DECODED_MAX (2 * POP3D_USER_MAX + POP3D_PASS_MAX + 3)

void
pop3d_cmd_capa(struct pop3d_session *s, int argc, char **argv)
{
	bool pw = pop3d_passwords_ok(s);

	/* RFC 2449 §5: what works in AUTHORIZATION is listed in both
	 * states. STLS is left out after login (and once TLS is on), since
	 * it is refused then (RFC 2595 §4). */
	pop3d_reply(s, "+OK Capability list follows");
	pop3d_reply(s, "TOP");
	pop3d_reply(s, "UIDL");
	pop3d_reply(s, "RESP-CODES");
	pop3d_reply(s, "AUTH-RESP-CODE");
	pop3d_reply(s, "PIPELINING");
	/* RFC 2449 §6.7: how long retrieved mail may stay (pop3_expire);
	 * §6.5: the least time between logins (pop3_login_delay). Both are
	 * the same for every user, so no "USER" argument is needed. */
	if (s->set.expire_days < 0)
		pop3d_reply(s, "EXPIRE NEVER");
	else
		pop3d_reply(s, "EXPIRE %d", s->set.expire_days);
	pop3d_reply(s, "LOGIN-DELAY %u", s->set.login_delay_s);
	if (pw) {
		/* RFC 2595 §6: no PLAIN (nor USER) where passwords may not
		 * be sent in the clear. */
		pop3d_reply(s, "USER");
		pop3d_reply(s, "SASL " SCRAM_MECH " PLAIN LOGIN");
	}
	if (s->set.tls_offered && !s->set.tls_active &&
	    s->state == POP3D_STATE_AUTHORIZATION)
		pop3d_reply(s, "STLS");
	/* RFC 6856: messages go out as stored, 8-bit clean, so UTF-8
	 * header fields need nothing more than UTF8 mode. No "USER"
	 * argument: user names are addresses in the store's normal form. */
	pop3d_reply(s, "UTF8");
	pop3d_reply(s, "LANG");
	pop3d_reply(s, "IMPLEMENTATION Postern");
	pop3d_reply(s, ".");
}

void
pop3d_cmd_utf8(struct pop3d_session *s, int argc, char **argv)
{
	/* RFC 6856 §2: UTF8 mode, asked for before login. The stored
	 * messages are sent byte for byte in either mode; the flag only
	 * records that the client reads UTF-8 header fields. */
	s->utf8 = true;
	pop3d_reply(s, "+OK UTF8 mode enabled");
}

void
pop3d_cmd_lang(struct pop3d_session *s, int argc, char **argv)
{
	/* RFC 6856 §3: our replies are in English only. "*" asks for the
	 * server's default, which is that. */
	if (argc == 1) {
		pop3d_reply(s, "+OK Language listing follows");
		pop3d_reply(s, "en English");
		pop3d_reply(s, ".");
		return;
	}
	if (strcmp(argv[1], "*") == 0 || strcasecmp(argv[1], "en") == 0) {
		pop3d_reply(s, "+OK Language is en");
		return;
	}
	pop3d_reply(s, "-ERR Unsupported language");
}

void
pop3d_cmd_user(struct pop3d_session *s, int argc, char **argv)
{
	if (strlcpy_(s->user, argv[1], sizeof(s->user)) >= sizeof(s->user)) {
		s->have_user = false;
		pop3d_bad(s, "User name too long");
		return;
	}
	s->have_user = true;
	pop3d_reply(s, "+OK Send your password");
}

/* Hands user and pass (already in s) to the glue. */
static void
auth_start(struct pop3d_session *s)
{
	pop3d_act(s, POP3D_ACT_AUTH);
	s->act.user = s->user;
	s->act.pass = s->pass;
}

/* Hands the SCRAM verdict on s->user to the glue: the same login path
 * (maildrop, failure delays and counts) as a password. */
static void
scram_verdict(struct pop3d_session *s, bool ok)
{
	pop3d_sasl_end(s);
	pop3d_act(s, POP3D_ACT_AUTH);
	s->act.user = s->user;
	s->act.scram = ok ? 1 : -1;
}

void
pop3d_sasl_end(struct pop3d_session *s)
{
	s->sasl = POP3D_SASL_NONE;
	scram_server_free(&s->scram);
}

void
pop3d_cmd_pass(struct pop3d_session *s, int argc, char **argv)
{
	/* RFC 1939 §7: PASS only right after a successful USER. */
	if (!s->have_user) {
		pop3d_bad(s, "No user name given (USER first)");
		return;
	}
	s->have_user = false;
	if (strlcpy_(s->pass, argv[1], sizeof(s->pass)) >= sizeof(s->pass)) {
		explicit_bzero(s->pass, sizeof(s->pass));
		pop3d_bad(s, "Password too long");
		return;
	}
	auth_start(s);
}

void
pop3d_cmd_apop(struct pop3d_session *s, int argc, char **argv)
{
	/* RFC 1939 §7 makes APOP optional. Passwords are kept as one-way
	 * hashes, so there is no secret to check a digest against; the
	 * greeting has no timestamp, which tells clients as much. */
	pop3d_reply(s, "-ERR [AUTH] APOP not supported");
}

/* The SASL mechanisms we know; NULL: none. */
static enum pop3d_sasl
mechanism(const char *name)
{
	if (strcasecmp(name, "PLAIN") == 0)
		return POP3D_SASL_PLAIN;
	if (strcasecmp(name, "LOGIN") == 0)
		return POP3D_SASL_LOGIN_USER;
	if (strcasecmp(name, SCRAM_MECH) == 0)
		return POP3D_SASL_SCRAM_FIRST;
	return POP3D_SASL_NONE;
}

/* A "+ " continuation carrying msg in base64. */
static void
reply_b64(struct pop3d_session *s, const char *msg)
{
	char enc[SCRAM_MSG_MAX * 2];

	if (sasl_base64_encode(msg, strlen(msg), enc, sizeof(enc)) < 0)
		abort();	/* msg is at most SCRAM_MSG_MAX */
	pop3d_reply(s, "+ %s", enc);
}

/* A SASL step's base64 text: with "=" the empty response (RFC 5034 §4). */
static int
decode(const char *in, size_t len, char *out, size_t outlen, size_t *n_out)
{
	if (len == 1 && in[0] == '=') {
		out[0] = '\0';
		*n_out = 0;
		return 0;
	}
	long n = sasl_base64_decode(in, len, out, outlen);

	if (n < 0)
		return -1;
	*n_out = (size_t)n;
	return 0;
}

/* One SCRAM-SHA-256 message (RFC 5802 §5) from the client. */
static void
scram_step(struct pop3d_session *s, const char *dec, size_t n)
{
	char out[SCRAM_MSG_MAX + 1];
	const char *user, *err;
	int r;

	switch (s->sasl) {
	case POP3D_SASL_SCRAM_FIRST:
		s->scram = scram_server_new();
		if (scram_server_client_first(s->scram, dec, n, &user,
		    &err) == -1 ||
		    strlcpy_(s->user, user, sizeof(s->user)) >= sizeof(s->user)) {
			pop3d_sasl_end(s);
			pop3d_reply(s, "-ERR [AUTH] Invalid SCRAM message");
			return;
		}
		/* The credentials come from the store, off the loop. */
		s->sasl = POP3D_SASL_SCRAM_FINAL;
		pop3d_act(s, POP3D_ACT_SCRAM);
		s->act.user = s->user;
		return;
	case POP3D_SASL_SCRAM_FINAL:
		r = scram_server_client_final(s->scram, dec, n, out,
		    sizeof(out), &err);
		if (r == -1) {
			pop3d_sasl_end(s);
			pop3d_reply(s, "-ERR [AUTH] Invalid SCRAM message");
			return;
		}
		if (r == 0) {
			scram_verdict(s, false);
			return;
		}
		/* RFC 5034 §4: the server-final message goes in a
		 * continuation; the client answers it with an empty line. */
		s->sasl = POP3D_SASL_SCRAM_ACK;
		reply_b64(s, out);
		return;
	default:
		if (n != 0) {
			pop3d_sasl_end(s);
			pop3d_reply(s, "-ERR [AUTH] Invalid SCRAM message");
			return;
		}
		scram_verdict(s, true);
		return;
	}
}

void
pop3d_session_scram_done(struct pop3d_session *s, int r,
    const struct scram_creds *creds, const char *canon)
{
	char out[SCRAM_MSG_MAX + 1];
	const char *err;

	assert(s->pending == POP3D_ACT_SCRAM);
	memset(&s->act, 0, sizeof(s->act));
	s->pending = POP3D_ACT_NONE;
	if (r == -1) {
		pop3d_sasl_end(s);
		pop3d_reply(s, "-ERR [SYS/TEMP] Temporary failure, try again "
		    "later");
		return;
	}
	/* No credentials: run on with stand-ins to the failing end, as a
	 * wrong password would. */
	if (r == 0)
		scram_server_set_fake(s->scram);
	else
		strlcpy_(s->user, canon, sizeof(s->user));
	if (scram_server_first(s->scram, creds, NULL, out, sizeof(out),
	    &err) == -1) {
		pop3d_sasl_end(s);
		pop3d_reply(s, "-ERR [SYS/TEMP] Temporary failure, try again "
		    "later");
		return;
	}
	reply_b64(s, out);
}

/* Takes one SASL response (initial or continued) for s->sasl. */
static void
sasl_step(struct pop3d_session *s, const char *in, size_t len)
{
	char dec[SASL_DECODED_MAX + 1];
	size_t n;

	if (decode(in, len, dec, sizeof(dec), &n) == -1) {
		pop3d_sasl_end(s);
		pop3d_bad(s, "Invalid base64 data");
		return;
	}
	switch (s->sasl) {
	case POP3D_SASL_SCRAM_FIRST:
	case POP3D_SASL_SCRAM_FINAL:
	case POP3D_SASL_SCRAM_ACK:
		scram_step(s, dec, n);
		break;
	case POP3D_SASL_PLAIN:
		s->sasl = POP3D_SASL_NONE;
		if (sasl_plain_split(dec, n, s->user, sizeof(s->user),
		    s->pass, sizeof(s->pass)) == -1) {
			pop3d_reply(s, "-ERR [AUTH] Invalid PLAIN message");
			break;
		}
		auth_start(s);
		break;
	case POP3D_SASL_LOGIN_USER:
		if (n == 0 || n >= sizeof(s->user) || memchr(dec, '\0', n)) {
			s->sasl = POP3D_SASL_NONE;
			pop3d_reply(s, "-ERR [AUTH] Invalid user name");
			break;
		}
		memcpy(s->user, dec, n + 1);
		s->sasl = POP3D_SASL_LOGIN_PASS;
		pop3d_reply(s, "+ " SASL_PROMPT_PASS);
		break;
	case POP3D_SASL_LOGIN_PASS:
		s->sasl = POP3D_SASL_NONE;
		if (n == 0 || n >= sizeof(s->pass) || memchr(dec, '\0', n)) {
			pop3d_reply(s, "-ERR [AUTH] Invalid password");
			break;
		}
		memcpy(s->pass, dec, n + 1);
		auth_start(s);
		break;
	case POP3D_SASL_NONE:
		break;
	}
	explicit_bzero(dec, sizeof(dec));
}

void
pop3d_sasl_line(struct pop3d_session *s, char *line, size_t len)
{
	/* RFC 5034 §4: "*" cancels the exchange. */
	if (len == 1 && line[0] == '*') {
		pop3d_sasl_end(s);
		pop3d_reply(s, "-ERR Authentication cancelled");
		return;
	}
	sasl_step(s, line, len);
}

void
pop3d_cmd_auth(struct pop3d_session *s, int argc, char **argv)
{
	enum pop3d_sasl m;

	if (argc == 1) {
		/* Not in RFC 5034, but the RFC 1734 habit many clients
		 * (fetchmail among them) still probe with. */
		pop3d_reply(s, "+OK Mechanisms follow");
		if (pop3d_passwords_ok(s)) {
			pop3d_reply(s, SCRAM_MECH);
			pop3d_reply(s, "PLAIN");
			pop3d_reply(s, "LOGIN");
		}
		pop3d_reply(s, ".");
		return;
	}
	if ((m = mechanism(argv[1])) == POP3D_SASL_NONE) {
		pop3d_bad(s, "Unknown authentication mechanism");
		return;
	}
	if (!pop3d_passwords_ok(s)) {
		pop3d_reply(s, "-ERR [AUTH] Plaintext authentication "
		    "disallowed on non-secure (SSL/TLS) connections");
		return;
	}
	s->have_user = false;
	pop3d_sasl_end(s);
	s->sasl = m;
	if (argc == 3) {
		sasl_step(s, argv[2], strlen(argv[2]));
		return;
	}
	if (m == POP3D_SASL_SCRAM_FIRST) {
		pop3d_reply(s, "+ ");
		return;
	}
	pop3d_reply(s, "+ %s", m == POP3D_SASL_PLAIN ? "" :
	    SASL_PROMPT_USER);
}

void
pop3d_cmd_stls(struct pop3d_session *s, int argc, char **argv)
{
	if (!s->set.tls_offered || s->set.tls_active) {
		pop3d_bad(s, s->set.tls_active ? "TLS already active" :
		    "STLS not available");
		return;
	}
	pop3d_reply(s, "+OK Begin TLS negotiation");
	/* RFC 2595 §4: bytes pipelined after STLS are not to be trusted. */
	lr_discard(&s->lr);
	pop3d_act(s, POP3D_ACT_STARTTLS);
}

void
pop3d_cmd_quit(struct pop3d_session *s, int argc, char **argv)
{
	uint32_t *d, *r;
	size_t nd = 0, nr = 0;

	if (s->state == POP3D_STATE_AUTHORIZATION) {
		/* RFC 1939 §5: QUIT before login ends without UPDATE. */
		pop3d_reply(s, "+OK %s POP3 server signing off", s->hostname);
		s->closing = true;
		return;
	}
	/* RFC 1939 §6: only now do the deletions take effect. */
	s->state = POP3D_STATE_UPDATE;
	d = s->dele = xcalloc(s->nmsgs ? s->nmsgs : 1, sizeof(*d));
	r = s->seen = xcalloc(s->nmsgs ? s->nmsgs : 1, sizeof(*r));
	for (size_t i = 0; i < s->nmsgs; i++) {
		if (s->msgs[i].deleted)
			d[nd++] = s->msgs[i].uid;
		else if (s->msgs[i].retrieved)
			r[nr++] = s->msgs[i].uid;
	}
	pop3d_act(s, POP3D_ACT_UPDATE);
	s->act.dele = d;
	s->act.ndele = nd;
	s->act.seen = r;
	s->act.nseen = nr;
}
