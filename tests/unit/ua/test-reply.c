/*
 * test-reply.c: SMTP reply lines (RFC 5321 §4.2) and POP3 status lines
 * (RFC 1939 §3) as the user agent's clients read them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The UA is not in libpostern.a: the parsers are compiled in here. */
#include "ua/reply.c"

static const struct {
	const char *in;
	int rc, code, last;
} smtp_rows[] = {
	{ "250 ok", 0, 250, 1 },
	{ "250-PIPELINING", 0, 250, 0 },
	{ "220", 0, 220, 1 },
	{ "354 go ahead", 0, 354, 1 },
	{ "550 5.1.1 no such user", 0, 550, 1 },
	{ "25", -1, 0, 0 },
	{ "", -1, 0, 0 },
	{ "2500 x", -1, 0, 0 },
	{ "abc def", -1, 0, 0 },
	{ "150 too low", -1, 0, 0 },
	{ "650 too high", -1, 0, 0 },
	{ "250_x", -1, 0, 0 },
};

static void
test_smtp(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(smtp_rows) / sizeof(smtp_rows[0]); i++) {
		int code = 0, last = -1;
		int rc = ua_smtp_reply_line(smtp_rows[i].in,
		    strlen(smtp_rows[i].in), &code, &last);

		if (rc != smtp_rows[i].rc)
			fail_msg("row %zu: rc %d", i, rc);
		if (rc == 0) {
			assert_int_equal(code, smtp_rows[i].code);
			assert_int_equal(last, smtp_rows[i].last);
		}
	}
}

static const struct {
	const char *in;
	int rc;
	const char *text;
} pop3_rows[] = {
	{ "+OK", 1, "" },
	{ "+OK 2 320", 1, "2 320" },
	{ "+OK POP3 ready <1.2@host>", 1, "POP3 ready <1.2@host>" },
	{ "-ERR", 0, "" },
	{ "-ERR [AUTH] bad password", 0, "[AUTH] bad password" },
	{ "+OKAY", -1, "+OKAY" },
	{ "-ERROR x", -1, "-ERROR x" },
	{ "OK", -1, "OK" },
	{ "", -1, "" },
	{ "+ok lower", -1, "+ok lower" },
};

static void
test_pop3(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pop3_rows) / sizeof(pop3_rows[0]); i++) {
		const char *text = NULL;
		int rc = ua_pop3_status(pop3_rows[i].in,
		    strlen(pop3_rows[i].in), &text);

		if (rc != pop3_rows[i].rc)
			fail_msg("row %zu: rc %d", i, rc);
		assert_string_equal(text, pop3_rows[i].text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp),
		cmocka_unit_test(test_pop3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
