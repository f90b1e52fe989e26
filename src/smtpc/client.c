/*
 * client.c: the SMTP client session engine (see client.h). RFC 5321,
 * 2920, 3207, 1870, 6152, 6531, 3461, 4954, 4616 (and LOGIN,
 * draft-murchison-sasl-login). No I/O: it runs inside the
 * queue role's relay glue (src/queue/remote.c) and in tests and fuzzers.
 *
 * Written as "enter a state, send its command; on a reply, pick the next
 * state" (STYLE §6). This file is the session (greeting, EHLO/HELO,
 * STARTTLS, AUTH, replies, events); xact.c is the message transaction.
 */
#include "smtpc/client.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/sasl.h"
#include "lib/scram.h"
#include "lib/util.h"
#include "mime/codec.h"
#include "smtpc/client-int.h"
#include "smtpc/reply.h"

static void on_reply(struct smtpc *c, const struct smtpc_reply *r);

/* ---- output --------------------------------------------------------- */

void
smtpc_emit(struct smtpc *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&c->out, fmt, ap) == -1)
		abort();	/* bounded by OUT_MAX: cannot happen */
	va_end(ap);
}

/* Whether s can go inside <...> on a command line: no controls, no
 * space, no angle brackets (so nothing can end the command early). */
bool
smtpc_path_ok(const char *s, bool utf8)
{
	size_t n = 0;

	for (; *s; s++, n++) {
		unsigned char ch = (unsigned char)*s;
		if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>' ||
		    (ch >= 0x80 && !utf8))
			return false;
	}
	return n < ADDR_MAX;
}

/* ENVID and ORCPT are xtext (RFC 3461 §4): printable ASCII, no '=', '+'
 * escapes, no spaces. */
bool
smtpc_xtext_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return n > 0 && n <= PARAM_MAX;
}

/* ---- ending the session ---------------------------------------------- */

void
smtpc_set_result(struct smtpc_rcpt *rc, int code, bool remote, const char *status,
    const char *text)
{
	rc->code = code;
	rc->remote = remote;
	strlcpy_(rc->status, status, sizeof(rc->status));
	strlcpy_(rc->text, text, sizeof(rc->text));
}

void
smtpc_set_reply_result(struct smtpc_rcpt *rc, const struct smtpc_reply *r)
{
	char line[SMTPC_RESULT_MAX];

	smtpc_reply_format(r, line, sizeof(line));
	smtpc_set_result(rc, r->code, true, r->status, line);
}

void
smtpc_xact_end(struct smtpc *c)
{
	free(c->pend);
	free(c->rst);
	c->pend = NULL;
	c->rst = NULL;
	c->npend = c->phead = 0;
	c->msg = NULL;
	buf_free(&c->conv);
	c->events |= EVB_DONE;
}

/* The session is over: every recipient still open gets a temporary
 * result (a 250 to RCPT means nothing before the final 250). */
static void
close_with(struct smtpc *c, int code, const char *fmt, ...)
{
	va_list ap;

	if (c->state == S_CLOSED)
		return;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	c->error_code = code;
	if (c->msg != NULL) {
		for (size_t i = 0; i < c->msg->nrcpts; i++)
			if (c->rst[i] != R_FINAL)
				smtpc_set_result(&c->msg->rcpts[i],
				    code / 100 == 4 ? code : 451, code != 0,
				    "4.4.2", c->error);
		smtpc_xact_end(c);
	}
	c->state = S_CLOSED;
	c->events &= ~(EVB_READY | EVB_STARTTLS);
	c->events |= EVB_CLOSED;
}

/* Closes after a reply the session cannot go on from, politely. */
void
smtpc_close_reply(struct smtpc *c, const char *what, const struct smtpc_reply *r)
{
	char line[SMTPC_RESULT_MAX];

	smtpc_reply_format(r, line, sizeof(line));
	if (r->code != 421)
		smtpc_emit(c, "QUIT\r\n");
	close_with(c, r->code, "%s: %s", what, line);
}

/* ---- session states ------------------------------------------------- */

void
smtpc_enter_ready(struct smtpc *c)
{
	c->state = S_READY;
	c->events |= EVB_READY;
}

static void
enter_ehlo(struct smtpc *c)
{
	c->ext = 0;
	c->size_max = 0;
	smtpc_emit(c, "EHLO %s\r\n", c->helo);
	c->state = S_EHLO;
}

static void
enter_helo(struct smtpc *c)
{
	smtpc_emit(c, "HELO %s\r\n", c->helo);
	c->state = S_HELO;
}

/* Sends "PREFIX" and base64 of parts[0] NUL parts[1] ... on one line;
 * -1 when the credentials do not fit (the session is closed then). */
static int
emit_b64(struct smtpc *c, const char *prefix, const char *const *parts,
    size_t nparts)
{
	struct buf raw, b64;
	int rv = 0;

	buf_init(&raw, AUTH_RAW_MAX);
	buf_init(&b64, AUTH_RAW_MAX / 3 * 4 + 8);
	for (size_t i = 0; i < nparts && rv == 0; i++)
		if ((i > 0 && buf_putc(&raw, '\0') == -1) ||
		    buf_puts(&raw, parts[i]) == -1)
			rv = -1;
	if (rv == 0 && mime_b64_encode(raw.data, raw.len, 0, &b64) == -1)
		rv = -1;
	if (rv == -1) {
		smtpc_emit(c, "QUIT\r\n");
		close_with(c, 0, "credentials too long");
	} else
		smtpc_emit(c, "%s%s\r\n", prefix, buf_cstr(&b64));
	if (raw.data != NULL)
		explicit_bzero(raw.data, raw.len);
	if (b64.data != NULL)
		explicit_bzero(b64.data, b64.len);
	buf_free(&raw);
	buf_free(&b64);
	return rv;
}

static void enter_auth(struct smtpc *c);

/* Sends prefix and base64 of msg (a SCRAM message) on one line. */
static void
emit_msg_b64(struct smtpc *c, const char *prefix, const char *msg,
    size_t len)
{
	char enc[SCRAM_MSG_MAX * 2];

	if (sasl_base64_encode(msg, len, enc, sizeof(enc)) < 0)
		abort();	/* SCRAM messages are at most SCRAM_MSG_MAX */
	smtpc_emit(c, "%s%s\r\n", prefix, enc);
}

/* AUTH SCRAM-SHA-256 with the client-first message as the initial
 * response (RFC 4954 §4). -1 when these credentials cannot use it. */
static int
scram_start(struct smtpc *c)
{
	char m[SCRAM_MSG_MAX + 1];
	const char *err;
	long n;

	scram_client_free(&c->scram);
	c->scram = scram_client_new(c->auth_user, c->auth_pass, NULL, &err);
	if (c->scram == NULL)
		return -1;
	if ((n = scram_client_first(c->scram, m, sizeof(m))) < 0) {
		scram_client_free(&c->scram);
		return -1;
	}
	emit_msg_b64(c, "AUTH " SCRAM_MECH " ", m, (size_t)n);
	c->state = S_AUTH_SCRAM_FIRST;
	return 0;
}

/* A 334 during SCRAM: server-first, then server-final (RFC 5802 §5). */
static void
scram_reply(struct smtpc *c, const struct smtpc_reply *r)
{
	char dec[SCRAM_MSG_MAX + 1], m[SCRAM_MSG_MAX + 1];
	const char *err = "malformed challenge";
	long n, k = -1;

	if (r->code != 334) {
		scram_client_free(&c->scram);
		/* A refusal (an account from before the server kept SCRAM
		 * credentials, say) falls back to what else is offered; an
		 * attacker able to force this could as well hide SCRAM. */
		if (r->code == 535 && (c->ext & (SMTPC_EXT_AUTH_PLAIN |
		    SMTPC_EXT_AUTH_LOGIN))) {
			c->ext &= ~SMTPC_EXT_AUTH_SCRAM;
			enter_auth(c);
			return;
		}
		smtpc_close_reply(c, "AUTH", r);
		return;
	}
	n = sasl_base64_decode(r->text, strlen(r->text), dec, sizeof(dec));
	if (c->state == S_AUTH_SCRAM_FIRST) {
		if (n >= 0 && (k = scram_client_final(c->scram, dec, (size_t)n,
		    m, sizeof(m), &err)) >= 0) {
			emit_msg_b64(c, "", m, (size_t)k);
			c->state = S_AUTH_SCRAM_FINAL;
			return;
		}
	} else if (n >= 0 && scram_client_verify(c->scram, dec, (size_t)n,
	    &err) == 0) {
		/* The server knows our credentials: answer its final
		 * message with the empty response, then 235 is due. */
		scram_client_free(&c->scram);
		smtpc_emit(c, "\r\n");
		c->state = S_AUTH;
		return;
	}
	/* RFC 4954 §4: "*" cancels; a server that cannot prove itself is
	 * an authentication failure, whatever it says next. */
	scram_client_free(&c->scram);
	smtpc_emit(c, "*\r\nQUIT\r\n");
	close_with(c, 0, "AUTH " SCRAM_MECH ": %s", err);
}

static void
enter_auth(struct smtpc *c)
{
	if (c->auth_user == NULL) {
		smtpc_enter_ready(c);
		return;
	}
	if (!c->tls_active && !c->auth_plaintext) {
		smtpc_emit(c, "QUIT\r\n");
		close_with(c, 0, "refusing to send credentials without TLS");
		return;
	}
	/* SCRAM-SHA-256 first: the password never crosses the wire and
	 * the server proves it knows the credentials too. Our SASLprep
	 * takes printable ASCII only; other credentials go by PLAIN. */
	if ((c->ext & SMTPC_EXT_AUTH_SCRAM) && scram_start(c) == 0)
		return;
	if (c->state == S_CLOSED)
		return;
	if (c->ext & SMTPC_EXT_AUTH_PLAIN) {
		/* RFC 4616: authzid NUL authcid NUL passwd (an empty
		 * authzid), as the initial response (RFC 4954 §4). */
		const char *parts[] = { "", c->auth_user, c->auth_pass };

		if (emit_b64(c, "AUTH PLAIN ", parts, nitems(parts)) == 0)
			c->state = S_AUTH;
	} else if (c->ext & SMTPC_EXT_AUTH_LOGIN) {
		/* LOGIN: the server asks (334) for the user, then the
		 * password, each sent base64 on a line of its own. No
		 * initial response: not every LOGIN server takes one. */
		smtpc_emit(c, "AUTH LOGIN\r\n");
		c->state = S_AUTH_LOGIN_USER;
	} else {
		smtpc_emit(c, "QUIT\r\n");
		close_with(c, 0, "server offers none of AUTH " SCRAM_MECH
		    ", PLAIN, LOGIN");
	}
}

static void
after_ehlo(struct smtpc *c)
{
	if (!c->tls_active && c->tls != SMTPC_TLS_NONE &&
	    (c->ext & SMTPC_EXT_STARTTLS)) {
		smtpc_emit(c, "STARTTLS\r\n");
		c->state = S_STARTTLS;
	} else if (!c->tls_active && c->tls == SMTPC_TLS_MUST) {
		smtpc_emit(c, "QUIT\r\n");
		close_with(c, 0, "TLS is required and the server offers no "
		    "STARTTLS");
	} else
		enter_auth(c);
}

/* RFC 4954 §3: "AUTH" then the mechanisms, space separated (old
 * servers wrote "AUTH=LOGIN PLAIN": '=' separates as well). */
static void
parse_auth(struct smtpc *c, const char *p, size_t n)
{
	size_t i = 0, w;

	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == '='))
			i++;
		for (w = i; w < n && p[w] != ' ' && p[w] != '='; w++)
			;
		if (w - i == 5 && strncasecmp(p + i, "PLAIN", 5) == 0)
			c->ext |= SMTPC_EXT_AUTH_PLAIN;
		else if (w - i == strlen(SCRAM_MECH) &&
		    strncasecmp(p + i, SCRAM_MECH, w - i) == 0)
			c->ext |= SMTPC_EXT_AUTH_SCRAM;
		else if (w - i == 5 && strncasecmp(p + i, "LOGIN", 5) == 0)
			c->ext |= SMTPC_EXT_AUTH_LOGIN;
		i = w;
	}
}

/* RFC 5321 §4.1.1.1: the EHLO reply's lines after the first name
 * extensions, keyword first. */
static void
parse_ehlo(struct smtpc *c, const struct smtpc_reply *r)
{
	const char *p = strchr(r->text, '\n');

	c->ext = SMTPC_EXT_ESMTP;
	while (p != NULL) {
		const char *line = p + 1, *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line), kw;
		char tmp[128];

		p = end;
		for (kw = 0; kw < n && line[kw] != ' ' && line[kw] != '='; kw++)
			;
#define IS(word) (kw == strlen(word) && strncasecmp(line, word, kw) == 0)
		if (IS("PIPELINING"))
			c->ext |= SMTPC_EXT_PIPELINING;
		else if (IS("8BITMIME"))
			c->ext |= SMTPC_EXT_8BITMIME;
		else if (IS("SMTPUTF8"))
			c->ext |= SMTPC_EXT_SMTPUTF8;
		else if (IS("STARTTLS"))
			c->ext |= SMTPC_EXT_STARTTLS;
		else if (IS("DSN"))
			c->ext |= SMTPC_EXT_DSN;
		else if (IS("CHUNKING"))
			c->ext |= SMTPC_EXT_CHUNKING;
		else if (IS("SIZE")) {
			c->ext |= SMTPC_EXT_SIZE;
			/* RFC 1870 §4: SIZE [limit], 0 meaning none. */
			if (n > kw + 1 && n - kw - 1 < sizeof(tmp)) {
				memcpy(tmp, line + kw + 1, n - kw - 1);
				tmp[n - kw - 1] = '\0';
				c->size_max = strtoull(tmp, NULL, 10);
			}
		} else if (IS("AUTH"))
			parse_auth(c, line + kw, n - kw);
#undef IS
	}
}

/* ---- replies ---------------------------------------------------------- */

static void
on_reply(struct smtpc *c, const struct smtpc_reply *r)
{
	switch (c->state) {
	case S_GREETING:
		if (r->code / 100 == 2)
			enter_ehlo(c);
		else
			smtpc_close_reply(c, "greeting", r);
		break;
	case S_EHLO:
		if (r->code == 250) {
			parse_ehlo(c, r);
			after_ehlo(c);
		} else if (r->code / 100 == 5)
			enter_helo(c);	/* RFC 5321 §3.2: an old server */
		else
			smtpc_close_reply(c, "EHLO", r);
		break;
	case S_HELO:
		if (r->code == 250) {
			c->ext = 0;
			after_ehlo(c);
		} else
			smtpc_close_reply(c, "HELO", r);
		break;
	case S_STARTTLS:
		if (r->code == 220) {
			/* RFC 3207 §4.2: whatever the server sent after the
			 * 220 was sent in clear and must not count. */
			smtpc_reply_discard(&c->rp);
			c->state = S_TLS;
			c->events |= EVB_STARTTLS;
		} else if (c->tls == SMTPC_TLS_MUST)
			smtpc_close_reply(c, "STARTTLS (TLS is required)", r);
		else
			enter_auth(c);
		break;
	case S_AUTH:
		if (r->code == 235)
			smtpc_enter_ready(c);
		else
			smtpc_close_reply(c, "AUTH", r);
		break;
	case S_AUTH_SCRAM_FIRST:
	case S_AUTH_SCRAM_FINAL:
		scram_reply(c, r);
		break;
	case S_AUTH_LOGIN_USER:
	case S_AUTH_LOGIN_PASS:
		/* The 334's text is the server's prompt: not needed, and
		 * not trusted (it could ask for anything). */
		if (r->code == 334) {
			const char *part = c->state == S_AUTH_LOGIN_USER ?
			    c->auth_user : c->auth_pass;

			if (emit_b64(c, "", &part, 1) == 0)
				c->state = c->state == S_AUTH_LOGIN_USER ?
				    S_AUTH_LOGIN_PASS : S_AUTH;
		} else
			smtpc_close_reply(c, "AUTH", r);
		break;
	case S_XACT:
	case S_BODY:
		smtpc_xact_reply(c, r);
		break;
	case S_RSET:
		if (r->code / 100 == 2)
			smtpc_enter_ready(c);
		else
			smtpc_close_reply(c, "RSET", r);
		break;
	case S_QUIT:
		close_with(c, 0, "%s", "");
		break;
	case S_READY:
		smtpc_close_reply(c, "unexpected reply", r);
		break;
	case S_TLS:
	case S_CLOSED:
		break;
	}
}

void
smtpc_push(struct smtpc *c, const void *data, size_t len)
{
	const char *p = data, *errstr;
	struct smtpc_reply r;
	size_t took;
	int rv;

	while (c->state != S_CLOSED && c->state != S_TLS) {
		took = len > 0 ? smtpc_reply_push(&c->rp, p, len) : 0;
		p += took;
		len -= took;
		while (c->state != S_CLOSED && c->state != S_TLS &&
		    (rv = smtpc_reply_next(&c->rp, &r, &errstr)) != 0) {
			if (rv == -1) {
				close_with(c, 0, "protocol error: %s", errstr);
				return;
			}
			on_reply(c, &r);
		}
		if (len == 0)
			break;
	}
	/* In S_TLS the rest of this read is plaintext after the 220: it is
	 * dropped with the rest (RFC 3207 §4.2). */
}

void
smtpc_eof(struct smtpc *c)
{
	if (c->state == S_QUIT)
		close_with(c, 0, "%s", "");
	else
		close_with(c, 0, "connection closed by the server");
}

void
smtpc_fail(struct smtpc *c, const char *why)
{
	close_with(c, 0, "%s", why);
}

void
smtpc_tls_done(struct smtpc *c, bool ok)
{
	assert(c->state == S_TLS);
	if (!ok) {
		close_with(c, 0, "TLS handshake failed");
		return;
	}
	c->tls_active = true;
	smtpc_reply_discard(&c->rp);
	enter_ehlo(c);	/* RFC 3207 §4.2: forget what was learnt */
}

void
smtpc_quit(struct smtpc *c)
{
	assert(c->state == S_READY);
	c->events &= ~EVB_READY;
	smtpc_emit(c, "QUIT\r\n");
	c->state = S_QUIT;
}

enum smtpc_event
smtpc_event(struct smtpc *c)
{
	static const struct { unsigned bit; enum smtpc_event ev; } order[] = {
		{ EVB_STARTTLS, SMTPC_EV_STARTTLS },
		{ EVB_DONE, SMTPC_EV_DONE },
		{ EVB_READY, SMTPC_EV_READY },
		{ EVB_CLOSED, SMTPC_EV_CLOSED },
	};

	for (size_t i = 0; i < nitems(order); i++)
		if (c->events & order[i].bit) {
			/* CLOSED stays: nothing can follow it. */
			if (order[i].bit != EVB_CLOSED)
				c->events &= ~order[i].bit;
			else
				c->events = 0;
			return order[i].ev;
		}
	return SMTPC_EV_NONE;
}

const char *
smtpc_output(const struct smtpc *c, size_t *len_out)
{
	*len_out = c->out.len;
	return buf_cstr(&c->out);
}

void
smtpc_output_consume(struct smtpc *c, size_t n)
{
	buf_consume(&c->out, n);
	if (c->state == S_BODY)
		smtpc_fill_body(c);
}

int
smtpc_timeout(const struct smtpc *c)
{
	if (c->state == S_GREETING)
		return SMTPC_TIMEOUT_GREETING;
	if (c->state == S_BODY)
		return SMTPC_TIMEOUT_BLOCK;
	if (c->state == S_XACT && c->phead < c->npend) {
		switch (c->pend[c->npend - 1].kind) {
		case P_DOT:
			return SMTPC_TIMEOUT_DOT;
		case P_BDAT:
			return c->pend[c->npend - 1].idx == 1 ?
			    SMTPC_TIMEOUT_DOT : SMTPC_TIMEOUT_BLOCK;
		case P_DATA:
			return c->pend[c->phead].kind == P_DATA ?
			    SMTPC_TIMEOUT_DATA : SMTPC_TIMEOUT_RCPT;
		case P_RCPT:
			return SMTPC_TIMEOUT_RCPT;
		case P_MAIL:
			return SMTPC_TIMEOUT_MAIL;
		}
	}
	return SMTPC_TIMEOUT_MAIL;
}

const char *
smtpc_error(const struct smtpc *c)
{
	return c->error;
}

int
smtpc_error_code(const struct smtpc *c)
{
	return c->error_code;
}

unsigned
smtpc_extensions(const struct smtpc *c)
{
	return c->ext;
}

bool
smtpc_tls_active(const struct smtpc *c)
{
	return c->tls_active;
}

struct smtpc *
smtpc_new(const struct smtpc_settings *s)
{
	struct smtpc *c = xcalloc(1, sizeof(*c));

	c->helo = xstrdup(s->helo);
	c->auth_user = s->auth_user ? xstrdup(s->auth_user) : NULL;
	c->auth_pass = s->auth_pass ? xstrdup(s->auth_pass) : NULL;
	c->tls = s->tls;
	c->tls_active = s->tls_active;
	c->auth_plaintext = s->auth_plaintext;
	c->state = S_GREETING;
	smtpc_reply_init(&c->rp);
	buf_init(&c->out, OUT_MAX);
	buf_init(&c->chunk, 2 * BODY_CHUNK + 16);
	return c;
}

void
smtpc_free(struct smtpc **cp)
{
	struct smtpc *c = *cp;

	if (c == NULL)
		return;
	free(c->pend);
	free(c->rst);
	free(c->helo);
	free(c->auth_user);
	scram_client_free(&c->scram);
	if (c->auth_pass != NULL) {
		explicit_bzero(c->auth_pass, strlen(c->auth_pass));
		free(c->auth_pass);
	}
	smtpc_reply_free(&c->rp);
	buf_free(&c->out);
	buf_free(&c->conv);
	buf_free(&c->chunk);
	free(c);
	*cp = NULL;
}
