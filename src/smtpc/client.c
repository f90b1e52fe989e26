/*
 * client.c: the SMTP client session engine (see client.h). RFC 5321,
 * 2920, 3207, 1870, 6152, 6531, 3461, 4954. No I/O: it runs inside the
 * queue role's relay glue (src/queue/remote.c) and in tests and fuzzers.
 *
 * Written as "enter a state, send its command; on a reply, pick the next
 * state" (STYLE §6). Inside a transaction the commands whose replies are
 * due wait in a small FIFO, so pipelined (RFC 2920) and lock-step
 * sessions share one reply handler.
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
#include "lib/util.h"
#include "mime/codec.h"
#include "smtpc/downgrade.h"
#include "smtpc/reply.h"

#define OUT_MAX		(4u * 1024 * 1024)	/* commands + a body chunk */
#define BODY_LOW	(32u * 1024)	/* refill below this much output */
#define BODY_CHUNK	(64u * 1024)	/* message bytes per refill */
#define PARAM_MAX	500		/* ENVID/ORCPT (RFC 3461 §4.2: 100) */
#define ADDR_MAX	512		/* RFC 5321 §4.5.3.1.3: path 256 */

enum state {
	S_GREETING,	/* waiting for the 220 */
	S_EHLO,
	S_HELO,
	S_STARTTLS,
	S_TLS,		/* the glue runs the handshake */
	S_AUTH,
	S_READY,	/* between messages */
	S_XACT,		/* replies to MAIL/RCPT/DATA/dot are due */
	S_BODY,		/* streaming the message */
	S_RSET,
	S_QUIT,
	S_CLOSED,
};

enum pend_kind { P_MAIL, P_RCPT, P_DATA, P_DOT, P_BDAT };

struct pend {
	enum pend_kind	 kind;
	size_t		 idx;	/* P_RCPT: recipient; P_BDAT: 1 if LAST */
};

/* Per-recipient progress inside a transaction. */
enum rstate { R_WAIT, R_ACCEPTED, R_FINAL };

#define EVB_STARTTLS	0x01
#define EVB_DONE	0x02
#define EVB_READY	0x04
#define EVB_CLOSED	0x08

struct smtpc {
	char			*helo;
	char			*auth_user;
	char			*auth_pass;
	enum smtpc_tls		 tls;
	bool			 auth_plaintext;
	bool			 tls_active;

	enum state		 state;
	struct smtpc_reply_parser rp;
	struct buf		 out;
	unsigned		 ext;
	uint64_t		 size_max;	/* 0: not announced */
	unsigned		 events;
	char			 error[SMTPC_RESULT_MAX];
	int			 error_code;

	/* The transaction (S_XACT, S_BODY). */
	struct smtpc_msg	*msg;
	struct pend		*pend;
	size_t			 npend, phead;
	unsigned char		*rst;		/* enum rstate per recipient */
	size_t			 next_rcpt;	/* lock-step: next RCPT */
	size_t			 naccepted;
	bool			 mail_failed;
	bool			 dot_discard;	/* 354 with nobody accepted */
	bool			 eight;		/* 8-bit bytes in the body */
	bool			 bdat;		/* RFC 3030 chunks, not DATA */
	bool			 bdat_failed;	/* a chunk was refused */
	size_t			 rcpt_pending;	/* RCPT replies still due */
	struct buf		 chunk;		/* the next BDAT chunk */
	const char		*data;		/* what is sent: the message, */
	size_t			 len;
	struct buf		 conv;		/* or its 7-bit conversion */
	struct smtpc_reply	 mail_reply;
	size_t			 body_off;
	bool			 body_bol;
};

static void on_reply(struct smtpc *c, const struct smtpc_reply *r);

/* ---- output --------------------------------------------------------- */

static void
emit(struct smtpc *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (buf_vprintf(&c->out, fmt, ap) == -1)
		abort();	/* bounded by OUT_MAX: cannot happen */
	va_end(ap);
}

/* Whether s can go inside <...> on a command line: no controls, no
 * space, no angle brackets (so nothing can end the command early). */
static bool
path_ok(const char *s, bool utf8)
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
static bool
xtext_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return n > 0 && n <= PARAM_MAX;
}

/* ---- ending the session ---------------------------------------------- */

static void
set_result(struct smtpc_rcpt *rc, int code, bool remote, const char *status,
    const char *text)
{
	rc->code = code;
	rc->remote = remote;
	strlcpy_(rc->status, status, sizeof(rc->status));
	strlcpy_(rc->text, text, sizeof(rc->text));
}

static void
set_reply_result(struct smtpc_rcpt *rc, const struct smtpc_reply *r)
{
	char line[SMTPC_RESULT_MAX];

	smtpc_reply_format(r, line, sizeof(line));
	set_result(rc, r->code, true, r->status, line);
}

static void
xact_end(struct smtpc *c)
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
				set_result(&c->msg->rcpts[i],
				    code / 100 == 4 ? code : 451, code != 0,
				    "4.4.2", c->error);
		xact_end(c);
	}
	c->state = S_CLOSED;
	c->events &= ~(EVB_READY | EVB_STARTTLS);
	c->events |= EVB_CLOSED;
}

/* Closes after a reply the session cannot go on from, politely. */
static void
close_reply(struct smtpc *c, const char *what, const struct smtpc_reply *r)
{
	char line[SMTPC_RESULT_MAX];

	smtpc_reply_format(r, line, sizeof(line));
	if (r->code != 421)
		emit(c, "QUIT\r\n");
	close_with(c, r->code, "%s: %s", what, line);
}

/* ---- session states ------------------------------------------------- */

static void
enter_ready(struct smtpc *c)
{
	c->state = S_READY;
	c->events |= EVB_READY;
}

static void
enter_ehlo(struct smtpc *c)
{
	c->ext = 0;
	c->size_max = 0;
	emit(c, "EHLO %s\r\n", c->helo);
	c->state = S_EHLO;
}

static void
enter_helo(struct smtpc *c)
{
	emit(c, "HELO %s\r\n", c->helo);
	c->state = S_HELO;
}

static void
enter_auth(struct smtpc *c)
{
	struct buf raw, b64;

	if (c->auth_user == NULL) {
		enter_ready(c);
		return;
	}
	if (!c->tls_active && !c->auth_plaintext) {
		emit(c, "QUIT\r\n");
		close_with(c, 0, "refusing to send credentials without TLS");
		return;
	}
	if (!(c->ext & SMTPC_EXT_AUTH_PLAIN)) {
		emit(c, "QUIT\r\n");
		close_with(c, 0, "server offers no AUTH PLAIN");
		return;
	}
	/* RFC 4616: authzid NUL authcid NUL passwd. */
	buf_init(&raw, 2048);
	buf_init(&b64, 4096);
	if (buf_putc(&raw, '\0') == -1 || buf_puts(&raw, c->auth_user) == -1 ||
	    buf_putc(&raw, '\0') == -1 || buf_puts(&raw, c->auth_pass) == -1 ||
	    mime_b64_encode(raw.data, raw.len, 0, &b64) == -1) {
		buf_free(&raw);
		buf_free(&b64);
		emit(c, "QUIT\r\n");
		close_with(c, 0, "credentials too long");
		return;
	}
	emit(c, "AUTH PLAIN %s\r\n", buf_cstr(&b64));
	buf_free(&raw);
	buf_free(&b64);
	c->state = S_AUTH;
}

static void
after_ehlo(struct smtpc *c)
{
	if (!c->tls_active && c->tls != SMTPC_TLS_NONE &&
	    (c->ext & SMTPC_EXT_STARTTLS)) {
		emit(c, "STARTTLS\r\n");
		c->state = S_STARTTLS;
	} else if (!c->tls_active && c->tls == SMTPC_TLS_MUST) {
		emit(c, "QUIT\r\n");
		close_with(c, 0, "TLS is required and the server offers no "
		    "STARTTLS");
	} else
		enter_auth(c);
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
		} else if (IS("AUTH")) {
			/* Mechanisms follow, space separated. */
			for (size_t i = kw; i + 5 <= n; i++)
				if (line[i] == ' ' &&
				    strncasecmp(line + i + 1, "PLAIN", 5) == 0 &&
				    (i + 6 == n || line[i + 6] == ' '))
					c->ext |= SMTPC_EXT_AUTH_PLAIN;
		}
#undef IS
	}
}

/* ---- the transaction ------------------------------------------------- */

static void
pend_push(struct smtpc *c, enum pend_kind kind, size_t idx)
{
	c->pend[c->npend].kind = kind;
	c->pend[c->npend].idx = idx;
	c->npend++;
}

static void
send_mail(struct smtpc *c)
{
	const struct smtpc_msg *m = c->msg;
	bool dsn = (c->ext & SMTPC_EXT_DSN) != 0;
	emit(c, "MAIL FROM:<%s>", m->sender);
	if (c->ext & SMTPC_EXT_SIZE)
		emit(c, " SIZE=%zu", c->len);
	if (c->eight)
		emit(c, " BODY=8BITMIME");
	if (m->smtputf8)
		emit(c, " SMTPUTF8");
	if (dsn && m->ret != SMTPC_RET_NONE)
		emit(c, " RET=%s", m->ret == SMTPC_RET_FULL ? "FULL" : "HDRS");
	if (dsn && m->envid != NULL && xtext_ok(m->envid))
		emit(c, " ENVID=%s", m->envid);
	emit(c, "\r\n");
	pend_push(c, P_MAIL, 0);
}

static void
send_rcpt(struct smtpc *c, size_t i)
{
	struct smtpc_rcpt *rc = &c->msg->rcpts[i];
	unsigned nt = rc->notify;

	rc->dsn_passed = (c->ext & SMTPC_EXT_DSN) && nt != 0;

	emit(c, "RCPT TO:<%s>", rc->addr);
	if ((c->ext & SMTPC_EXT_DSN) && nt != 0) {
		if (nt & SMTPC_NOTIFY_NEVER)
			emit(c, " NOTIFY=NEVER");
		else
			emit(c, " NOTIFY=%s%s%s%s%s",
			    nt & SMTPC_NOTIFY_SUCCESS ? "SUCCESS" : "",
			    (nt & SMTPC_NOTIFY_SUCCESS) &&
			    (nt & (SMTPC_NOTIFY_FAILURE | SMTPC_NOTIFY_DELAY)) ?
			    "," : "",
			    nt & SMTPC_NOTIFY_FAILURE ? "FAILURE" : "",
			    (nt & SMTPC_NOTIFY_FAILURE) &&
			    (nt & SMTPC_NOTIFY_DELAY) ? "," : "",
			    nt & SMTPC_NOTIFY_DELAY ? "DELAY" : "");
	}
	if ((c->ext & SMTPC_EXT_DSN) && rc->orcpt != NULL &&
	    xtext_ok(rc->orcpt))
		emit(c, " ORCPT=%s", rc->orcpt);
	emit(c, "\r\n");
	pend_push(c, P_RCPT, i);
	c->rcpt_pending++;
}

/* Lock-step: the next recipient still to send, or nrcpts. */
static size_t
next_unsent(struct smtpc *c)
{
	while (c->next_rcpt < c->msg->nrcpts &&
	    c->rst[c->next_rcpt] == R_FINAL)
		c->next_rcpt++;
	return c->next_rcpt;
}

/* All results are in: report, then RSET when a transaction may still be
 * open on the server (MAIL was accepted and no dot ended it). */
static void
finish(struct smtpc *c, bool rset)
{
	xact_end(c);
	if (rset) {
		emit(c, "RSET\r\n");
		c->state = S_RSET;
	} else
		enter_ready(c);
}

static void
fail_all(struct smtpc *c, int code, const char *status, const char *text)
{
	for (size_t i = 0; i < c->msg->nrcpts; i++)
		if (c->rst[i] != R_FINAL) {
			set_result(&c->msg->rcpts[i], code, false, status, text);
			c->rst[i] = R_FINAL;
		}
}

/* Appends the next piece of the body to out: CRLF line ends only (a
 * bare CR or LF becomes CRLF, so nothing can be smuggled past the next
 * hop's end of data), a leading '.' doubled when stuff is set (RFC 5321
 * §4.5.2), a final CRLF when the message lacks one. */
static void
put_body(struct smtpc *c, struct buf *out, bool stuff)
{
	const char *data = c->data;
	size_t len = c->len, end;

	end = c->body_off + BODY_CHUNK < len ? c->body_off + BODY_CHUNK : len;
	if (buf_reserve(out, (end - c->body_off) * 2 + 8) == -1)
		abort();	/* bounded: cannot happen */
	for (size_t i = c->body_off; i < end; i++) {
		char ch = data[i];
		if (stuff && c->body_bol && ch == '.')
			out->data[out->len++] = '.';
		if (ch == '\r' || ch == '\n') {
			if (ch == '\r' && i + 1 < len && data[i + 1] == '\n')
				i++;
			out->data[out->len++] = '\r';
			out->data[out->len++] = '\n';
			c->body_bol = true;
			if (i >= end)
				end = i + 1;
		} else {
			out->data[out->len++] = ch;
			c->body_bol = false;
		}
	}
	c->body_off = end;
	if (c->body_off >= len && !c->body_bol && len > 0) {
		out->data[out->len++] = '\r';
		out->data[out->len++] = '\n';
	}
	out->data[out->len] = '\0';
}

/* Refills the output with the body as the socket drains: after DATA,
 * the stuffed text then ".\r\n"; with CHUNKING, "BDAT n" chunks, the
 * last one "BDAT n LAST" (RFC 3030 §2; without PIPELINING each chunk
 * waits for the reply to the one before). */
static void
fill_body(struct smtpc *c)
{
	bool last;

	if (c->out.len >= BODY_LOW)
		return;
	if (!c->bdat) {
		put_body(c, &c->out, true);
		if (c->body_off >= c->len) {
			emit(c, ".\r\n");
			pend_push(c, P_DOT, 0);
			c->state = S_XACT;
		}
		return;
	}
	buf_reset(&c->chunk);
	put_body(c, &c->chunk, false);
	last = c->body_off >= c->len;
	emit(c, "BDAT %zu%s\r\n", c->chunk.len, last ? " LAST" : "");
	if (buf_append(&c->out, c->chunk.data, c->chunk.len) == -1)
		abort();	/* bounded: cannot happen */
	pend_push(c, P_BDAT, last);
	if (last || !(c->ext & SMTPC_EXT_PIPELINING))
		c->state = S_XACT;
}

/* The recipients are known: send the message, or end the transaction
 * when nobody was accepted. */
static void
start_body(struct smtpc *c)
{
	if (c->mail_failed || c->naccepted == 0) {
		finish(c, !c->mail_failed);
		return;
	}
	if (!c->bdat) {
		emit(c, "DATA\r\n");
		pend_push(c, P_DATA, 0);
		return;
	}
	c->state = S_BODY;
	c->body_off = 0;
	c->body_bol = true;
	fill_body(c);
}

static void
on_xact_reply(struct smtpc *c, const struct smtpc_reply *r)
{
	struct smtpc_msg *m = c->msg;
	bool pipe = (c->ext & SMTPC_EXT_PIPELINING) != 0;
	struct pend p;

	if (c->phead == c->npend) {
		close_reply(c, "unexpected reply", r);
		return;
	}
	p = c->pend[c->phead++];
	switch (p.kind) {
	case P_MAIL:
		if (r->code / 100 != 2) {
			c->mail_failed = true;
			c->mail_reply = *r;
			if (r->code == 421) {
				close_reply(c, "MAIL", r);
				return;
			}
			for (size_t i = 0; i < m->nrcpts; i++)
				if (c->rst[i] != R_FINAL) {
					set_reply_result(&m->rcpts[i], r);
					c->rst[i] = R_FINAL;
				}
			if (!pipe)
				finish(c, false);
		} else if (!pipe) {
			if (next_unsent(c) < m->nrcpts)
				send_rcpt(c, c->next_rcpt++);
			else
				finish(c, true);
		}
		return;
	case P_RCPT:
		if (r->code == 421) {
			close_reply(c, "RCPT", r);
			return;
		}
		if (!c->mail_failed) {
			if (r->code / 100 == 2) {
				c->rst[p.idx] = R_ACCEPTED;
				c->naccepted++;
			} else {
				set_reply_result(&m->rcpts[p.idx], r);
				c->rst[p.idx] = R_FINAL;
			}
		}
		if (!pipe) {
			if (next_unsent(c) < m->nrcpts)
				send_rcpt(c, c->next_rcpt++);
			else
				start_body(c);
		} else if (c->bdat && --c->rcpt_pending == 0)
			start_body(c);	/* BDAT waits for the RCPT replies */
		return;
	case P_DATA:
		if (r->code == 354) {
			if (c->mail_failed || c->naccepted == 0) {
				/* RFC 2920 §3.1: a server that says 354 with
				 * no valid recipient gets an empty message. */
				c->dot_discard = true;
				emit(c, ".\r\n");
				pend_push(c, P_DOT, 0);
				return;
			}
			c->state = S_BODY;
			c->body_off = 0;
			c->body_bol = true;
			fill_body(c);
			return;
		}
		for (size_t i = 0; i < m->nrcpts; i++)
			if (c->rst[i] == R_ACCEPTED) {
				set_reply_result(&m->rcpts[i], r);
				c->rst[i] = R_FINAL;
			}
		if (r->code == 421)
			close_reply(c, "DATA", r);
		else
			finish(c, !c->mail_failed);
		return;
	case P_DOT:
		if (!c->dot_discard)
			for (size_t i = 0; i < m->nrcpts; i++)
				if (c->rst[i] == R_ACCEPTED) {
					set_reply_result(&m->rcpts[i], r);
					c->rst[i] = R_FINAL;
				}
		if (r->code == 421)
			close_reply(c, "end of data", r);
		else
			finish(c, c->dot_discard && !c->mail_failed);
		return;
	case P_BDAT:
		if (r->code == 421) {
			close_reply(c, "BDAT", r);
			return;
		}
		if (!c->bdat_failed && (p.idx == 1 || r->code / 100 != 2)) {
			/* The last chunk's reply is the message's; a refused
			 * chunk fails it (RFC 3030 §4.2). */
			for (size_t i = 0; i < m->nrcpts; i++)
				if (c->rst[i] == R_ACCEPTED) {
					set_reply_result(&m->rcpts[i], r);
					c->rst[i] = R_FINAL;
				}
			if (r->code / 100 != 2) {
				c->bdat_failed = true;
				c->state = S_XACT;	/* no more chunks */
			}
		}
		if (c->phead < c->npend)
			return;	/* pipelined chunks still answer */
		if (c->bdat_failed)
			finish(c, true);
		else if (p.idx == 1)
			finish(c, false);
		else {
			c->state = S_BODY;	/* lock-step: the next chunk */
			fill_body(c);
		}
		return;
	}
}

void
smtpc_send(struct smtpc *c, struct smtpc_msg *m)
{
	size_t nvalid = 0;
	const char *errstr;
	bool eight;

	assert(c->state == S_READY && c->msg == NULL);
	c->events &= ~EVB_READY;
	c->msg = m;
	c->pend = xcalloc(m->nrcpts + 3, sizeof(*c->pend));
	c->rst = xcalloc(m->nrcpts ? m->nrcpts : 1, 1);
	c->npend = c->phead = c->next_rcpt = c->naccepted = 0;
	c->rcpt_pending = 0;
	c->mail_failed = c->dot_discard = c->bdat_failed = false;
	c->bdat = (c->ext & SMTPC_EXT_CHUNKING) != 0;
	for (size_t i = 0; i < m->nrcpts; i++) {
		m->rcpts[i].code = 0;
		m->rcpts[i].remote = false;
		m->rcpts[i].dsn_passed = false;
		m->rcpts[i].status[0] = m->rcpts[i].text[0] = '\0';
		if (!path_ok(m->rcpts[i].addr, m->smtputf8) ||
		    *m->rcpts[i].addr == '\0') {
			set_result(&m->rcpts[i], 553, false, "5.1.3",
			    "bad recipient address syntax");
			c->rst[i] = R_FINAL;
		} else
			nvalid++;
	}
	c->data = m->data;
	c->len = m->len;
	eight = smtpc_has_8bit(m->data, m->len);
	/* RFC 6152 §3: without 8BITMIME at the next hop, 8-bit content is
	 * converted to 7 bits, or the message is returned. */
	if (eight && !(c->ext & SMTPC_EXT_8BITMIME) && !m->smtputf8) {
		buf_init(&c->conv, m->len * 3 + 65536);
		if (smtpc_downgrade(m->data, m->len, &c->conv, &errstr) == 0) {
			c->data = buf_cstr(&c->conv);
			c->len = c->conv.len;
			eight = false;
		}
	}
	if (*m->sender != '\0' && !path_ok(m->sender, m->smtputf8))
		fail_all(c, 553, "5.1.7", "bad sender address syntax");
	/* RFC 6531 §3.2: no SMTPUTF8 at the next hop means no delivery. */
	else if (m->smtputf8 && !(c->ext & SMTPC_EXT_SMTPUTF8))
		fail_all(c, 550, "5.6.7", "the message needs SMTPUTF8 and the "
		    "next hop does not support it");
	/* RFC 6152 §3: no conversion possible (8-bit header). */
	else if (eight && !(c->ext & SMTPC_EXT_8BITMIME))
		fail_all(c, 554, "5.6.3", "the message has 8-bit content and "
		    "the next hop does not support 8BITMIME");
	/* RFC 1870 §6: a message over the announced limit fails at once. */
	else if (c->size_max > 0 && c->len > c->size_max)
		fail_all(c, 552, "5.3.4", "the message is larger than the next "
		    "hop accepts");
	if (nvalid == 0 || next_unsent(c) == m->nrcpts) {
		finish(c, false);
		return;
	}
	c->next_rcpt = 0;
	c->eight = eight;
	c->state = S_XACT;
	send_mail(c);
	if (c->ext & SMTPC_EXT_PIPELINING) {
		for (size_t i = 0; i < m->nrcpts; i++)
			if (c->rst[i] != R_FINAL)
				send_rcpt(c, i);
		/* RFC 2920 §3.1: DATA ends the group; BDAT waits for the
		 * RCPT replies instead, not to send a body nobody takes. */
		if (!c->bdat) {
			emit(c, "DATA\r\n");
			pend_push(c, P_DATA, 0);
		}
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
			close_reply(c, "greeting", r);
		break;
	case S_EHLO:
		if (r->code == 250) {
			parse_ehlo(c, r);
			after_ehlo(c);
		} else if (r->code / 100 == 5)
			enter_helo(c);	/* RFC 5321 §3.2: an old server */
		else
			close_reply(c, "EHLO", r);
		break;
	case S_HELO:
		if (r->code == 250) {
			c->ext = 0;
			after_ehlo(c);
		} else
			close_reply(c, "HELO", r);
		break;
	case S_STARTTLS:
		if (r->code == 220) {
			/* RFC 3207 §4.2: whatever the server sent after the
			 * 220 was sent in clear and must not count. */
			smtpc_reply_discard(&c->rp);
			c->state = S_TLS;
			c->events |= EVB_STARTTLS;
		} else if (c->tls == SMTPC_TLS_MUST)
			close_reply(c, "STARTTLS (TLS is required)", r);
		else
			enter_auth(c);
		break;
	case S_AUTH:
		if (r->code == 235)
			enter_ready(c);
		else
			close_reply(c, "AUTH", r);
		break;
	case S_XACT:
	case S_BODY:
		on_xact_reply(c, r);
		break;
	case S_RSET:
		if (r->code / 100 == 2)
			enter_ready(c);
		else
			close_reply(c, "RSET", r);
		break;
	case S_QUIT:
		close_with(c, 0, "%s", "");
		break;
	case S_READY:
		close_reply(c, "unexpected reply", r);
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
	emit(c, "QUIT\r\n");
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
		fill_body(c);
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
