/*
 * test-client.c: the SMTP client engine against scripted servers. Each
 * script row is S (server bytes pushed), C (exact client output since the
 * last check) or E (the next event).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sasl.h"
#include "lib/scram.h"
#include "smtpc/client.h"

static char outbuf[65536];
static size_t outlen;

static void
drain(struct smtpc *c)
{
	const char *o;
	size_t n;

	while ((o = smtpc_output(c, &n)), n > 0) {
		assert_true(outlen + n < sizeof(outbuf));
		memcpy(outbuf + outlen, o, n);
		outlen += n;
		smtpc_output_consume(c, n);
	}
	outbuf[outlen] = '\0';
}

static void
expect_out(struct smtpc *c, const char *want)
{
	drain(c);
	assert_string_equal(outbuf, want);
	outlen = 0;
	outbuf[0] = '\0';
}

static void
push(struct smtpc *c, const char *s)
{
	smtpc_push(c, s, strlen(s));
}

static const struct smtpc_settings plain = { .helo = "me.test",
    .tls = SMTPC_TLS_MAY };

static void
test_pipelined(void **state)
{
	struct smtpc_rcpt r[3] = { { .addr = "a@x" }, { .addr = "b@x" },
	    { .addr = "bad>@x" } };
	const char body[] = "Subject: t\r\n\r\n.dot\nbare lf\rbare cr\r\n..";
	struct smtpc_msg m = { .sender = "s@y", .rcpts = r, .nrcpts = 3,
	    .data = body, .len = sizeof(body) - 1 };
	struct smtpc *c = smtpc_new(&plain);

	(void)state;
	outlen = 0;
	assert_int_equal(smtpc_timeout(c), SMTPC_TIMEOUT_GREETING);
	push(c, "220 mx ESMTP\r\n");
	expect_out(c, "EHLO me.test\r\n");
	push(c, "250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n");
	expect_out(c, "");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	assert_int_equal(smtpc_event(c), SMTPC_EV_NONE);
	smtpc_send(c, &m);
	expect_out(c, "MAIL FROM:<s@y> SIZE=38\r\nRCPT TO:<a@x>\r\n"
	    "RCPT TO:<b@x>\r\nDATA\r\n");
	assert_int_equal(r[2].code, 553);
	push(c, "250 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n");
	assert_int_equal(smtpc_timeout(c), SMTPC_TIMEOUT_DATA);
	push(c, "354 go\r\n");
	expect_out(c, "Subject: t\r\n\r\n..dot\r\nbare lf\r\nbare cr\r\n"
	    "...\r\n.\r\n");
	assert_int_equal(smtpc_timeout(c), SMTPC_TIMEOUT_DOT);
	assert_int_equal(smtpc_event(c), SMTPC_EV_NONE);
	push(c, "250 2.0.0 queued as X\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 250);
	assert_true(r[0].remote);
	assert_string_equal(r[0].text, "250 2.0.0 queued as X");
	assert_int_equal(r[1].code, 550);
	assert_string_equal(r[1].status, "5.1.1");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	/* a second message on the same connection */
	r[2].addr = "c@x";
	m.len = 3;
	m.data = "hi\n";
	smtpc_send(c, &m);
	expect_out(c, "MAIL FROM:<s@y> SIZE=3\r\nRCPT TO:<a@x>\r\n"
	    "RCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nDATA\r\n");
	push(c, "250 ok\r\n451 later\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	expect_out(c, "hi\r\n.\r\n");
	/* connection lost before the final reply: nothing is delivered */
	smtpc_eof(c);
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 451);
	assert_true(r[0].remote);		/* "451 later" at RCPT */
	assert_int_equal(r[1].code, 451);
	assert_false(r[1].remote);		/* the lost connection */
	assert_int_equal(r[2].code, 451);
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	assert_string_equal(smtpc_error(c), "connection closed by the server");
	smtpc_free(&c);
	assert_null(c);
}

static void
test_helo_lockstep(void **state)
{
	struct smtpc_rcpt r[2] = { { .addr = "a@x" }, { .addr = "b@x" } };
	struct smtpc_msg m = { .sender = "", .rcpts = r, .nrcpts = 2,
	    .data = "x", .len = 1 };
	struct smtpc *c = smtpc_new(&plain);

	(void)state;
	outlen = 0;
	push(c, "220-old\r\n220 server\r\n");
	expect_out(c, "EHLO me.test\r\n");
	push(c, "502 what\r\n");
	expect_out(c, "HELO me.test\r\n");
	push(c, "250 hi\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_send(c, &m);
	expect_out(c, "MAIL FROM:<>\r\n");
	push(c, "250 ok\r\n");
	expect_out(c, "RCPT TO:<a@x>\r\n");
	push(c, "550 no\r\n");
	expect_out(c, "RCPT TO:<b@x>\r\n");
	push(c, "550 no\r\n");
	expect_out(c, "RSET\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 550);
	assert_int_equal(r[1].code, 550);
	push(c, "250 ok\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_quit(c);
	expect_out(c, "QUIT\r\n");
	push(c, "221 bye\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	assert_string_equal(smtpc_error(c), "");
	smtpc_free(&c);
}

static void
test_mail_refused(void **state)
{
	struct smtpc_rcpt r[1] = { { .addr = "a@x" } };
	struct smtpc_msg m = { .sender = "s@y", .rcpts = r, .nrcpts = 1,
	    .data = "x", .len = 1 };
	struct smtpc *c = smtpc_new(&plain);

	(void)state;
	outlen = 0;
	push(c, "220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
	expect_out(c, "EHLO me.test\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_send(c, &m);
	expect_out(c, "MAIL FROM:<s@y>\r\nRCPT TO:<a@x>\r\nDATA\r\n");
	push(c, "452 4.3.1 full\r\n503 no mail\r\n554 no rcpt\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 452);
	assert_string_equal(r[0].text, "452 4.3.1 full");
	expect_out(c, "");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_free(&c);
}

static void
test_starttls(void **state)
{
	struct smtpc_settings must = plain;
	struct smtpc *c;

	(void)state;
	/* injected plaintext after the 220 is dropped (RFC 3207 §4.2) */
	outlen = 0;
	c = smtpc_new(&plain);
	push(c, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n");
	expect_out(c, "EHLO me.test\r\nSTARTTLS\r\n");
	push(c, "220 go\r\n250 injected\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_STARTTLS);
	push(c, "250 more injected\r\n");
	smtpc_tls_done(c, true);
	assert_true(smtpc_tls_active(c));
	expect_out(c, "EHLO me.test\r\n");
	push(c, "250-mx\r\n250 8BITMIME\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	assert_true(smtpc_extensions(c) & SMTPC_EXT_8BITMIME);
	smtpc_free(&c);

	/* refused, TLS optional: go on in plaintext */
	c = smtpc_new(&plain);
	push(c, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 no\r\n");
	expect_out(c, "EHLO me.test\r\nSTARTTLS\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_free(&c);

	/* refused, TLS required: never plaintext */
	must.tls = SMTPC_TLS_MUST;
	c = smtpc_new(&must);
	push(c, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 no\r\n");
	expect_out(c, "EHLO me.test\r\nSTARTTLS\r\nQUIT\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	smtpc_free(&c);

	/* not offered, required */
	c = smtpc_new(&must);
	push(c, "220 mx\r\n250 mx\r\n");
	expect_out(c, "EHLO me.test\r\nQUIT\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	assert_non_null(strstr(smtpc_error(c), "TLS is required"));
	smtpc_free(&c);

	/* handshake failure */
	c = smtpc_new(&must);
	push(c, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_STARTTLS);
	smtpc_tls_done(c, false);
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	smtpc_free(&c);
	outlen = 0;
}

static void
test_refusals(void **state)
{
	struct smtpc_rcpt r[1] = { { .addr = "a@x" } };
	struct smtpc_msg m = { .sender = "s@y", .rcpts = r, .nrcpts = 1,
	    .data = "S: caf\xc3\xa9\r\n\r\n", .len = 12 };
	struct smtpc *c = smtpc_new(&plain);

	(void)state;
	outlen = 0;
	push(c, "220 mx\r\n250-mx\r\n250 SIZE 3\r\n");
	expect_out(c, "EHLO me.test\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_send(c, &m);
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 554);
	assert_string_equal(r[0].status, "5.6.3");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	m.smtputf8 = true;
	smtpc_send(c, &m);
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_string_equal(r[0].status, "5.6.7");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	m.smtputf8 = false;
	m.data = "abcd";
	m.len = 4;
	smtpc_send(c, &m);
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 552);
	expect_out(c, "");
	smtpc_free(&c);
}

/* RFC 6152 §3: no 8BITMIME at the next hop, the body is converted. */
static void
test_downgrade(void **state)
{
	struct smtpc_rcpt r[1] = { { .addr = "a@x" } };
	const char body[] = "Subject: t\r\n\r\ncaf\xc3\xa9\r\n";
	struct smtpc_msg m = { .sender = "s@y", .rcpts = r, .nrcpts = 1,
	    .data = body, .len = sizeof(body) - 1 };
	struct smtpc *c = smtpc_new(&plain);

	(void)state;
	outlen = 0;
	push(c, "220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
	expect_out(c, "EHLO me.test\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_send(c, &m);
	expect_out(c, "MAIL FROM:<s@y>\r\nRCPT TO:<a@x>\r\nDATA\r\n");
	push(c, "250 ok\r\n250 ok\r\n354 go\r\n");
	expect_out(c, "Subject: t\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=C3=A9\r\n.\r\n");
	push(c, "250 ok\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 250);
	/* with 8BITMIME: as is, declared */
	smtpc_free(&c);
	c = smtpc_new(&plain);
	push(c, "220 mx\r\n250-mx\r\n250 8BITMIME\r\n");
	expect_out(c, "EHLO me.test\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_send(c, &m);
	expect_out(c, "MAIL FROM:<s@y> BODY=8BITMIME\r\n");
	smtpc_free(&c);
}

/* RFC 3030: BDAT chunks, no dot-stuffing, line ends still CRLF. */
static void
test_chunking(void **state)
{
	struct smtpc_rcpt r[2] = { { .addr = "a@x" }, { .addr = "b@x" } };
	const char body[] = ".a\nb";
	struct smtpc_msg m = { .sender = "s@y", .rcpts = r, .nrcpts = 2,
	    .data = body, .len = sizeof(body) - 1 };
	struct smtpc *c = smtpc_new(&plain);

	(void)state;
	outlen = 0;
	push(c, "220 mx\r\n250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
	expect_out(c, "EHLO me.test\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_send(c, &m);
	/* the body waits for the RCPT replies */
	expect_out(c, "MAIL FROM:<s@y>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n");
	push(c, "250 ok\r\n250 ok\r\n");
	expect_out(c, "");
	push(c, "550 no\r\n");
	expect_out(c, "BDAT 7 LAST\r\n.a\r\nb\r\n");
	assert_int_equal(smtpc_timeout(c), SMTPC_TIMEOUT_DOT);
	push(c, "250 2.0.0 ok\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 250);
	assert_int_equal(r[1].code, 550);
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);

	/* nobody accepted: no body, RSET */
	smtpc_send(c, &m);
	expect_out(c, "MAIL FROM:<s@y>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n");
	push(c, "250 ok\r\n550 no\r\n550 no\r\n");
	expect_out(c, "RSET\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	push(c, "250 ok\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_free(&c);
}

/* A big body in several chunks, lock-step without PIPELINING; a refused
 * chunk fails the message and the transaction is reset. */
static void
test_chunking_lockstep(void **state)
{
	static char body[150000];
	struct smtpc_rcpt r[1] = { { .addr = "a@x" } };
	struct smtpc_msg m = { .sender = "s@y", .rcpts = r, .nrcpts = 1,
	    .data = body, .len = sizeof(body) };
	struct smtpc *c = smtpc_new(&plain);
	const char *o;
	size_t n;

	(void)state;
	memset(body, 'x', sizeof(body));
	outlen = 0;
	push(c, "220 mx\r\n250-mx\r\n250 CHUNKING\r\n");
	expect_out(c, "EHLO me.test\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_send(c, &m);
	push(c, "250 ok\r\n");
	push(c, "250 ok\r\n");
	o = smtpc_output(c, &n);
	assert_true(n > 65536);
	assert_memory_equal(o, "MAIL FROM:<s@y>\r\nRCPT TO:<a@x>\r\nBDAT 65536\r\n",
	    44);
	assert_int_equal(n, 44 + 65536);
	smtpc_output_consume(c, n);
	/* nothing more until the chunk's reply */
	o = smtpc_output(c, &n);
	assert_int_equal(n, 0);
	push(c, "250 ok\r\n");
	o = smtpc_output(c, &n);
	assert_memory_equal(o, "BDAT 65536\r\n", 12);
	smtpc_output_consume(c, n);
	push(c, "452 4.3.1 full\r\n");
	expect_out(c, "RSET\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 452);
	push(c, "250 ok\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_free(&c);
}

static void
test_dsn_auth(void **state)
{
	struct smtpc_settings s = plain;
	struct smtpc_rcpt r[1] = { { .addr = "a@x", .orcpt = "rfc822;a@x",
	    .notify = SMTPC_NOTIFY_FAILURE | SMTPC_NOTIFY_DELAY } };
	struct smtpc_msg m = { .sender = "s@y", .rcpts = r, .nrcpts = 1,
	    .data = "x\r\n", .len = 3, .envid = "E1", .ret = SMTPC_RET_HDRS };
	struct smtpc *c;

	(void)state;
	outlen = 0;
	s.auth_user = "u";
	s.auth_pass = "p";
	s.auth_plaintext = true;
	c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250-DSN\r\n250 AUTH LOGIN PLAIN\r\n");
	expect_out(c, "EHLO me.test\r\nAUTH PLAIN AHUAcA==\r\n");
	push(c, "235 ok\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_send(c, &m);
	expect_out(c, "MAIL FROM:<s@y> RET=HDRS ENVID=E1\r\n");
	push(c, "250 ok\r\n");
	expect_out(c, "RCPT TO:<a@x> NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@x\r\n");
	push(c, "250 ok\r\n");
	expect_out(c, "DATA\r\n");
	push(c, "354 go\r\n");
	expect_out(c, "x\r\n.\r\n");
	push(c, "421 going away\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 421);
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	smtpc_free(&c);

	/* no credentials over plaintext unless allowed */
	s.auth_plaintext = false;
	c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n");
	expect_out(c, "EHLO me.test\r\nQUIT\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	smtpc_free(&c);
}

/* The client's last line (one base64 SASL response), decoded. */
static size_t
client_msg(struct smtpc *c, const char *prefix, char *dec, size_t decsize)
{
	size_t pl = strlen(prefix);
	const char *end;
	long n;

	drain(c);
	assert_memory_equal(outbuf, prefix, pl);
	assert_non_null(end = strstr(outbuf + pl, "\r\n"));
	n = sasl_base64_decode(outbuf + pl, (size_t)(end - outbuf) - pl, dec,
	    decsize);
	assert_true(n >= 0);
	outlen = 0;
	outbuf[0] = '\0';
	return (size_t)n;
}

/* "334 " and base64 of msg. */
static void
push_334(struct smtpc *c, const char *msg)
{
	char line[SCRAM_MSG_MAX * 2 + 8];

	memcpy(line, "334 ", 4);
	sasl_base64_encode(msg, strlen(msg), line + 4, sizeof(line) - 6);
	memcpy(line + strlen(line), "\r\n", 3);
	push(c, line);
}

/* SCRAM-SHA-256 preferred over PLAIN and LOGIN, against our own server
 * side; a wrong server signature fails; a 535 falls back to PLAIN. */
static void
test_auth_scram(void **state)
{
	struct smtpc_settings s = plain;
	char m[SCRAM_MSG_MAX + 1], out[SCRAM_MSG_MAX + 1];
	const char *user, *err;
	struct scram_creds cr;
	(void)state;

	outlen = 0;
	s.auth_user = "relay@b.test";
	s.auth_pass = "pa ss";
	s.auth_plaintext = true;
	assert_int_equal(scram_creds_make("pa ss", NULL, 0, SCRAM_ITERATIONS,
	    &cr, &err), 0);
	for (int bad = 0; bad < 2; bad++) {
		struct smtpc *c = smtpc_new(&s);
		struct scram_server *sv = scram_server_new();
		size_t n;

		push(c, "220 mx\r\n250-mx\r\n"
		    "250 AUTH LOGIN PLAIN SCRAM-SHA-256\r\n");
		n = client_msg(c, "EHLO me.test\r\nAUTH SCRAM-SHA-256 ", m,
		    sizeof(m));
		assert_int_equal(scram_server_client_first(sv, m, n, &user,
		    &err), 0);
		assert_string_equal(user, "relay@b.test");
		assert_true(scram_server_first(sv, &cr, NULL, out, sizeof(out),
		    &err) > 0);
		push_334(c, out);
		n = client_msg(c, "", m, sizeof(m));
		assert_int_equal(scram_server_client_final(sv, m, n, out,
		    sizeof(out), &err), 1);
		if (bad)
			out[3] = out[3] == 'A' ? 'B' : 'A';
		push_334(c, out);
		if (bad) {
			expect_out(c, "*\r\nQUIT\r\n");
			assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
			assert_non_null(strstr(smtpc_error(c), "signature"));
		} else {
			expect_out(c, "\r\n");
			push(c, "235 ok\r\n");
			assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
		}
		scram_server_free(&sv);
		smtpc_free(&c);
	}

	/* Refused (no SCRAM credentials on the server): PLAIN next. */
	struct smtpc *c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250 AUTH PLAIN SCRAM-SHA-256\r\n");
	client_msg(c, "EHLO me.test\r\nAUTH SCRAM-SHA-256 ", m, sizeof(m));
	push_334(c, "r=x,s=QUJD,i=4096");	/* not our nonce */
	expect_out(c, "*\r\nQUIT\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	smtpc_free(&c);
	c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250 AUTH PLAIN SCRAM-SHA-256\r\n");
	client_msg(c, "EHLO me.test\r\nAUTH SCRAM-SHA-256 ", m, sizeof(m));
	push(c, "535 5.7.8 no\r\n");
	expect_out(c, "AUTH PLAIN AHJlbGF5QGIudGVzdABwYSBzcw==\r\n");
	smtpc_free(&c);

	/* Credentials our SASLprep refuses go by PLAIN. */
	s.auth_pass = "p\xc3\xa4ss";
	c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250 AUTH PLAIN SCRAM-SHA-256\r\n");
	drain(c);
	assert_non_null(strstr(outbuf, "AUTH PLAIN "));
	outlen = 0;
	smtpc_free(&c);
}

/* AUTH LOGIN when PLAIN is not offered: user and password each answer
 * a 334, whatever its prompt says; PLAIN is preferred when both are. */
static void
test_auth_login(void **state)
{
	struct smtpc_settings s = plain;
	struct smtpc *c;

	(void)state;
	outlen = 0;
	s.auth_user = "relay@b.test";
	s.auth_pass = "pa ss";
	s.auth_plaintext = true;
	c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250-AUTH CRAM-MD5 LOGIN\r\n250 DSN\r\n");
	expect_out(c, "EHLO me.test\r\nAUTH LOGIN\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_NONE);
	push(c, "334 VXNlcm5hbWU6\r\n");
	expect_out(c, "cmVsYXlAYi50ZXN0\r\n");
	push(c, "334 UGFzc3dvcmQ6\r\n");
	expect_out(c, "cGEgc3M=\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_NONE);
	push(c, "235 2.7.0 ok\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	assert_true(smtpc_extensions(c) & SMTPC_EXT_AUTH_LOGIN);
	assert_false(smtpc_extensions(c) & SMTPC_EXT_AUTH_PLAIN);
	smtpc_free(&c);

	/* a refused password ends the session with the server's reply */
	c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250 AUTH=LOGIN\r\n");
	expect_out(c, "EHLO me.test\r\nAUTH LOGIN\r\n");
	push(c, "334 x\r\n334 y\r\n");
	expect_out(c, "cmVsYXlAYi50ZXN0\r\ncGEgc3M=\r\n");
	push(c, "535 5.7.8 bad credentials\r\n");
	expect_out(c, "QUIT\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	assert_int_equal(smtpc_error_code(c), 535);
	assert_non_null(strstr(smtpc_error(c), "AUTH: 535 5.7.8"));
	smtpc_free(&c);

	/* anything but 334 during the exchange stops it */
	c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250 AUTH LOGIN\r\n");
	expect_out(c, "EHLO me.test\r\nAUTH LOGIN\r\n");
	push(c, "235 too early\r\n");
	expect_out(c, "QUIT\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	smtpc_free(&c);

	/* both offered: PLAIN, in one round trip */
	c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250 AUTH LOGIN PLAIN\r\n");
	expect_out(c, "EHLO me.test\r\n"
	    "AUTH PLAIN AHJlbGF5QGIudGVzdABwYSBzcw==\r\n");
	smtpc_free(&c);

	/* neither: no credentials go out */
	c = smtpc_new(&s);
	push(c, "220 mx\r\n250-mx\r\n250 AUTH CRAM-MD5 PLAINX XLOGIN\r\n");
	expect_out(c, "EHLO me.test\r\nQUIT\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	assert_string_equal(smtpc_error(c),
	    "server offers none of AUTH SCRAM-SHA-256, PLAIN, LOGIN");
	smtpc_free(&c);
}

static void
test_protocol_errors(void **state)
{
	struct smtpc *c = smtpc_new(&plain);

	(void)state;
	outlen = 0;
	push(c, "554 go away\r\n");
	expect_out(c, "QUIT\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	assert_int_equal(smtpc_error_code(c), 554);
	smtpc_free(&c);

	c = smtpc_new(&plain);
	push(c, "220 mx\r\nxyz\r\n");
	expect_out(c, "EHLO me.test\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	assert_non_null(strstr(smtpc_error(c), "protocol error"));
	smtpc_free(&c);

	c = smtpc_new(&plain);
	smtpc_fail(c, "timeout");
	assert_int_equal(smtpc_event(c), SMTPC_EV_CLOSED);
	assert_string_equal(smtpc_error(c), "timeout");
	smtpc_free(&c);
}

/* A large body streams in pieces as output drains. */
static void
test_big_body(void **state)
{
	static char body[300000];
	struct smtpc_rcpt r[1] = { { .addr = "a@x" } };
	struct smtpc_msg m = { .sender = "s@y", .rcpts = r, .nrcpts = 1,
	    .data = body, .len = sizeof(body) };
	struct smtpc *c = smtpc_new(&plain);
	const char *o;
	size_t n, total = 0, dots = 0;
	char last[5] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = i % 100 == 99 ? '\n' : i % 100 == 0 ? '.' : 'a';
	outlen = 0;
	push(c, "220 mx\r\n250 mx\r\n");
	expect_out(c, "EHLO me.test\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_READY);
	smtpc_send(c, &m);
	push(c, "250 ok\r\n");
	push(c, "250 ok\r\n");
	push(c, "354 go\r\n");
	while ((o = smtpc_output(c, &n)), n > 0) {
		size_t take = n > 1000 ? 1000 : n;
		for (size_t i = 0; i < take; i++)
			if (o[i] == '.')
				dots++;
		total += take;
		memcpy(last, o + take - (take >= 4 ? 4 : take),
		    take >= 4 ? 4 : take);
		smtpc_output_consume(c, take);
	}
	/* 3000 lines, each stuffed dot doubled, CRLF added, ".\r\n" */
	assert_int_equal(dots, 6000 + 1);
	assert_true(total > sizeof(body));
	push(c, "250 ok\r\n");
	assert_int_equal(smtpc_event(c), SMTPC_EV_DONE);
	assert_int_equal(r[0].code, 250);
	smtpc_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_auth_scram),
		cmocka_unit_test(test_helo_lockstep),
		cmocka_unit_test(test_mail_refused),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_downgrade),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_chunking_lockstep),
		cmocka_unit_test(test_dsn_auth),
		cmocka_unit_test(test_auth_login),
		cmocka_unit_test(test_protocol_errors),
		cmocka_unit_test(test_big_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
