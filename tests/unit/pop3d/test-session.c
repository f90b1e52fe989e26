/*
 * test-session.c: the POP3 session engine against the transcripts in
 * the tests/proto/pop3d transcripts (.chat), with a fake maildrop, each fed whole and one
 * byte at a time (STYLE §7).
 *
 * Transcript lines:
 *   C: text        client line, CRLF added
 *   R: text        raw client bytes, C escapes \r \n \t \\ \xHH, no CRLF
 *   S: text        a server reply line (CRLF stripped)
 *   A: text        an action the engine handed out (AUTH user pass,
 *                  RETR uid, STARTTLS, UPDATE dele=.. seen=.., DELAY ms,
 *                  CLOSE)
 *   !set k=v ...   settings before the session: plaintext tls stls
 *                  expire (days; default -1, never) logindelay (s)
 *   # text         comment
 * Client lines are fed in runs; a run ends at the next S:/A: line. The
 * engine's S:/A: output over the whole session must equal the file's.
 *
 * The fake store: bob@example.org / "secret word" has four messages
 * (UIDVALIDITY 0x5eed); "locked" is IN-USE, "broken" a store failure,
 * "recent" logged in too recently (LOGIN-DELAY);
 * UID 13 vanishes before it can be read (expunged by IMAP).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/sasl.h"
#include "lib/scram.h"
#include "pop3d/msgout.h"
#include "pop3d/session.h"

#define CHAT_DIR "tests/proto/pop3d"

static const struct {
	uint32_t	 uid;
	const char	*body;
} box[] = {
	{ 10, "From: a@example.org\r\nSubject: one\r\n\r\nHello\r\n"
	    ".dot line\r\n..two dots\r\n.\r\nlast\r\n" },
	{ 11, "Subject: bare LF\n\nline1\n.\nline3" },
	{ 12, "Subject: empty body\r\n\r\n" },
	{ 13, "Subject: gone\r\n\r\nvanished\r\n" },
};

struct run {
	struct pop3d_session	*s;
	struct buf		 got;	/* S:/A: lines produced */
	bool			 closed;
	unsigned		 flushes;
	bool			 tls_started;	/* drop the rest of the run */
};

static void
gotf(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&r->got, fmt, ap);
	va_end(ap);
}

/* Moves the engine's output into got as S: lines. */
static void
drain(struct run *r)
{
	struct buf *out = pop3d_session_out(r->s);
	size_t i = 0;

	while (i < out->len) {
		const char *crlf = memmem(out->data + i, out->len - i,
		    "\r\n", 2);
		assert_non_null(crlf);
		gotf(r, "S: %.*s\n", (int)(crlf - (out->data + i)),
		    out->data + i);
		i = (size_t)(crlf - out->data) + 2;
	}
	pop3d_session_out_clear(r->s);
}

static void
fake_auth(struct run *r, const struct pop3d_action *a)
{
	struct pop3d_msginfo info[4];
	struct pop3d_msgsize ms;

	if (strcmp(a->user, "locked") == 0) {
		pop3d_session_auth_done(r->s, POP3D_AUTH_INUSE, 0, NULL, 0);
		return;
	}
	if (strcmp(a->user, "broken") == 0) {
		pop3d_session_auth_done(r->s, POP3D_AUTH_TEMP, 0, NULL, 0);
		return;
	}
	if (strcmp(a->user, "recent") == 0) {
		pop3d_session_auth_done(r->s, POP3D_AUTH_DELAY, 0, NULL, 0);
		return;
	}
	if (strcmp(a->user, "bob@example.org") != 0 || (a->scram == 0 ?
	    strcmp(a->pass, "secret word") != 0 : a->scram < 0)) {
		pop3d_session_auth_done(r->s, POP3D_AUTH_BAD, 0, NULL, 0);
		return;
	}
	for (size_t i = 0; i < 4; i++) {
		pop3d_msgsize_init(&ms);
		pop3d_msgsize_push(&ms, box[i].body, strlen(box[i].body));
		info[i].uid = box[i].uid;
		info[i].size = pop3d_msgsize_end(&ms);
	}
	pop3d_session_auth_done(r->s, POP3D_AUTH_OK, 0x5eed, info, 4);
}

/* bob@example.org has SCRAM credentials for "secret word". */
static void
fake_scram(struct run *r, const struct pop3d_action *a)
{
	struct scram_creds cr;
	const char *err;

	assert_int_equal(scram_creds_make("secret word",
	    (const unsigned char *)"0123456789abcdef", 16, SCRAM_ITERATIONS,
	    &cr, &err), 0);
	if (strcmp(a->user, "broken") == 0)
		pop3d_session_scram_done(r->s, -1, &cr, NULL);
	else
		pop3d_session_scram_done(r->s, strcmp(a->user,
		    "bob@example.org") == 0 ? 1 : 0, &cr, a->user);
}

static void
fake_retr(struct run *r, const struct pop3d_action *a)
{
	const char *body = NULL;

	for (size_t i = 0; i < 4; i++)
		if (box[i].uid == a->uid && a->uid != 13)
			body = box[i].body;
	pop3d_session_msg_begin(r->s, body != NULL ? 1 : 0);
	if (body == NULL)
		return;
	/* Three bytes at a time, to cross line ends. */
	for (size_t off = 0; off < strlen(body); off += 3) {
		size_t n = strlen(body) - off < 3 ? strlen(body) - off : 3;
		if (!pop3d_session_msg_push(r->s, body + off, n))
			break;
	}
	pop3d_session_msg_end(r->s);
}

static void
list_uids(struct run *r, const uint32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		gotf(r, "%s%u", i ? "," : "", v[i]);
}

/* Runs the engine and plays the glue until it wants input. */
static void
step(struct run *r)
{
	struct pop3d_action a;

	for (;;) {
		enum pop3d_act t = pop3d_session_run(r->s, &a);
		drain(r);
		switch (t) {
		case POP3D_ACT_NONE:
			return;
		case POP3D_ACT_AUTH:
			if (a.scram != 0)
				gotf(r, "A: AUTH %s SCRAM %s\n", a.user,
				    a.scram > 0 ? "ok" : "bad");
			else
				gotf(r, "A: AUTH %s %s\n", a.user, a.pass);
			fake_auth(r, &a);
			break;
		case POP3D_ACT_SCRAM:
			gotf(r, "A: SCRAM %s\n", a.user);
			fake_scram(r, &a);
			break;
		case POP3D_ACT_RETR:
			gotf(r, "A: RETR %u\n", a.uid);
			fake_retr(r, &a);
			break;
		case POP3D_ACT_STARTTLS:
			gotf(r, "A: STARTTLS\n");
			r->tls_started = true;
			pop3d_session_tls_done(r->s, true);
			break;
		case POP3D_ACT_UPDATE:
			gotf(r, "A: UPDATE dele=");
			list_uids(r, a.dele, a.ndele);
			gotf(r, " seen=");
			list_uids(r, a.seen, a.nseen);
			gotf(r, "\n");
			pop3d_session_update_done(r->s, 0);
			break;
		case POP3D_ACT_DELAY:
			gotf(r, "A: DELAY %u\n", a.delay_ms);
			break;
		case POP3D_ACT_FLUSH:
			r->flushes++;
			break;
		case POP3D_ACT_CLOSE:
			if (!r->closed)
				gotf(r, "A: CLOSE\n");
			r->closed = true;
			return;
		}
	}
}

static void
feed(struct run *r, struct buf *in, size_t chunk)
{
	size_t off = 0;

	while (off < in->len) {
		size_t n = in->len - off < chunk ? in->len - off : chunk;
		size_t took = pop3d_session_push(r->s, in->data + off, n);
		off += took;
		step(r);
		/* The glue drops plaintext read before TLS (RFC 2595 §4). */
		if (r->tls_started)
			break;
		assert_true(took > 0);
	}
	r->tls_started = false;
	buf_reset(in);
}

static void
unescape(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		if (*s != '\\' || s[1] == '\0') {
			buf_putc(out, *s);
			continue;
		}
		s++;
		switch (*s) {
		case 'r': buf_putc(out, '\r'); break;
		case 'n': buf_putc(out, '\n'); break;
		case 't': buf_putc(out, '\t'); break;
		case 'x': {
			char hex[3] = { s[1], s[2], 0 };
			buf_putc(out, (char)strtol(hex, NULL, 16));
			s += 2;
			break;
		}
		default: buf_putc(out, *s); break;
		}
	}
}

/* Plays one transcript; returns 0 when the output matched. */
static int
play(const char *path, const char *text, size_t chunk)
{
	struct pop3d_settings set = { .hostname = "pop.test",
	    .plaintext_ok = true, .tls_offered = true, .auth_delay_ms = 1000,
	    .expire_days = -1 };
	struct buf in, want;
	struct run r;
	char *copy = strdup(text), *line, *save = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	buf_init(&r.got, 1 << 20);
	buf_init(&in, 1 << 20);
	buf_init(&want, 1 << 20);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "!set ", 5) == 0) {
			set.plaintext_ok = strstr(line, "plaintext=0") == NULL;
			set.tls_active = strstr(line, "tls=1") != NULL;
			set.tls_offered = strstr(line, "stls=0") == NULL;
			if (strstr(line, "expire=") != NULL)
				set.expire_days = atoi(strstr(line,
				    "expire=") + 7);
			if (strstr(line, "logindelay=") != NULL)
				set.login_delay_s = (unsigned)atoi(strstr(line,
				    "logindelay=") + 11);
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (r.s == NULL) {
			r.s = pop3d_session_new(&set);
			step(&r);
		}
		if (strncmp(line, "C: ", 3) == 0 || strcmp(line, "C:") == 0) {
			buf_puts(&in, line[2] ? line + 3 : "");
			buf_puts(&in, "\r\n");
		} else if (strncmp(line, "R: ", 3) == 0)
			unescape(line + 3, &in);
		else if (strncmp(line, "S:", 2) == 0 ||
		    strncmp(line, "A:", 2) == 0) {
			feed(&r, &in, chunk);
			buf_printf(&want, "%s\n", line);
		} else
			fail_msg("%s: bad line \"%s\"", path, line);
	}
	feed(&r, &in, chunk);
	rc = r.got.len == want.len &&
	    memcmp(r.got.data, want.data, want.len) == 0 ? 0 : -1;
	if (rc != 0)
		print_error("%s (chunk %zu)\n--- want\n%s--- got\n%s", path,
		    chunk, buf_cstr(&want), buf_cstr(&r.got));
	pop3d_session_free(&r.s);
	buf_free(&r.got);
	buf_free(&in);
	buf_free(&want);
	free(copy);
	return rc;
}

static void
test_chat(void **state)
{
	const char *path = *state;
	char tmp[4096];
	struct buf text;
	size_t got;
	FILE *f;
	int rc;

	assert_non_null(f = fopen(path, "r"));
	buf_init(&text, 1 << 20);
	while ((got = fread(tmp, 1, sizeof(tmp), f)) > 0)
		assert_int_equal(buf_append(&text, tmp, got), 0);
	fclose(f);
	rc = play(path, buf_cstr(&text), 1 << 20);
	rc |= play(path, buf_cstr(&text), 1);
	buf_free(&text);
	assert_int_equal(rc, 0);
}

/* A client pipelining without reading: the engine stops taking commands
 * once POP3D_OUT_FLUSH bytes wait, so its output stays bounded. */
static void
test_flush(void **state)
{
	struct pop3d_settings set = { .hostname = "pop.test",
	    .plaintext_ok = true, .expire_days = -1 };
	struct pop3d_action a;
	struct run r;
	size_t flushes = 0, lists = 0;
	enum pop3d_act t;

	memset(&r, 0, sizeof(r));
	(void)state;
	buf_init(&r.got, 1 << 20);
	r.s = pop3d_session_new(&set);
	static const char login[] =
	    "USER bob@example.org\r\nPASS secret word\r\n";

	pop3d_session_push(r.s, login, sizeof(login) - 1);
	assert_int_equal(pop3d_session_run(r.s, &a), POP3D_ACT_AUTH);
	fake_auth(&r, &a);
	for (int i = 0; i < 20000; i++) {
		while (pop3d_session_push(r.s, "LIST\r\n", 6) == 0) {
			t = pop3d_session_run(r.s, &a);
			assert_true(t == POP3D_ACT_NONE || t == POP3D_ACT_FLUSH);
			assert_true(pop3d_session_out(r.s)->len <
			    POP3D_OUT_FLUSH + 4096);
			if (t == POP3D_ACT_FLUSH) {
				flushes++;
				lists += pop3d_session_out(r.s)->len;
				pop3d_session_out_clear(r.s);
			}
		}
	}
	while ((t = pop3d_session_run(r.s, &a)) == POP3D_ACT_FLUSH)
		pop3d_session_out_clear(r.s);
	assert_int_equal(t, POP3D_ACT_NONE);
	assert_true(flushes > 0 && lists > 0);
	pop3d_session_free(&r.s);
	buf_free(&r.got);
}

/* Sends one line, runs the glue, returns the session's output. */
static const char *
say(struct run *r, const char *line)
{
	buf_reset(&r->got);
	pop3d_session_push(r->s, line, strlen(line));
	pop3d_session_push(r->s, "\r\n", 2);
	step(r);
	return buf_cstr(&r->got);
}

/* The base64 payload of the last "S: + ..." line of out, decoded. */
static size_t
cont(const char *out, char *dec, size_t decsize)
{
	const char *p = strstr(out, "S: + "), *nl;
	long n;

	assert_non_null(p);
	p += 5;
	nl = strchr(p, '\n');
	n = sasl_base64_decode(p, (size_t)(nl - p), dec, decsize);
	assert_true(n >= 0);
	return (size_t)n;
}

/* SCRAM-SHA-256 end to end with our client: the chats cannot hold it, the
 * server nonce being random. tamper flips a bit of the proof. */
static const char *
scram_login(struct run *r, const char *user, const char *pw, bool tamper)
{
	char m[SCRAM_MSG_MAX + 1], d[SCRAM_MSG_MAX + 1], e[2 * SCRAM_MSG_MAX];
	struct scram_client *c = scram_client_new(user, pw, NULL,
	    &(const char *){ NULL });
	const char *out, *err;
	size_t n;
	long k;

	k = scram_client_first(c, m, sizeof(m));
	sasl_base64_encode(m, (size_t)k, e, sizeof(e));
	out = say(r, "AUTH SCRAM-SHA-256");
	assert_non_null(strstr(out, "S: + \n"));
	out = say(r, e);
	assert_non_null(strstr(out, "A: SCRAM "));
	n = cont(out, d, sizeof(d));
	k = scram_client_final(c, d, n, m, sizeof(m), &err);
	assert_true(k > 0);
	if (tamper)
		m[k - 3] = m[k - 3] == 'A' ? 'B' : 'A';
	sasl_base64_encode(m, (size_t)k, e, sizeof(e));
	out = say(r, e);
	if (strstr(out, "S: + ") != NULL) {
		n = cont(out, d, sizeof(d));
		assert_int_equal(scram_client_verify(c, d, n, &err), 0);
		out = say(r, "");
	}
	scram_client_free(&c);
	return out;
}

static void
test_scram(void **state)
{
	struct pop3d_settings set = { .hostname = "pop.test",
	    .plaintext_ok = true, .expire_days = -1 };
	struct run r;

	(void)state;
	memset(&r, 0, sizeof(r));
	buf_init(&r.got, 1 << 20);
	r.s = pop3d_session_new(&set);
	assert_non_null(strstr(scram_login(&r, "bob@example.org", "wrong",
	    false), "A: AUTH bob@example.org SCRAM bad\n"
	    "S: -ERR [AUTH] Authentication failed\nA: DELAY 1000\n"));
	assert_non_null(strstr(scram_login(&r, "nobody@example.org",
	    "secret word", false), "A: AUTH nobody@example.org SCRAM bad\n"
	    "S: -ERR [AUTH] Authentication failed\nA: DELAY 2000\n"));
	pop3d_session_free(&r.s);
	r.s = pop3d_session_new(&set);
	assert_non_null(strstr(scram_login(&r, "bob@example.org",
	    "secret word", true), "S: -ERR [AUTH] Authentication failed"));
	assert_non_null(strstr(scram_login(&r, "bob@example.org",
	    "secret word", false), "A: AUTH bob@example.org SCRAM ok\n"
	    "S: +OK Logged in, 4 messages"));
	pop3d_session_free(&r.s);
	buf_free(&r.got);
}

/* One test per transcript. */
int
main(void)
{
	struct CMUnitTest *tests;
	struct dirent **names;
	size_t nt = 0;
	int n, rc;

	if ((n = scandir(CHAT_DIR, &names, NULL, alphasort)) <= 0) {
		fprintf(stderr, "%s: no transcripts\n", CHAT_DIR);
		return 1;
	}
	tests = calloc((size_t)n + 2, sizeof(*tests));
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name);
		if (l > 5 && strcmp(names[i]->d_name + l - 5, ".chat") == 0) {
			char *path = malloc(strlen(CHAT_DIR) + l + 2);
			sprintf(path, "%s/%s", CHAT_DIR, names[i]->d_name);
			tests[nt].name = path;
			tests[nt].test_func = test_chat;
			tests[nt].initial_state = path;
			nt++;
		}
		free(names[i]);
	}
	free(names);
	tests[nt].name = strdup("flush");
	tests[nt].test_func = test_flush;
	nt++;
	tests[nt].name = strdup("scram");
	tests[nt].test_func = test_scram;
	nt++;
	rc = _cmocka_run_group_tests("pop3d-chats", tests, nt, NULL, NULL);
	for (size_t i = 0; i < nt; i++)
		free((void *)tests[i].name);
	free(tests);
	return rc;
}
