/*
 * cmd-data.c: DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030): opening the
 * message at the sink, the Received: field, the verdict after the content,
 * committing. Part of the session engine (session.c), smtp role process.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpd/received.h"
#include "smtpd/session-int.h"

/* RFC 3848 and RFC 6531 §3.7.3 "with" protocol names. */
static const char *
protocol(const struct smtpd_session *s)
{
	static const char *const names[2][4] = {
		{ "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" },
		{ "UTF8SMTP", "UTF8SMTPS", "UTF8SMTPA", "UTF8SMTPSA" },
	};

	if (!s->esmtp)
		return "SMTP";
	return names[s->tx.mail.smtputf8 ? 1 : 0]
	    [(s->tls ? 1 : 0) + (s->auth_user != NULL ? 2 : 0)];
}

/* Hands the chunk buffer to the sink, unless the message already failed. */
void
smtpd_chunk_flush(struct smtpd_session *s)
{
	struct smtpd_tx *t = &s->tx;

	if (s->chunk.len > 0 && t->begun && !t->too_big && !t->write_failed &&
	    s->ops->msg_write(s->ctx, s->chunk.data, s->chunk.len) == -1)
		t->write_failed = true;
	buf_reset(&s->chunk);
}

/* Opens the message at the sink and writes our Received: field. Returns
 * NULL, or the reply refusing it. */
static const char *
begin_message(struct smtpd_session *s)
{
	struct smtpd_tx *t = &s->tx;
	struct smtpd_envelope env = {
		.helo = s->helo,
		.peer_addr = s->set.peer_addr,
		.auth_user = s->auth_user,
		.tls = s->tls,
		.sender = t->sender,
		.mail = t->mail,
		.rcpts = t->rcpts,
		.nrcpts = t->nrcpts,
		.protocol = protocol(s),
	};
	struct smtpd_received r;

	switch (s->ops->msg_begin(s->ctx, &env, t->id, sizeof(t->id))) {
	case SMTPD_OK:
		break;
	case SMTPD_PERMFAIL:
		return "554 5.3.0 Message refused";
	default:
		return "451 4.3.0 Cannot queue the message now, "
		    "try again later";
	}
	t->id[sizeof(t->id) - 1] = '\0';
	t->begun = true;
	memset(&r, 0, sizeof(r));
	r.helo = s->helo;
	r.peer_name = s->set.peer_name;
	r.peer_addr = s->set.peer_addr;
	r.hostname = s->set.hostname;
	r.protocol = protocol(s);
	r.queue_id = t->id;
	r.rcpt = t->nrcpts == 1 ? t->rcpts[0].mailbox : NULL;
	r.when = s->ops->now != NULL ? s->ops->now(s->ctx) : time(NULL);
	if (smtpd_received_format(&s->chunk, &r) == -1)
		abort();	/* the chunk is empty here and far larger */
	smtpd_chunk_flush(s);
	return NULL;
}

/* The final reply for a message whose content has all been read, or NULL
 * when it may be committed. */
static const char *
content_verdict(const struct smtpd_session *s)
{
	const struct smtpd_tx *t = &s->tx;

	if (t->too_big)
		return R_TOOBIG;
	if (t->data.problems & (SMTPD_DATA_BARE_LF | SMTPD_DATA_BARE_CR))
		return "554 5.6.0 Message refused: bare CR or LF in content "
		    "(RFC 5321 2.3.8), lines must end in CRLF";
	if (t->data.problems & SMTPD_DATA_LONG_LINE)
		return "554 5.6.0 Message refused: line longer than 1000 "
		    "octets (RFC 5321 4.5.3.1.6)";
	/* RFC 5321 §6.3: with ours, more than SMTPD_MAX_HOPS is a loop. */
	if (t->data.hops + 1 > SMTPD_MAX_HOPS)
		return "554 5.4.6 Too many hops, mail loop suspected";
	if (t->write_failed)
		return "451 4.3.0 Error writing the message, try again later";
	return NULL;
}

void
smtpd_commit_result(struct smtpd_session *s, enum smtpd_status st)
{
	struct smtpd_tx *t = &s->tx;

	t->begun = false;	/* the sink owns the outcome now */
	switch (st) {
	case SMTPD_OK:
		smtpd_replyf(s, "250 2.0.0 Ok: queued as %s", t->id);
		smtpd_emit(s, SMTPD_EV_QUEUED, t->id);
		s->junk = 0;
		break;
	case SMTPD_PERMFAIL:
		smtpd_emit(s, SMTPD_EV_REJECT, "sink refused the message");
		smtpd_reply(s, "554 5.3.0 Message refused");
		break;
	default:
		smtpd_emit(s, SMTPD_EV_REJECT, "sink failed to commit");
		smtpd_reply(s,
		    "451 4.3.0 Error queueing the message, try again later");
		break;
	}
	smtpd_tx_reset(s);
}

/* The content of a message ended (final dot, or BDAT LAST). */
void
smtpd_msg_finish(struct smtpd_session *s)
{
	const char *verdict = content_verdict(s);
	enum smtpd_status st;

	s->state = SMTPD_STATE_CMD;
	if (verdict != NULL) {
		smtpd_emit(s, SMTPD_EV_REJECT, verdict);
		smtpd_reply(s, verdict);
		smtpd_tx_reset(s);
		return;
	}
	st = s->ops->msg_commit(s->ctx);
	if (st == SMTPD_PENDING) {
		s->state = SMTPD_STATE_WAIT;
		s->wait = SMTPD_WAIT_COMMIT;
		return;
	}
	smtpd_commit_result(s, st);
}

void
smtpd_cmd_data(struct smtpd_session *s, char *arg, size_t len)
{
	const char *err;

	if (s->tx.bdat) {
		smtpd_reply(s, "503 5.5.1 DATA not allowed after BDAT");
		return;
	}
	if (s->tx.nrcpts == 0) {
		smtpd_reply(s, "554 5.5.1 No valid recipients");
		return;
	}
	if ((err = begin_message(s)) != NULL) {
		smtpd_reply(s, err);
		return;
	}
	smtpd_data_init(&s->tx.data, 1);
	smtpd_put_line(s, "354 End data with <CR><LF>.<CR><LF>");
	s->state = SMTPD_STATE_DATA;
}

/* "BDAT" SP chunk-size [ SP end-marker ] (RFC 3030 §2). */
static int
parse_bdat(const char *arg, size_t len, uint64_t *size_out, bool *last_out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len && arg[i] >= '0' && arg[i] <= '9'; i++) {
		if (i >= 19)
			return -1;
		v = v * 10 + (uint64_t)(arg[i] - '0');
	}
	if (i == 0)
		return -1;
	*last_out = false;
	if (i < len) {
		if (len - i != 5 || strncasecmp(arg + i, " LAST", 5) != 0)
			return -1;
		*last_out = true;
	}
	*size_out = v;
	return 0;
}

void
smtpd_cmd_bdat(struct smtpd_session *s, char *arg, size_t len)
{
	struct smtpd_tx *t = &s->tx;
	uint64_t size;
	bool last;

	if (parse_bdat(arg, len, &size, &last) == -1) {
		/* The chunk cannot be framed: the rest may be anything. */
		smtpd_emit(s, SMTPD_EV_PROTOCOL, "unparsable BDAT");
		smtpd_reply_close(s,
		    "501 5.5.4 Syntax: BDAT size [LAST], closing");
		return;
	}
	t->bdat_size = t->bdat_left = size;
	t->bdat_last = last;
	t->bdat_err = NULL;
	s->state = SMTPD_STATE_BDAT;
	/* Legality is judged now but told after the chunk is read. */
	if (!s->esmtp)
		t->bdat_err = "503 5.5.1 Send EHLO first";
	else if (!t->active)
		t->bdat_err = "503 5.5.1 Need MAIL command";
	else if (t->nrcpts == 0)
		t->bdat_err = "554 5.5.1 No valid recipients";
	else if (t->bdat_failed)
		t->bdat_err = "554 5.5.0 Message already refused, send RSET";
	else if (!t->begun && !t->bdat) {
		t->bdat_err = begin_message(s);
		smtpd_data_init(&t->data, 0);
	}
	if (t->bdat_err != NULL)
		return;
	t->bdat = true;
	t->bdat_total += size;
	if (s->set.max_message_size > 0 &&
	    (t->bdat_total > s->set.max_message_size || t->bdat_total < size))
		t->too_big = true;
}

/* A BDAT chunk has been read in full. */
void
smtpd_bdat_chunk_end(struct smtpd_session *s)
{
	struct smtpd_tx *t = &s->tx;

	s->state = SMTPD_STATE_CMD;
	if (t->bdat_err != NULL) {
		if (t->active && t->begun) {
			s->ops->msg_abort(s->ctx);
			t->begun = false;
		}
		if (t->active)
			t->bdat_failed = true;
		smtpd_reply(s, t->bdat_err);
		if (t->bdat_last)
			smtpd_tx_reset(s);
		return;
	}
	if (t->too_big && !t->bdat_last) {
		/* RFC 3030 §2: the client stops after an error reply. */
		smtpd_reply(s, R_TOOBIG);
		if (t->begun) {
			s->ops->msg_abort(s->ctx);
			t->begun = false;
		}
		t->bdat_failed = true;
		return;
	}
	if (!t->bdat_last) {
		smtpd_replyf(s, "250 2.0.0 %llu octets received",
		    (unsigned long long)t->bdat_size);
		return;
	}
	smtpd_data_finish(&t->data, &s->chunk);
	smtpd_chunk_flush(s);
	smtpd_msg_finish(s);
}

