/*
 * test-data.c: the DATA/BDAT content scanner, table-driven; every row is
 * fed whole, one byte at a time, and in two pieces split at every offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "smtpd/data.h"

#define LF SMTPD_DATA_BARE_LF
#define CR SMTPD_DATA_BARE_CR
#define LONG SMTPD_DATA_LONG_LINE

struct row {
	const char	*in;
	int		 dot;
	const char	*out;		/* content produced */
	int		 done;		/* DATA end found */
	const char	*rest;		/* bytes left after the end */
	unsigned	 problems;
	unsigned	 hops;
};

static const struct row rows[] = {
	{ ".\r\n", 1, "", 1, "", 0, 0 },
	{ "a\r\n.\r\n", 1, "a\r\n", 1, "", 0, 0 },
	{ "a\r\n.\r\nNEXT\r\n", 1, "a\r\n", 1, "NEXT\r\n", 0, 0 },
	{ "..\r\n.\r\n", 1, ".\r\n", 1, "", 0, 0 },
	{ ".a\r\n.\r\n", 1, "a\r\n", 1, "", 0, 0 },
	{ "a.\r\n.\r\n", 1, "a.\r\n", 1, "", 0, 0 },
	{ "a\r\n.", 1, "a\r\n", 0, "", 0, 0 },
	{ "a\r\n.\r", 1, "a\r\n", 0, "", 0, 0 },
	/* smuggling shapes: never an end, always a problem */
	{ "a\n.\n", 1, "a\n.\n", 0, "", LF, 0 },
	{ "a\n.\r\nX", 1, "a\n.\r\nX", 0, "", LF, 0 },
	{ "a\r\n.\nX", 1, "a\r\n\nX", 0, "", LF, 0 },
	{ "a\r.\r\nX", 1, "a\r.\r\nX", 0, "", CR, 0 },
	{ "a\r\n.\rX\r\n", 1, "a\r\n\rX\r\n", 0, "", CR, 0 },
	{ "a\r\r\n.\r\n", 1, "a\r\r\n", 1, "", CR, 0 },
	{ "\n.\r\n", 1, "\n.\r\n", 0, "", LF, 0 },
	/* BDAT: no dot handling, no end */
	{ ".\r\n", 0, ".\r\n", 0, "", 0, 0 },
	{ "a\nb", 0, "a\nb", 0, "", LF, 0 },
	{ "a\rb", 0, "a\rb", 0, "", CR, 0 },
	/* Received: counting in the header only */
	{ "Received: a\r\nreceived:b\r\n\tReceived: c\r\nX: y\r\n\r\n"
	  "Received: body\r\n.\r\n", 1,
	  "Received: a\r\nreceived:b\r\n\tReceived: c\r\nX: y\r\n\r\n"
	  "Received: body\r\n", 1, "", 0, 2 },
	{ "Received : a\r\nReceivedx: b\r\nReceive\r\n.\r\n", 1,
	  "Received : a\r\nReceivedx: b\r\nReceive\r\n", 1, "", 0, 0 },
	{ "..Received: a\r\n.\r\n", 1, ".Received: a\r\n", 1, "", 0, 0 },
	{ ".Received: a\r\n.\r\n", 1, "Received: a\r\n", 1, "", 0, 1 },
};

/* Scans in pieces of at most step bytes (0: split once at split). */
static void
scan(const struct row *r, size_t step, size_t split, struct buf *out,
    struct smtpd_data *d, size_t *used_out)
{
	size_t len = strlen(r->in), off = 0;

	smtpd_data_init(d, r->dot);
	while (off < len && !d->done) {
		size_t n = step ? step : (off < split ? split - off : len - off);
		size_t used;

		if (n > len - off)
			n = len - off;
		if (n == 0)
			n = len - off;
		used = smtpd_data_scan(d, r->in + off, n, out);
		assert_true(used <= n);
		if (used < n)
			assert_true(d->done);
		off += used;
	}
	*used_out = off;
}

static void
check(const struct row *r, size_t i, size_t step, size_t split)
{
	struct smtpd_data d;
	struct buf out;
	size_t used;

	buf_init(&out, 1 << 20);
	scan(r, step, split, &out, &d, &used);
	if (out.len != strlen(r->out) || memcmp(out.data, r->out, out.len))
		fail_msg("row %zu step %zu split %zu: output \"%s\"", i, step,
		    split, buf_cstr(&out));
	assert_int_equal(d.done, r->done);
	assert_string_equal(r->in + used, r->rest);
	if (d.problems != r->problems)
		fail_msg("row %zu: problems %u want %u", i, d.problems,
		    r->problems);
	assert_int_equal(d.hops, r->hops);
	assert_true(d.size == out.len);
	buf_free(&out);
}

static void
test_table(void **state)
{
	size_t i, k;

	for (i = 0; i < nitems(rows); i++) {
		check(&rows[i], i, 0, strlen(rows[i].in));
		check(&rows[i], i, 1, 0);
		for (k = 1; k < strlen(rows[i].in); k++)
			check(&rows[i], i, 0, k);
	}
}

static void
test_long_lines(void **state)
{
	struct smtpd_data d;
	struct buf out;
	char line[1100];

	buf_init(&out, 1 << 20);
	/* 998 + CRLF = 1000: fine */
	memset(line, 'x', 998);
	memcpy(line + 998, "\r\n", 3);
	smtpd_data_init(&d, 1);
	smtpd_data_scan(&d, line, strlen(line), &out);
	assert_int_equal(d.problems, 0);
	/* 999 + CRLF: too long */
	memset(line, 'x', 999);
	memcpy(line + 999, "\r\n", 3);
	smtpd_data_init(&d, 1);
	smtpd_data_scan(&d, line, strlen(line), &out);
	assert_int_equal(d.problems, LONG);
	/* a stuffed dot does not count */
	line[0] = '.';
	smtpd_data_init(&d, 1);
	smtpd_data_scan(&d, line, strlen(line), &out);
	assert_int_equal(d.problems, 0);
	buf_free(&out);
}

static void
test_finish(void **state)
{
	struct smtpd_data d;
	struct buf out;

	buf_init(&out, 64);
	smtpd_data_init(&d, 0);
	smtpd_data_scan(&d, "ab\r", 3, &out);
	assert_int_equal(out.len, 2);
	smtpd_data_finish(&d, &out);
	assert_int_equal(d.problems, CR);
	assert_string_equal(buf_cstr(&out), "ab\r");
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_finish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
