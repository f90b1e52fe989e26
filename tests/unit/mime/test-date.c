/*
 * test-date.c: RFC 5322 dates (appendix A examples, obsolete forms of
 * §4.3) and IMAP internal dates, parse and format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/date.h"

struct row {
	const char	*in;
	long long	 t;		/* expected UTC seconds */
	int		 tz;
	const char	*out;		/* mime_date_format of the result;
					 * NULL: parse error expected */
};

static const struct row rows[] = {
	/* RFC 5322 A.1.1, A.3, A.5, A.6.2 */
	{ "Fri, 21 Nov 1997 09:55:06 -0600", 880127706, -360,
	  "Fri, 21 Nov 1997 09:55:06 -0600" },
	{ "Tue, 1 Jul 2003 10:52:37 +0200", 1057049557, 120,
	  "Tue, 1 Jul 2003 10:52:37 +0200" },
	{ "Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n"
	  "               -0330 (Newfoundland Time)", -27723480, -210,
	  "Thu, 13 Feb 1969 23:32:00 -0330" },
	{ "21 Nov 97 09:55:06 GMT", 880106106, 0,
	  "Fri, 21 Nov 1997 09:55:06 +0000" },
	{ "Fri, 21 Nov 1997 09:55:06 PST", 880134906, -480,
	  "Fri, 21 Nov 1997 09:55:06 -0800" },
	{ "Sat, 1 Jan 2000 00:00:00 EDT", 946699200, -240,
	  "Sat, 1 Jan 2000 00:00:00 -0400" },
	{ "1 Jan 49 00:00:00 UT", 2493072000LL, 0,
	  "Fri, 1 Jan 2049 00:00:00 +0000" },
	{ "1 Jan 103 00:00 Z", 1041379200, 0,
	  "Wed, 1 Jan 2003 00:00:00 +0000" },
	{ "Mon, 29 Feb 2016 12:00:00 A", 1456747200, 0,
	  "Mon, 29 Feb 2016 12:00:00 +0000" },
	{ "Wed, 31 Dec 2008 23:59:60 +0000", 1230767999, 0,
	  "Wed, 31 Dec 2008 23:59:59 +0000" },
	{ "Fri, 21 Nov 1997 09:55:06", 880106106, 0,
	  "Fri, 21 Nov 1997 09:55:06 +0000" },
	{ "Fri, 21 Nov 1997 09:55:06 +0000 (UTC)", 880106106, 0,
	  "Fri, 21 Nov 1997 09:55:06 +0000" },
	{ "30 Feb 2001 00:00:00 +0000", 0, 0, NULL },
	{ "Fri, 21 Foo 1997 09:55:06 +0000", 0, 0, NULL },
	{ "Fri, 21 Nov 1997 25:55:06 +0000", 0, 0, NULL },
	{ "Fri, 21 Nov 1997 09:55:06 +06", 0, 0, NULL },
	{ "Fri, 21 Nov 1997 09:55:06 BOGUS", 0, 0, NULL },
	{ "", 0, 0, NULL },
	{ "garbage", 0, 0, NULL },
};

static void
test_rfc5322(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		const char *err = NULL;
		struct buf b;
		time_t t;
		int tz, rc;

		rc = mime_date_parse(r->in, strlen(r->in), &t, &tz, &err);
		if (r->out == NULL) {
			assert_int_equal(rc, -1);
			assert_non_null(err);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal((long long)t, r->t);
		assert_int_equal(tz, r->tz);
		buf_init(&b, 100);
		assert_int_equal(mime_date_format(t, tz, &b), 0);
		assert_string_equal(buf_cstr(&b), r->out);
		buf_free(&b);
	}
}

static const struct row imap_rows[] = {
	{ "17-Jul-1996 02:44:25 -0700", 837596665, -420,
	  "17-Jul-1996 02:44:25 -0700" },
	{ "\" 1-Jan-2020 00:00:00 +0000\"", 1577836800, 0,
	  " 1-Jan-2020 00:00:00 +0000" },
	{ "1-Jan-2020 00:00:00 +0100", 1577833200, 60,
	  " 1-Jan-2020 00:00:00 +0100" },
	{ "17-Jul-96 02:44:25 -0700", 0, 0, NULL },
	{ "17-Jul-1996 02:44 -0700", 0, 0, NULL },
	{ "17-Jul-1996 02:44:25", 0, 0, NULL },
	{ "32-Jul-1996 02:44:25 +0000", 0, 0, NULL },
};

static void
test_imap(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(imap_rows) / sizeof(imap_rows[0]); i++) {
		const struct row *r = &imap_rows[i];
		struct buf b;
		time_t t;
		int tz, rc;

		rc = mime_date_imap_parse(r->in, strlen(r->in), &t, &tz, NULL);
		if (r->out == NULL) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal((long long)t, r->t);
		assert_int_equal(tz, r->tz);
		buf_init(&b, 100);
		assert_int_equal(mime_date_imap_format(t, tz, &b), 0);
		assert_string_equal(buf_cstr(&b), r->out);
		buf_free(&b);
	}
}

static void
test_roundtrip(void **state)
{
	long long t;

	/* Every few days over two centuries, in a few zones. */
	for (t = -2208988800LL; t < 4102444800LL; t += 86400LL * 7 + 3607) {
		static const int zones[] = { 0, -210, 330, 840, -720 };
		size_t z;

		for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
			struct buf b;
			time_t back;
			int tz;

			buf_init(&b, 100);
			mime_date_format((time_t)t, zones[z], &b);
			assert_int_equal(mime_date_parse(buf_cstr(&b), b.len,
			    &back, &tz, NULL), 0);
			assert_int_equal((long long)back, t);
			assert_int_equal(tz, zones[z]);
			buf_reset(&b);
			mime_date_imap_format((time_t)t, zones[z], &b);
			assert_int_equal(mime_date_imap_parse(buf_cstr(&b),
			    b.len, &back, &tz, NULL), 0);
			assert_int_equal((long long)back, t);
			buf_free(&b);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5322),
		cmocka_unit_test(test_imap),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
