/*
 * xact.c: one message in an SMTP client session — MAIL, RCPT, then DATA
 * with a dot-stuffed body or CHUNKING's BDAT (RFC 5321 §3.3, RFC 2920,
 * RFC 3030, RFC 1870, RFC 6152, RFC 6531, RFC 3461). Replies come back
 * through smtpc_xact_reply in the order the commands went out: the
 * commands whose replies are due wait in a small FIFO, so pipelined and
 * lock-step sessions share one reply handler. Part of the engine (no
 * I/O); see client.c for the session around it.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "smtpc/client-int.h"
#include "smtpc/downgrade.h"

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

	smtpc_emit(c, "MAIL FROM:<%s>", m->sender);
	if (c->ext & SMTPC_EXT_SIZE)
		smtpc_emit(c, " SIZE=%zu", c->len);
	if (c->eight)
		smtpc_emit(c, " BODY=8BITMIME");
	if (m->smtputf8)
		smtpc_emit(c, " SMTPUTF8");
	if (dsn && m->ret != SMTPC_RET_NONE)
		smtpc_emit(c, " RET=%s", m->ret == SMTPC_RET_FULL ? "FULL" : "HDRS");
	if (dsn && m->envid != NULL && smtpc_xtext_ok(m->envid))
		smtpc_emit(c, " ENVID=%s", m->envid);
	smtpc_emit(c, "\r\n");
	pend_push(c, P_MAIL, 0);
}

static void
send_rcpt(struct smtpc *c, size_t i)
{
	struct smtpc_rcpt *rc = &c->msg->rcpts[i];
	unsigned nt = rc->notify;

	rc->dsn_passed = (c->ext & SMTPC_EXT_DSN) && nt != 0;

	smtpc_emit(c, "RCPT TO:<%s>", rc->addr);
	if ((c->ext & SMTPC_EXT_DSN) && nt != 0) {
		if (nt & SMTPC_NOTIFY_NEVER)
			smtpc_emit(c, " NOTIFY=NEVER");
		else
			smtpc_emit(c, " NOTIFY=%s%s%s%s%s",
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
	    smtpc_xtext_ok(rc->orcpt))
		smtpc_emit(c, " ORCPT=%s", rc->orcpt);
	smtpc_emit(c, "\r\n");
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
	smtpc_xact_end(c);
	if (rset) {
		smtpc_emit(c, "RSET\r\n");
		c->state = S_RSET;
	} else
		smtpc_enter_ready(c);
}

static void
fail_all(struct smtpc *c, int code, const char *status, const char *text)
{
	for (size_t i = 0; i < c->msg->nrcpts; i++)
		if (c->rst[i] != R_FINAL) {
			smtpc_set_result(&c->msg->rcpts[i], code, false, status, text);
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
	const char *data = c->data, *nl, *cr;
	size_t len = c->len, end, i, run;

	end = c->body_off + BODY_CHUNK < len ? c->body_off + BODY_CHUNK : len;
	if (buf_reserve(out, (end - c->body_off) * 2 + 8) == -1)
		abort();	/* bounded: cannot happen */
	for (i = c->body_off; i < end;) {
		/* The bytes up to the next CR or LF go out as they are. */
		nl = memchr(data + i, '\n', end - i);
		run = nl != NULL ? (size_t)(nl - (data + i)) : end - i;
		if ((cr = memchr(data + i, '\r', run)) != NULL)
			run = (size_t)(cr - (data + i));
		if (run > 0) {
			if (stuff && c->body_bol && data[i] == '.')
				out->data[out->len++] = '.';
			memcpy(out->data + out->len, data + i, run);
			out->len += run;
			c->body_bol = false;
			i += run;
			if (i >= end)
				break;
		}
		/* A line end: CRLF, or a bare CR or LF made one. */
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			i++;
		i++;
		out->data[out->len++] = '\r';
		out->data[out->len++] = '\n';
		c->body_bol = true;
		if (i > end)
			end = i;
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
void
smtpc_fill_body(struct smtpc *c)
{
	bool last;

	if (c->out.len >= BODY_LOW)
		return;
	if (!c->bdat) {
		put_body(c, &c->out, true);
		if (c->body_off >= c->len) {
			smtpc_emit(c, ".\r\n");
			pend_push(c, P_DOT, 0);
			c->state = S_XACT;
		}
		return;
	}
	buf_reset(&c->chunk);
	put_body(c, &c->chunk, false);
	last = c->body_off >= c->len;
	smtpc_emit(c, "BDAT %zu%s\r\n", c->chunk.len, last ? " LAST" : "");
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
		smtpc_emit(c, "DATA\r\n");
		pend_push(c, P_DATA, 0);
		return;
	}
	c->state = S_BODY;
	c->body_off = 0;
	c->body_bol = true;
	smtpc_fill_body(c);
}

void
smtpc_xact_reply(struct smtpc *c, const struct smtpc_reply *r)
{
	struct smtpc_msg *m = c->msg;
	bool pipe = (c->ext & SMTPC_EXT_PIPELINING) != 0;
	struct pend p;

	if (c->phead == c->npend) {
		smtpc_close_reply(c, "unexpected reply", r);
		return;
	}
	p = c->pend[c->phead++];
	switch (p.kind) {
	case P_MAIL:
		if (r->code / 100 != 2) {
			c->mail_failed = true;
			c->mail_reply = *r;
			if (r->code == 421) {
				smtpc_close_reply(c, "MAIL", r);
				return;
			}
			for (size_t i = 0; i < m->nrcpts; i++)
				if (c->rst[i] != R_FINAL) {
					smtpc_set_reply_result(&m->rcpts[i], r);
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
			smtpc_close_reply(c, "RCPT", r);
			return;
		}
		if (!c->mail_failed) {
			if (r->code / 100 == 2) {
				c->rst[p.idx] = R_ACCEPTED;
				c->naccepted++;
			} else {
				smtpc_set_reply_result(&m->rcpts[p.idx], r);
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
				smtpc_emit(c, ".\r\n");
				pend_push(c, P_DOT, 0);
				return;
			}
			c->state = S_BODY;
			c->body_off = 0;
			c->body_bol = true;
			smtpc_fill_body(c);
			return;
		}
		for (size_t i = 0; i < m->nrcpts; i++)
			if (c->rst[i] == R_ACCEPTED) {
				smtpc_set_reply_result(&m->rcpts[i], r);
				c->rst[i] = R_FINAL;
			}
		if (r->code == 421)
			smtpc_close_reply(c, "DATA", r);
		else
			finish(c, !c->mail_failed);
		return;
	case P_DOT:
		if (!c->dot_discard)
			for (size_t i = 0; i < m->nrcpts; i++)
				if (c->rst[i] == R_ACCEPTED) {
					smtpc_set_reply_result(&m->rcpts[i], r);
					c->rst[i] = R_FINAL;
				}
		if (r->code == 421)
			smtpc_close_reply(c, "end of data", r);
		else
			finish(c, c->dot_discard && !c->mail_failed);
		return;
	case P_BDAT:
		if (r->code == 421) {
			smtpc_close_reply(c, "BDAT", r);
			return;
		}
		if (!c->bdat_failed && (p.idx == 1 || r->code / 100 != 2)) {
			/* The last chunk's reply is the message's; a refused
			 * chunk fails it (RFC 3030 §4.2). */
			for (size_t i = 0; i < m->nrcpts; i++)
				if (c->rst[i] == R_ACCEPTED) {
					smtpc_set_reply_result(&m->rcpts[i], r);
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
			smtpc_fill_body(c);
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
		if (!smtpc_path_ok(m->rcpts[i].addr, m->smtputf8) ||
		    *m->rcpts[i].addr == '\0') {
			smtpc_set_result(&m->rcpts[i], 553, false, "5.1.3",
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
	if (*m->sender != '\0' && !smtpc_path_ok(m->sender, m->smtputf8))
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
			smtpc_emit(c, "DATA\r\n");
			pend_push(c, P_DATA, 0);
		}
	}
}

