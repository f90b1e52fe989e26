/*
 * test-session.c: the session engine's command table (every command in
 * every state, table-driven) and its glue contract: input held while
 * waiting, output back-pressure, msg_abort on every path that drops a
 * begun message, and write fault injection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sasl.h"
#include "lib/scram.h"
#include "lib/util.h"
#include "smtpd/session.h"

struct glue {
	int begins, writes, commits, aborts;
	int fail_write_at;	/* 1-based; 0: never */
	bool pending_commit;
	char out[1 << 16];
	size_t outlen;
};

static enum smtpd_rcpt_kind
g_rcpt(void *ctx, const char *mailbox, const char *domain)
{
	return strcmp(domain, "example.org") == 0 ? SMTPD_RCPT_LOCAL :
	    SMTPD_RCPT_REMOTE;
}

static enum smtpd_status
g_auth(void *ctx, const char *user, const char *pass)
{
	return strcmp(pass, "secret") == 0 ? SMTPD_OK : SMTPD_PERMFAIL;
}

static enum smtpd_status
g_begin(void *ctx, const struct smtpd_envelope *env, char *id, size_t n)
{
	struct glue *g = ctx;

	snprintf(id, n, "ID%d", ++g->begins);
	return SMTPD_OK;
}

static int
g_write(void *ctx, const void *data, size_t len)
{
	struct glue *g = ctx;

	return ++g->writes == g->fail_write_at ? -1 : 0;
}

static enum smtpd_status
g_commit(void *ctx)
{
	struct glue *g = ctx;

	g->commits++;
	return g->pending_commit ? SMTPD_PENDING : SMTPD_OK;
}

static void
g_abort(void *ctx)
{
	struct glue *g = ctx;

	g->aborts++;
}

static const struct smtpd_ops ops = {
	.rcpt_lookup = g_rcpt, .auth = g_auth, .msg_begin = g_begin,
	.msg_write = g_write, .msg_commit = g_commit, .msg_abort = g_abort,
};

static struct smtpd_session *
session(struct glue *g, bool plaintext)
{
	struct smtpd_settings set = { .hostname = "mx", .peer_addr = "::1",
		.plaintext_auth = plaintext, .error_limit = 1u << 30,
		.junk_limit = 1u << 30 };
	struct smtpd_session *s;

	memset(g, 0, sizeof(*g));
	s = smtpd_session_new(&set, &ops, g);
	smtpd_session_greet(s);
	return s;
}

/* Drains the engine's output into g->out (replacing what was there). */
static const char *
drain(struct smtpd_session *s, struct glue *g)
{
	size_t n;
	const char *o = smtpd_session_output(s, &n);

	if (n >= sizeof(g->out))
		n = sizeof(g->out) - 1;
	memcpy(g->out, o, n);
	g->out[n] = '\0';
	g->outlen = n;
	smtpd_session_output_consume(s, n);
	return g->out;
}

static void
say(struct smtpd_session *s, struct glue *g, const char *text)
{
	assert_int_equal(smtpd_session_push(s, text, strlen(text)),
	    strlen(text));
	drain(s, g);
}

/* The command table: each command in each state, first reply code. */
enum { ST_GREETED, ST_EHLO, ST_MAIL, ST_RCPT, NSTATES };

static const char *const prep[NSTATES] = {
	"",
	"EHLO c\r\n",
	"EHLO c\r\nMAIL FROM:<a@b.example>\r\n",
	"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.org>\r\n",
};

struct cmdrow {
	const char	*cmd;
	const char	*code[NSTATES];
};

static const struct cmdrow cmdrows[] = {
	{ "HELO x",		{ "250", "250", "250", "250" } },
	{ "EHLO x",		{ "250", "250", "250", "250" } },
	{ "MAIL FROM:<a@b>",	{ "503", "250", "503", "503" } },
	{ "RCPT TO:<u@example.org>", { "503", "503", "250", "250" } },
	{ "DATA",		{ "503", "503", "554", "354" } },
	{ "RSET",		{ "250", "250", "250", "250" } },
	{ "VRFY u",		{ "252", "252", "252", "252" } },
	{ "EXPN u",		{ "502", "502", "502", "502" } },
	{ "NOOP",		{ "250", "250", "250", "250" } },
	{ "HELP",		{ "214", "214", "214", "214" } },
	{ "STARTTLS",		{ "503", "502", "503", "503" } },
	{ "AUTH PLAIN AHUAc2VjcmV0", { "503", "235", "503", "503" } },
	{ "BDAT 0 LAST",	{ "503", "503", "554", "250" } },
	{ "XYZZY",		{ "500", "500", "500", "500" } },
	{ "QUIT",		{ "221", "221", "221", "221" } },
};

static void
test_command_table(void **state)
{
	size_t i, st;

	for (i = 0; i < nitems(cmdrows); i++) {
		for (st = 0; st < NSTATES; st++) {
			struct glue g;
			struct smtpd_session *s = session(&g, true);
			char line[128];
			size_t k;

			drain(s, &g);
			/* one command at a time: no pipelining involved */
			for (k = 0; prep[st][k] != '\0';) {
				size_t e = strcspn(prep[st] + k, "\n") + 1;

				assert_int_equal(smtpd_session_push(s,
				    prep[st] + k, e), e);
				k += e;
			}
			drain(s, &g);
			snprintf(line, sizeof(line), "%s\r\n", cmdrows[i].cmd);
			say(s, &g, line);
			if (strncmp(g.out, cmdrows[i].code[st], 3) != 0)
				fail_msg("%s in state %zu: got %s",
				    cmdrows[i].cmd, st, g.out);
			smtpd_session_free(&s);
			assert_null(s);
		}
	}
}

/* While a commit is pending, input is held; when the engine's buffer is
 * full, push takes fewer bytes; after commit_done it all goes on. */
static void
test_hold_while_waiting(void **state)
{
	struct glue g;
	struct smtpd_session *s = session(&g, false);
	static char noops[200000];
	size_t i, taken, off = 0;

	g.pending_commit = true;
	say(s, &g, "EHLO c\r\n");
	say(s, &g, "MAIL FROM:<a@b>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n");
	assert_non_null(strstr(g.out, "354"));
	for (i = 0; i + 6 <= sizeof(noops); i += 6)
		memcpy(noops + i, "NOOP\r\n", 6);
	taken = smtpd_session_push(s, ".\r\n", 3);
	assert_int_equal(taken, 3);
	assert_true(smtpd_session_waiting(s));
	assert_string_equal(drain(s, &g), "");
	taken = smtpd_session_push(s, noops, i);
	assert_true(taken < i);		/* bounded: the rest stays with us */
	off = taken;
	assert_string_equal(drain(s, &g), "");
	smtpd_session_commit_done(s, SMTPD_OK);
	assert_false(smtpd_session_waiting(s));
	drain(s, &g);
	assert_int_equal(strncmp(g.out, "250 2.0.0 Ok: queued as ID1\r\n", 29), 0);
	/* push the rest, draining as a glue would */
	while (off < i) {
		size_t n = smtpd_session_push(s, noops + off, i - off);

		drain(s, &g);
		if (n == 0)
			smtpd_session_push(s, NULL, 0);
		off += n;
	}
	assert_int_equal(g.aborts, 0);
	assert_int_equal(g.commits, 1);
	smtpd_session_free(&s);
}

/* Output back-pressure: a client that never reads its replies cannot
 * make the engine's output grow without bound. */
static void
test_output_bound(void **state)
{
	struct glue g;
	struct smtpd_session *s = session(&g, false);
	static char noops[600000];
	size_t i, off = 0, n, outlen = 0;
	int rounds = 0;

	say(s, &g, "EHLO c\r\n");
	for (i = 0; i + 6 <= sizeof(noops); i += 6)
		memcpy(noops + i, "NOOP\r\n", 6);
	for (;;) {
		n = smtpd_session_push(s, noops + off, i - off);
		off += n;
		if (n == 0)
			break;
	}
	smtpd_session_output(s, &outlen);
	assert_true(outlen < 65536);
	assert_true(off < i);
	/* drain and resume until all is done */
	while (off < i && rounds++ < 100000) {
		drain(s, &g);
		smtpd_session_push(s, NULL, 0);
		off += smtpd_session_push(s, noops + off, i - off);
	}
	assert_int_equal(off, i);
	smtpd_session_free(&s);
}

/* Every way a begun message can be dropped calls msg_abort exactly once. */
static void
test_abort_paths(void **state)
{
	static const char *const endings[] = {
		"RSET\r\n",		/* between BDAT chunks */
		"EHLO again\r\n",
		"QUIT\r\n",
		NULL,			/* free mid-transaction */
	};
	size_t i;

	for (i = 0; i < nitems(endings); i++) {
		struct glue g;
		struct smtpd_session *s = session(&g, false);

		say(s, &g, "EHLO c\r\n");
		say(s, &g, "MAIL FROM:<a@b>\r\n");
		say(s, &g, "RCPT TO:<u@example.org>\r\n");
		say(s, &g, "BDAT 3\r\nabc");
		assert_int_equal(g.begins, 1);
		if (endings[i] != NULL)
			say(s, &g, endings[i]);
		smtpd_session_free(&s);
		assert_int_equal(g.aborts, 1);
		assert_int_equal(g.commits, 0);
	}
	/* free while in DATA, and while a commit is pending */
	for (i = 0; i < 2; i++) {
		struct glue g;
		struct smtpd_session *s = session(&g, false);

		g.pending_commit = i == 1;
		say(s, &g, "EHLO c\r\n");
		say(s, &g, "MAIL FROM:<a@b>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n");
		say(s, &g, i == 0 ? "partial" : "x\r\n.\r\n");
		smtpd_session_free(&s);
		assert_int_equal(g.aborts, 1);
	}
}

/* Fault injection: fail the Nth msg_write. The message is never
 * committed, the client gets 451, the sink gets one abort. */
static void
test_write_faults(void **state)
{
	int n;

	for (n = 1; n <= 4; n++) {
		struct glue g;
		struct smtpd_session *s = session(&g, false);
		char big[70000];

		memset(big, 'x', sizeof(big));
		for (size_t k = 900; k < sizeof(big); k += 900)
			memcpy(big + k - 2, "\r\n", 2);
		memcpy(big + sizeof(big) - 5, "\r\n.\r\n", 5);
		g.fail_write_at = n;
		say(s, &g, "EHLO c\r\n");
		say(s, &g, "MAIL FROM:<a@b>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n");
		assert_int_equal(smtpd_session_push(s, big, sizeof(big)),
		    sizeof(big));
		drain(s, &g);
		if (g.writes >= n) {
			assert_string_equal(g.out, "451 4.3.0 Error writing the "
			    "message, try again later\r\n");
			assert_int_equal(g.commits, 0);
			assert_int_equal(g.aborts, 1);
		} else {
			assert_int_equal(g.commits, 1);
			assert_int_equal(g.aborts, 0);
		}
		smtpd_session_free(&s);
	}
}

/* A timeout while the commit is pending: 421, msg_abort, and the late
 * commit_done is ignored. */
static void
test_abort_then_done(void **state)
{
	struct glue g;
	struct smtpd_session *s = session(&g, false);

	g.pending_commit = true;
	say(s, &g, "EHLO c\r\n");
	say(s, &g, "MAIL FROM:<a@b>\r\nRCPT TO:<u@example.org>\r\nDATA\r\n");
	say(s, &g, "x\r\n.\r\n");
	assert_true(smtpd_session_waiting(s));
	smtpd_session_abort(s, "4.4.2", "Timeout");
	assert_string_equal(drain(s, &g), "421 4.4.2 mx Timeout\r\n");
	assert_int_equal(g.aborts, 1);
	smtpd_session_commit_done(s, SMTPD_OK);
	assert_string_equal(drain(s, &g), "");
	assert_int_equal(smtpd_session_actions(s), SMTPD_ACT_CLOSE);
	smtpd_session_free(&s);
	assert_int_equal(g.aborts, 1);
}

static void
test_tls_discard(void **state)
{
	struct smtpd_settings set = { .hostname = "mx", .peer_addr = "::1",
		.tls_available = true };
	struct glue g;
	struct smtpd_session *s;

	memset(&g, 0, sizeof(g));
	s = smtpd_session_new(&set, &ops, &g);
	smtpd_session_greet(s);
	drain(s, &g);
	say(s, &g, "EHLO c\r\n");
	say(s, &g, "STARTTLS\r\nMAIL FROM:<x@y>\r\n");
	assert_string_equal(g.out, "220 2.0.0 Ready to start TLS\r\n");
	assert_int_equal(smtpd_session_actions(s), SMTPD_ACT_STARTTLS);
	assert_true(smtpd_session_waiting(s));
	/* plaintext arriving before the handshake is dropped too */
	say(s, &g, "RCPT TO:<u@example.org>\r\n");
	assert_string_equal(g.out, "");
	smtpd_session_tls_done(s, NULL);
	assert_int_equal(smtpd_session_actions(s), 0);
	say(s, &g, "MAIL FROM:<x@y>\r\n");
	assert_string_equal(g.out, "503 5.5.1 Send HELO or EHLO first\r\n");
	smtpd_session_free(&s);
}

/* alice@example.org has SCRAM credentials for "secret"; "temp" fails. */
static enum smtpd_status
g_scram(void *ctx, const char *user, struct scram_creds *cr, char *canon,
    size_t canonsize)
{
	const char *err;

	if (strcmp(user, "temp") == 0)
		return SMTPD_TEMPFAIL;
	assert_int_equal(scram_creds_make("secret", (const unsigned char *)
	    "saltsaltsaltsalt", 16, SCRAM_ITERATIONS, cr, &err), 0);
	snprintf(canon, canonsize, "%s", user);
	return strcmp(user, "alice@example.org") == 0 ? SMTPD_OK :
	    SMTPD_PERMFAIL;
}

static const struct smtpd_ops scram_ops = {
	.rcpt_lookup = g_rcpt, .auth = g_auth, .scram = g_scram,
	.msg_begin = g_begin, .msg_write = g_write, .msg_commit = g_commit,
	.msg_abort = g_abort,
};

/* The text after "334 " in out, base64-decoded into dec. */
static size_t
b64_reply(const char *out, char *dec, size_t decsize)
{
	long n;

	assert_memory_equal(out, "334 ", 4);
	n = sasl_base64_decode(out + 4, strcspn(out + 4, "\r"), dec,
	    decsize);
	assert_true(n >= 0);
	return (size_t)n;
}

/* One SCRAM login; the last reply. tamper spoils the proof: a base64
 * character with all six bits used (the last one before '=' holds only
 * two, and changing its zero bits would make the encoding invalid). */
static const char *
scram_login(struct smtpd_session *s, struct glue *g, const char *user,
    const char *pw, bool tamper, bool ir)
{
	char m[SCRAM_MSG_MAX + 1], d[SCRAM_MSG_MAX + 1];
	char line[2 * SCRAM_MSG_MAX + 32];
	struct scram_client *c = scram_client_new(user, pw, NULL,
	    &(const char *){ NULL });
	const char *err;
	long k;
	size_t n;

	k = scram_client_first(c, m, sizeof(m));
	if (ir) {
		memcpy(line, "AUTH SCRAM-SHA-256 ", 19);
		sasl_base64_encode(m, (size_t)k, line + 19, sizeof(line) - 19);
	} else {
		say(s, g, "AUTH scram-sha-256\r\n");
		assert_string_equal(g->out, "334 \r\n");
		sasl_base64_encode(m, (size_t)k, line, sizeof(line));
	}
	memcpy(line + strlen(line), "\r\n", 3);
	say(s, g, line);
	if (strncmp(g->out, "334 ", 4) != 0) {
		scram_client_free(&c);
		return g->out;
	}
	n = b64_reply(g->out, d, sizeof(d));
	k = scram_client_final(c, d, n, m, sizeof(m), &err);
	assert_true(k > 0);
	if (tamper)
		m[k - 3] = m[k - 3] == 'A' ? 'B' : 'A';
	sasl_base64_encode(m, (size_t)k, line, sizeof(line));
	memcpy(line + strlen(line), "\r\n", 3);
	say(s, g, line);
	if (strncmp(g->out, "334 ", 4) == 0) {
		n = b64_reply(g->out, d, sizeof(d));
		assert_int_equal(scram_client_verify(c, d, n, &err), 0);
		say(s, g, "\r\n");
	}
	scram_client_free(&c);
	return g->out;
}

static void
test_scram(void **state)
{
	struct smtpd_settings set = { .hostname = "mx", .peer_addr = "::1",
		.plaintext_auth = true, .error_limit = 1u << 30,
		.junk_limit = 1u << 30 };
	struct smtpd_session *s;
	struct glue g;

	(void)state;
	memset(&g, 0, sizeof(g));
	s = smtpd_session_new(&set, &scram_ops, &g);
	smtpd_session_greet(s);
	say(s, &g, "EHLO c\r\n");
	assert_non_null(strstr(g.out, "250-AUTH SCRAM-SHA-256 PLAIN LOGIN"));
	assert_string_equal(scram_login(s, &g, "alice@example.org", "wrong",
	    false, false), "535 5.7.8 Authentication credentials invalid\r\n");
	assert_string_equal(scram_login(s, &g, "bob@example.org", "secret",
	    false, true), "535 5.7.8 Authentication credentials invalid\r\n");
	assert_string_equal(scram_login(s, &g, "alice@example.org", "secret",
	    true, false), "535 5.7.8 Authentication credentials invalid\r\n");
	assert_string_equal(scram_login(s, &g, "temp", "secret", false,
	    false), "454 4.7.0 Temporary authentication failure\r\n");
	/* Cancel, refused channel binding (p=x,,n=a,r=b), bad base64. */
	say(s, &g, "AUTH SCRAM-SHA-256\r\n*\r\n");
	assert_non_null(strstr(g.out, "501 5.0.0 Authentication cancelled"));
	say(s, &g, "AUTH SCRAM-SHA-256 cD14LCxuPWEscj1i\r\n");
	assert_string_equal(g.out, "501 5.5.2 Invalid SCRAM message\r\n");
	say(s, &g, "AUTH SCRAM-SHA-256 !!!!\r\n");
	assert_string_equal(g.out, "501 5.5.2 Cannot decode response\r\n");
	assert_string_equal(scram_login(s, &g, "alice@example.org", "secret",
	    false, true), "235 2.7.0 Authentication successful\r\n");
	smtpd_session_free(&s);

	/* Without the op, SCRAM is neither offered nor taken. */
	s = session(&g, true);
	say(s, &g, "EHLO c\r\n");
	assert_non_null(strstr(g.out, "250-AUTH PLAIN LOGIN\r\n"));
	say(s, &g, "AUTH SCRAM-SHA-256\r\n");
	assert_string_equal(g.out, "504 5.5.4 Unrecognized authentication "
	    "type\r\n");
	smtpd_session_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_table),
		cmocka_unit_test(test_scram),
		cmocka_unit_test(test_hold_while_waiting),
		cmocka_unit_test(test_output_bound),
		cmocka_unit_test(test_abort_paths),
		cmocka_unit_test(test_write_faults),
		cmocka_unit_test(test_abort_then_done),
		cmocka_unit_test(test_tls_discard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
