/*
 * test-reply.c: POP3 status lines (RFC 1939 §3) as the user agent's
 * client reads them. (SMTP replies are src/smtpc's, tested there.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The UA is not in libpostern.a: the parser is compiled in here. */
#include "ua/reply.c"

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
		cmocka_unit_test(test_pop3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
