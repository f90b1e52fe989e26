/*
 * cmd-auth.c: LOGIN (RFC 3501 §6.2.3) and AUTHENTICATE (§6.2.2) with the
 * SASL mechanisms PLAIN (RFC 4616), LOGIN and SCRAM-SHA-256 (RFC 5802,
 * RFC 7677), and SASL-IR (RFC 4959).
 * Password logins without TLS are refused unless plaintext_auth allows
 * them (LOGINDISABLED). Run by the imap role process.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapd/imapd-private.h"
#include "lib/log.h"
#include "lib/sasl.h"
#include "lib/scram.h"
#include "lib/util.h"
#include "mime/codec.h"
#include "store/account.h"

/* AUTHENTICATE's progress (s->auth_step). */
enum {
	STEP_PLAIN,		/* PLAIN message next */
	STEP_LOGIN_USER,	/* LOGIN user name next */
	STEP_LOGIN_PASS,	/* LOGIN password next */
	STEP_SCRAM_FIRST,	/* SCRAM client-first next */
	STEP_SCRAM_FINAL,	/* server-first sent, client-final next */
	STEP_SCRAM_ACK,		/* server-final sent, empty response next */
};

/*
 * Whether the user's INBOX and special-use folders all exist already:
 * then store_folder_tree_init would create nothing and only cost a
 * dozen directory operations and two directory fsyncs per login.
 */
static bool
tree_ready(struct imapd_session *s)
{
	static const char *const need[] = {
		"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive",
	};
	const char *err;

	for (size_t i = 0; i < nitems(need); i++)
		if (store_folder_exists(s->store, s->user, need[i], &err) != 1)
			return false;
	return true;
}

/* The verdict on a login: the tagged reply and the new state. */
static void
login_result(struct imapd_session *s, const char *tag, const char *user,
    int r, const char *canon, const char *err)
{
	if (r == -1) {
		log_warnx("imap: login %s: %s", user, err ? err : "error");
		session_tagged(s, tag, "NO", "[UNAVAILABLE] Try again later");
		return;
	}
	if (r == 0) {
		log_info("imap: login failed for %s from %s", user,
		    s->set.peer ? s->set.peer : "?");
		session_tagged(s, tag, "NO", "[AUTHENTICATIONFAILED] "
		    "Authentication failed");
		if (++s->nauthfail >= IMAPD_AUTH_FAIL_MAX) {
			out_printf(s, "* BYE Too many failures\r\n");
			s->action = IMAPD_ACT_CLOSE;
		}
		return;
	}
	session_logged_in(s, canon);
	if (!tree_ready(s) &&
	    store_folder_tree_init(s->store, s->user, &err) == -1)
		log_warnx("imap: %s: folders: %s", s->user, err);
	log_info("imap: login %s from %s", s->user,
	    s->set.peer ? s->set.peer : "?");
	out_printf(s, "%s OK [CAPABILITY ", tag);
	out_capability(s);
	out_printf(s, "] Logged in\r\n");
}

/*
 * Checks user and pass: at once, or (async_auth) by handing them to the
 * glue, which hashes the password off the event loop and calls
 * imapd_session_auth_done.
 */
static void
login_finish(struct imapd_session *s, const char *tag, const char *user,
    const char *pass)
{
	char canon[STORE_ADDR_MAX + 1];
	const char *err = NULL;
	int r;

	if (s->set.async_auth) {
		strlcpy_(s->auth_tag, tag, sizeof(s->auth_tag));
		s->auth_req_user = xstrdup(user);
		s->auth_req_pass = xstrdup(pass);
		s->action = IMAPD_ACT_AUTH;
		return;
	}
	r = store_user_verify(s->store, user, pass, canon, &err);
	login_result(s, tag, user, r, canon, err);
}

bool
imapd_session_auth_request(const struct imapd_session *s,
    const char **user_out, const char **pass_out)
{
	if (s->action != IMAPD_ACT_AUTH)
		return false;
	*user_out = s->auth_req_user;
	*pass_out = s->auth_req_pass;
	return true;
}

void
imapd_session_auth_done(struct imapd_session *s, int result,
    const char *canon)
{
	if (s->action != IMAPD_ACT_AUTH)
		return;
	s->action = IMAPD_ACT_NONE;
	login_result(s, s->auth_tag, s->auth_req_user, result, canon, NULL);
	explicit_bzero(s->auth_req_pass, strlen(s->auth_req_pass));
	free(s->auth_req_pass);
	free(s->auth_req_user);
	s->auth_req_pass = s->auth_req_user = NULL;
}

void
cmd_login(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char user[STORE_ADDR_MAX + 1], pass[STORE_PASSWORD_MAX + 1];

	if (!session_can_plaintext(s)) {
		reply(c, "NO", "[PRIVACYREQUIRED] LOGIN disabled without TLS");
		return;
	}
	if (arg_astring(c, user, sizeof(user)) == -1 ||
	    arg_astring(c, pass, sizeof(pass)) == -1 || !arg_end(c)) {
		reply(c, "BAD", "LOGIN user password");
		return;
	}
	c->pending = true;
	login_finish(s, c->tag, user, pass);
	explicit_bzero(pass, sizeof(pass));
}

static void
auth_end(struct imapd_session *s)
{
	s->cont = NULL;
	s->auth_step = 0;
	scram_server_free(&s->scram);
	if (s->auth_user != NULL) {
		explicit_bzero(s->auth_user, strlen(s->auth_user));
		free(s->auth_user);
		s->auth_user = NULL;
	}
	imapd_parser_line_mode(s->parser, false);
}

/* Decodes a client response; "=" is the empty one (RFC 4959 §3). */
static int
decode(const char *in, size_t len, struct buf *out)
{
	const char *err;

	if (len == 1 && in[0] == '=')
		return 0;
	return mime_b64_decode(in, len, MIME_B64_STRICT, out, &err);
}

/* PLAIN: [authzid] NUL authcid NUL passwd (RFC 4616 §2). */
static void
plain_finish(struct imapd_session *s, const char *tag, struct buf *b)
{
	const char *authz, *authc, *pass, *end = b->data + b->len;

	authz = b->data;
	authc = authz ? memchr(authz, '\0', b->len) : NULL;
	pass = authc ? memchr(authc + 1, '\0', (size_t)(end - authc - 1)) :
	    NULL;
	if (authc == NULL || pass == NULL ||
	    memchr(pass + 1, '\0', (size_t)(end - pass - 1)) != NULL) {
		session_tagged(s, tag, "BAD", "Malformed PLAIN response");
		return;
	}
	authc++;
	pass++;
	if (*authz != '\0' && strcmp(authz, authc) != 0) {
		session_tagged(s, tag, "NO", "[AUTHORIZATIONFAILED] "
		    "Cannot act as another user");
		return;
	}
	login_finish(s, tag, authc, pass);
}

/* A "+ " continuation carrying msg in base64. */
static void
cont_b64(struct imapd_session *s, const char *msg)
{
	char enc[SCRAM_MSG_MAX * 2];

	if (sasl_base64_encode(msg, strlen(msg), enc, sizeof(enc)) < 0)
		abort();	/* msg is at most SCRAM_MSG_MAX */
	out_printf(s, "+ %s\r\n", enc);
}

/*
 * The user's SCRAM credentials arrived (r as store_user_scram_get's):
 * send the server-first message. 0: the exchange goes on; 1: it is over.
 */
static int
scram_creds_in(struct imapd_session *s, int r, const struct scram_creds *cr,
    const char *canon)
{
	char out[SCRAM_MSG_MAX + 1];
	const char *err;

	if (r == 1) {
		free(s->auth_user);
		s->auth_user = xstrdup(canon);
	} else if (r == 0)
		scram_server_set_fake(s->scram);	/* fails at the end */
	if (r == -1 || scram_server_first(s->scram, cr, NULL, out,
	    sizeof(out), &err) == -1) {
		log_warnx("imap: SCRAM %s: credentials unavailable",
		    s->auth_user);
		session_tagged(s, s->cont_tag, "NO", "[UNAVAILABLE] Try again "
		    "later");
		return 1;
	}
	s->auth_step = STEP_SCRAM_FINAL;
	cont_b64(s, out);
	return 0;
}

bool
imapd_session_scram_request(const struct imapd_session *s,
    const char **user_out)
{
	if (s->action != IMAPD_ACT_SCRAM)
		return false;
	*user_out = s->auth_user;
	return true;
}

void
imapd_session_scram_done(struct imapd_session *s, int r,
    const struct scram_creds *creds, const char *canon)
{
	if (s->action != IMAPD_ACT_SCRAM)
		return;
	s->action = IMAPD_ACT_NONE;
	if (scram_creds_in(s, r, creds, canon) == 1)
		auth_end(s);
}

/* One SCRAM-SHA-256 message (RFC 5802 §5). 0: goes on; 1: over. */
static int
scram_step(struct imapd_session *s, const char *msg, size_t len)
{
	char out[SCRAM_MSG_MAX + 1], canon[STORE_ADDR_MAX + 1];
	struct scram_creds cr;
	const char *user, *err;
	int r;

	switch (s->auth_step) {
	case STEP_SCRAM_FIRST:
		s->scram = scram_server_new();
		if (scram_server_client_first(s->scram, msg, len, &user,
		    &err) == -1) {
			session_tagged(s, s->cont_tag, "BAD", "Invalid SCRAM "
			    "message");
			return 1;
		}
		s->auth_user = xstrdup(user);
		/* The store lookup goes where the password check goes. */
		if (s->set.async_auth) {
			s->action = IMAPD_ACT_SCRAM;
			return 0;
		}
		r = store_user_scram_get(s->store, user, &cr, canon, &err);
		r = scram_creds_in(s, r, &cr, canon);
		explicit_bzero(&cr, sizeof(cr));
		return r;
	case STEP_SCRAM_FINAL:
		r = scram_server_client_final(s->scram, msg, len, out,
		    sizeof(out), &err);
		if (r == -1) {
			session_tagged(s, s->cont_tag, "BAD", "Invalid SCRAM "
			    "message");
			return 1;
		}
		if (r == 0) {
			login_result(s, s->cont_tag, s->auth_user, 0, NULL,
			    NULL);
			return 1;
		}
		/* RFC 3501 §6.2.2: no data in the tagged OK, so the
		 * server-final message is a continuation, answered empty. */
		s->auth_step = STEP_SCRAM_ACK;
		cont_b64(s, out);
		return 0;
	default:
		if (len != 0) {
			session_tagged(s, s->cont_tag, "BAD", "Invalid SCRAM "
			    "message");
			return 1;
		}
		log_info("imap: %s authenticated with " SCRAM_MECH,
		    s->auth_user);
		login_result(s, s->cont_tag, s->auth_user, 1, s->auth_user,
		    NULL);
		return 1;
	}
}

static void
auth_cont(struct imapd_session *s, const char *line, size_t len)
{
	struct buf b;

	buf_init(&b, STORE_PASSWORD_MAX * 2 + 16);
	if (len == 1 && line[0] == '*') {
		session_tagged(s, s->cont_tag, "BAD", "Authentication "
		    "cancelled");
		goto out;
	}
	if (decode(line, len, &b) == -1) {
		session_tagged(s, s->cont_tag, "BAD", "Invalid base64");
		goto out;
	}
	if (s->auth_step >= STEP_SCRAM_FIRST) {
		if (scram_step(s, b.data ? b.data : "", b.len) == 0) {
			if (b.data != NULL)
				explicit_bzero(b.data, b.len);
			buf_free(&b);
			return;
		}
		goto out;
	}
	if (s->auth_step == STEP_PLAIN) {
		plain_finish(s, s->cont_tag, &b);
		goto out;
	}
	if (s->auth_step == STEP_LOGIN_USER) {
		s->auth_user = xstrdup(buf_cstr(&b));
		s->auth_step = STEP_LOGIN_PASS;
		out_printf(s, "+ UGFzc3dvcmQ6\r\n");	/* "Password:" */
		buf_free(&b);
		return;
	}
	login_finish(s, s->cont_tag, s->auth_user, buf_cstr(&b));
out:
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_free(&b);
	auth_end(s);
}

void
cmd_authenticate(struct imapd_session *s, struct imapd_cmdctx *c)
{
	const struct imapd_tok *mech = arg_next(c), *ir = arg_next(c);
	int step;

	if (mech == NULL || mech->type != IMAPD_TOK_ATOM || !arg_end(c) ||
	    (ir != NULL && ir->type != IMAPD_TOK_ATOM)) {
		reply(c, "BAD", "AUTHENTICATE mechanism [initial-response]");
		return;
	}
	if (!session_can_plaintext(s)) {
		reply(c, "NO", "[PRIVACYREQUIRED] Authentication needs TLS");
		return;
	}
	if (strcasecmp(mech->s, "PLAIN") == 0)
		step = STEP_PLAIN;
	else if (strcasecmp(mech->s, "LOGIN") == 0)
		step = STEP_LOGIN_USER;
	else if (strcasecmp(mech->s, SCRAM_MECH) == 0)
		step = STEP_SCRAM_FIRST;
	else {
		reply(c, "NO", "Unsupported mechanism");
		return;
	}
	c->pending = true;
	strlcpy_(s->cont_tag, c->tag, sizeof(s->cont_tag));
	s->cont = auth_cont;
	s->auth_step = step;
	imapd_parser_line_mode(s->parser, true);
	if (ir != NULL) {
		auth_cont(s, ir->s, ir->len);
		return;
	}
	out_printf(s, step == STEP_LOGIN_USER ? "+ VXNlcm5hbWU6\r\n" :
	    "+ \r\n");
}
