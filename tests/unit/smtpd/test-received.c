/*
 * test-received.c: the Received: field and the date, golden strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "smtpd/received.h"

struct row {
	struct smtpd_received	 r;
	const char		*want;
};

static const struct row rows[] = {
	{ { "client.example", NULL, "192.0.2.1", "mx.example.org", "ESMTP",
	    "Q1", "alice@example.org", 1700000000 },
	  "Received: from client.example ([192.0.2.1])\r\n"
	  "\tby mx.example.org (Postern) with ESMTP id Q1\r\n"
	  "\tfor <alice@example.org>;\r\n"
	  "\tTue, 14 Nov 2023 22:13:20 +0000\r\n" },
	{ { "[IPv6:2001:db8::1]", "c.example", "2001:db8::1", "mx", "ESMTPSA",
	    "", NULL, 0 },
	  "Received: from [IPv6:2001:db8::1] (c.example [IPv6:2001:db8::1])\r\n"
	  "\tby mx (Postern) with ESMTPSA;\r\n"
	  "\tThu, 1 Jan 1970 00:00:00 +0000\r\n" },
	{ { "h", "", "10.0.0.1", "mx", "UTF8SMTPS", NULL, NULL, 951782400 },
	  "Received: from h ([10.0.0.1])\r\n"
	  "\tby mx (Postern) with UTF8SMTPS;\r\n"
	  "\tTue, 29 Feb 2000 00:00:00 +0000\r\n" },
};

static void
test_table(void **state)
{
	size_t i;

	for (i = 0; i < nitems(rows); i++) {
		struct buf b;

		buf_init(&b, 4096);
		assert_int_equal(smtpd_received_format(&b, &rows[i].r), 0);
		assert_string_equal(buf_cstr(&b), rows[i].want);
		buf_free(&b);
	}
}

/* A buffer too small leaves nothing behind. */
static void
test_full(void **state)
{
	struct buf b;
	size_t max;

	for (max = 0; max < strlen(rows[0].want); max++) {
		buf_init(&b, max);
		buf_puts(&b, "");
		assert_int_equal(smtpd_received_format(&b, &rows[0].r), -1);
		assert_int_equal(b.len, 0);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
