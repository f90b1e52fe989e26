/*
 * test-bounce.c: DSN text (RFC 3464) against golden files in
 * tests/data/bounce/ (the random boundary and Message-ID are replaced by
 * fixed strings first; POSTERN_UPDATE_GOLDEN=1 rewrites the files), and
 * the error-text parser, table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "queue/bounce.h"

#define GOLDEN_DIR "tests/data/bounce/"

/* Replaces every occurrence of the random tokens with fixed ones. */
static char *
normalise(const char *s)
{
	const char *b = strstr(s, "boundary=\"");
	char token[64] = "", *out = malloc(strlen(s) + 1), *w = out;
	const char *mid = strstr(s, "Message-ID: <");
	size_t tl;

	assert_non_null(b);
	b += 10;
	tl = strcspn(b, "\"");
	assert_true(tl < sizeof(token));
	memcpy(token, b, tl);
	token[tl] = '\0';
	for (const char *p = s; *p;) {
		if (strncmp(p, token, tl) == 0) {
			memcpy(w, "BOUNDARY", 8);
			w += 8;
			p += tl;
		} else if (mid != NULL && p == mid) {
			size_t n = strcspn(p, ">");
			memcpy(w, "Message-ID: <ID", 15);
			w += 15;
			p += n;
		} else
			*w++ = *p++;
	}
	*w = '\0';
	return out;
}

static void
golden(const char *name, const char *text)
{
	char path[256], *want;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), GOLDEN_DIR "%s.ref", name);
	if (getenv("POSTERN_UPDATE_GOLDEN") != NULL) {
		f = fopen(path, "wb");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	want = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(want, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_string_equal(text, want);
	free(want);
}

static const char original[] =
    "Received: from x\r\nFrom: Alice <alice@a.test>\r\nTo: bob@b.test\r\n"
    "Subject: hello\r\n\r\nThe body.\nbare LF line\r\n";

static const struct bounce_rcpt rcpts[] = {
	{ "bob@b.test", "rfc822;Bob+2Bx@b.test",
	  "mx.b.test[192.0.2.1] said: 550 5.1.1 <bob@b.test>: no such user",
	  1700000050 },
	{ "x@null.test", NULL, "5.1.10 null.test does not accept mail "
	  "(null MX)", 1700000060 },
	{ "slow@c.test", NULL, "delivery time expired; last error: mx.c.test"
	  "[192.0.2.3] said: 451 4.7.1 try later", 1700000070 },
	{ "evil@d.test", NULL, "mx.d.test[192.0.2.4] said: 550 x\r\nBcc: "
	  "injected\x01\xff", 1700000080 },
};

static const struct bounce_rcpt ok_rcpts[] = {
	{ "bob@b.test", "rfc822;bob@b.test",
	  "mx.b.test[192.0.2.1] said: 250 2.0.0 queued as 1", 1700000050 },
	{ "carol@a.test", NULL, NULL, 1700000060 },
};

static void
build_from(const char *name, enum bounce_kind kind, bool full,
    const struct bounce_rcpt *rs, size_t n)
{
	struct bounce_info b;
	struct buf out;
	const char *err;
	char *norm;

	memset(&b, 0, sizeof(b));
	b.kind = kind;
	b.hostname = "mx.a.test";
	b.to = "alice@a.test";
	b.id = "0123456789ABCDEF";
	b.envid = "ENV+2B1";
	b.arrival = 1700000000;
	b.retry_until = 1700432000;
	b.now = 1700000100;
	b.rcpts = rs;
	b.nrcpts = n;
	b.msg = original;
	b.len = sizeof(original) - 1;
	b.full = full;
	buf_init(&out, 1 << 20);
	assert_int_equal(bounce_build(&b, &out, &err), 0);
	norm = normalise(buf_cstr(&out));
	golden(name, norm);
	free(norm);
	buf_free(&out);
}

static void
build(const char *name, enum bounce_kind kind, bool full, size_t n)
{
	build_from(name, kind, full, rcpts, n);
}

static void
test_failed_headers(void **state)
{
	(void)state;
	build("failed-hdrs", BOUNCE_FAILED, false, 4);
}

static void
test_failed_full(void **state)
{
	(void)state;
	build("failed-full", BOUNCE_FAILED, true, 1);
}

static void
test_delayed(void **state)
{
	(void)state;
	build("delayed", BOUNCE_DELAYED, false, 1);
}

static void
test_delivered(void **state)
{
	(void)state;
	build_from("delivered", BOUNCE_DELIVERED, false, ok_rcpts, 2);
	build_from("relayed", BOUNCE_RELAYED, false, ok_rcpts, 1);
}

static void
test_too_large(void **state)
{
	struct bounce_info b;
	struct buf out;
	const char *err = NULL;

	(void)state;
	memset(&b, 0, sizeof(b));
	b.hostname = "h";
	b.to = "t@x";
	b.id = "0123456789ABCDEF";
	b.rcpts = rcpts;
	b.nrcpts = 1;
	buf_init(&out, 100);
	assert_int_equal(bounce_build(&b, &out, &err), -1);
	assert_non_null(err);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

struct perow {
	const char	*error;
	bool		 failed;
	const char	*status;
	const char	*diag;		/* NULL: none */
	const char	*mta;
};

static const struct perow perows[] = {
	{ "h.x[1.2.3.4] said: 550 5.1.1 no", true, "5.1.1",
	  "550 5.1.1 no", "h.x" },
	{ "h.x said: 554 transaction failed", true, "5.0.0",
	  "554 transaction failed", "h.x" },
	{ "h.x said: 451 5.1.1 class mismatch", false, "4.0.0",
	  "451 5.1.1 class mismatch", "h.x" },
	{ "h.x said: 550 5.1.1x junk", true, "5.0.0", "550 5.1.1x junk",
	  "h.x" },
	{ "5.6.7 needs SMTPUTF8", true, "5.6.7", NULL, "" },
	{ "delivery time expired; last error: x", true, "4.4.7", NULL, "" },
	{ "delivery time expired; last error: h.y[::1] said: 421 4.3.2 bye",
	  true, "4.4.7", "421 4.3.2 bye", "h.y" },
	{ "Connection refused", true, "5.0.0", NULL, "" },
	{ "Connection refused", false, "4.0.0", NULL, "" },
	{ NULL, true, "5.0.0", NULL, "" },
};

static void
test_parse_error(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(perows) / sizeof(perows[0]); i++) {
		char status[16], mta[256];
		const char *diag;

		bounce_parse_error(perows[i].error, perows[i].failed, status,
		    &diag, mta);
		assert_string_equal(status, perows[i].status);
		if (perows[i].diag == NULL)
			assert_null(diag);
		else
			assert_string_equal(diag, perows[i].diag);
		assert_string_equal(mta, perows[i].mta);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failed_headers),
		cmocka_unit_test(test_failed_full),
		cmocka_unit_test(test_delayed),
		cmocka_unit_test(test_delivered),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_parse_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
