/*
 * test-reply.c: the SMTP reply parser, table-driven; every row is fed
 * whole and one byte at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smtpc/reply.h"

struct row {
	const char	*in;
	int		 rv;		/* of the first next() after all input */
	int		 code;
	const char	*status;
	const char	*text;
	size_t		 nlines;
};

static const struct row rows[] = {
	{ "220 mx.example ESMTP\r\n", 1, 220, "", "mx.example ESMTP", 1 },
	{ "250-a\r\n250-PIPELINING\r\n250 SIZE 100\r\n", 1, 250, "",
	  "a\nPIPELINING\nSIZE 100", 3 },
	{ "550 5.1.1 <x@y>: unknown\r\n", 1, 550, "5.1.1",
	  "5.1.1 <x@y>: unknown", 1 },
	{ "250\r\n", 1, 250, "", "", 1 },
	{ "250 ok\n", 1, 250, "", "ok", 1 },		/* bare LF accepted */
	{ "451 4.7.1 a\x01\xff b\r\n", 1, 451, "4.7.1", "4.7.1 a?? b", 1 },
	{ "550 4.1.1 wrong class\r\n", 1, 550, "", "4.1.1 wrong class", 1 },
	{ "250-a\r\n", 0, 0, NULL, NULL, 0 },		/* incomplete */
	{ "250 a", 0, 0, NULL, NULL, 0 },
	{ "250-a\r\n251 b\r\n", -1, 0, NULL, NULL, 0 },	/* code changed */
	{ "2500 x\r\n", -1, 0, NULL, NULL, 0 },
	{ "abc\r\n", -1, 0, NULL, NULL, 0 },
	{ "650 x\r\n", -1, 0, NULL, NULL, 0 },
	{ "25\r\n", -1, 0, NULL, NULL, 0 },
	{ "\r\n", -1, 0, NULL, NULL, 0 },
};

static void
check_row(const struct row *row, int bytewise)
{
	struct smtpc_reply_parser p;
	struct smtpc_reply r;
	const char *err = NULL;
	size_t len = strlen(row->in);
	int rv = 0;

	smtpc_reply_init(&p);
	if (bytewise) {
		for (size_t i = 0; i < len; i++) {
			assert_int_equal(smtpc_reply_push(&p, row->in + i, 1), 1);
			if (i + 1 < len) {
				rv = smtpc_reply_next(&p, &r, &err);
				if (rv != 0)
					break;
			}
		}
	} else
		assert_int_equal(smtpc_reply_push(&p, row->in, len), len);
	if (rv == 0)
		rv = smtpc_reply_next(&p, &r, &err);
	assert_int_equal(rv, row->rv);
	if (rv == 1) {
		assert_int_equal(r.code, row->code);
		assert_string_equal(r.status, row->status);
		assert_string_equal(r.text, row->text);
		assert_int_equal(r.nlines, row->nlines);
	} else if (rv == -1)
		assert_non_null(err);
	smtpc_reply_free(&p);
}

static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		check_row(&rows[i], 0);
		check_row(&rows[i], 1);
	}
}

/* CVE-2020-8794 class: a hostile server cannot grow a reply forever. */
static void
test_bounds(void **state)
{
	struct smtpc_reply_parser p;
	struct smtpc_reply r;
	const char *err;
	char line[2048];

	(void)state;
	smtpc_reply_init(&p);
	for (int i = 0; i < SMTPC_REPLY_LINES_MAX; i++)
		smtpc_reply_push(&p, "250-x\r\n", 7);
	smtpc_reply_push(&p, "250-x\r\n", 7);
	assert_int_equal(smtpc_reply_next(&p, &r, &err), -1);
	/* and nothing after a failure */
	smtpc_reply_push(&p, "250 x\r\n", 7);
	assert_int_equal(smtpc_reply_next(&p, &r, &err), -1);
	smtpc_reply_free(&p);

	smtpc_reply_init(&p);
	memset(line, 'a', sizeof(line));
	memcpy(line, "250 ", 4);
	smtpc_reply_push(&p, line, sizeof(line));
	assert_int_equal(smtpc_reply_next(&p, &r, &err), -1);
	smtpc_reply_free(&p);

	/* Long text is cut, not overflowed. */
	smtpc_reply_init(&p);
	memset(line, 'b', 1000);
	memcpy(line, "250-", 4);
	memcpy(line + 1000, "\r\n", 2);
	for (int i = 0; i < 10; i++) {
		line[3] = i == 9 ? ' ' : '-';
		smtpc_reply_push(&p, line, 1002);
	}
	assert_int_equal(smtpc_reply_next(&p, &r, &err), 1);
	assert_true(strlen(r.text) < SMTPC_REPLY_TEXT_MAX);
	assert_int_equal(r.nlines, 10);
	smtpc_reply_free(&p);
}

static void
test_sequence(void **state)
{
	struct smtpc_reply_parser p;
	struct smtpc_reply r;
	const char *err;
	char out[64];

	(void)state;
	smtpc_reply_init(&p);
	smtpc_reply_push(&p, "250 a\r\n354-go\r\n354 on\r\n221", 26);
	assert_int_equal(smtpc_reply_next(&p, &r, &err), 1);
	assert_int_equal(r.code, 250);
	assert_int_equal(smtpc_reply_next(&p, &r, &err), 1);
	assert_int_equal(r.code, 354);
	smtpc_reply_format(&r, out, sizeof(out));
	assert_string_equal(out, "354 go on");
	assert_int_equal(smtpc_reply_next(&p, &r, &err), 0);
	assert_true(smtpc_reply_pending(&p) > 0);
	smtpc_reply_discard(&p);
	assert_int_equal(smtpc_reply_pending(&p), 0);
	smtpc_reply_push(&p, " bye\r\n", 6);
	assert_int_equal(smtpc_reply_next(&p, &r, &err), -1);
	smtpc_reply_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_sequence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
