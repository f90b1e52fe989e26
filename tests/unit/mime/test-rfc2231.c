/*
 * test-rfc2231.c: parameter lists (RFC 2045 §5.1) and RFC 2231
 * continuations, charsets and languages (the RFC's examples among the
 * rows), plus the 10,000-continuation bomb.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/rfc2231.h"

struct row {
	const char	*in;
	const char	*lead;
	const char	*name;	/* parameter to look up */
	const char	*value;	/* decoded, or NULL when absent */
	size_t		 count;
};

static const struct row rows[] = {
	/* RFC 2231 §3 */
	{ "message/external-body; access-type=URL;\r\n"
	  " URL*0=\"ftp://\";\r\n"
	  " URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
	  "message/external-body", "url",
	  "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar", 3 },
	/* §4 */
	{ "application/x-stuff;\r\n"
	  " title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
	  "application/x-stuff", "title", "This is ***fun***", 1 },
	/* §4.1 */
	{ "application/x-stuff;\r\n"
	  " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
	  " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
	  " title*2=\"isn't it!\"",
	  "application/x-stuff", "title",
	  "This is even more ***fun*** isn't it!", 3 },
	{ "attachment; filename*=iso-8859-1''%E9t%E9.txt", "attachment",
	  "filename", "\xc3\xa9t\xc3\xa9.txt", 1 },
	{ "attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "attachment",
	  "filename", "\xe2\x82\xac rates.pdf", 1 },
	/* Out of order segments; a gap ends the value. */
	{ "x/y; name*1=\"b\"; name*0=\"a\"", "x/y", "name", "ab", 2 },
	{ "x/y; name*0=\"a\"; name*2=\"c\"", "x/y", "name", "a", 2 },
	/* RFC 2047 inside a quoted value (common practice). */
	{ "attachment; filename=\"=?UTF-8?B?w6l0w6kudHh0?=\"", "attachment",
	  "filename", "\xc3\xa9t\xc3\xa9.txt", 1 },
	/* Comments, spaces, case. */
	{ "Text/Plain (comment); CharSet = \"utf-8\" (x)", "text/plain",
	  "charset", "utf-8", 1 },
	{ "text/plain; charset=\"a\\\"b\"", "text/plain", "charset", "a\"b",
	  1 },
	/* Broken but common. */
	{ "attachment; filename=my file.txt", "attachment", "filename",
	  "my file.txt", 1 },
	{ "text/plain;; ; charset=us-ascii;", "text/plain", "charset",
	  "us-ascii", 1 },
	{ "text/plain; junk; charset=x", "text/plain", "charset", "x", 1 },
	{ "text/plain; name=\"unterminated", "text/plain", "name",
	  "unterminated", 1 },
	{ "multipart/mixed; boundary=\"simple boundary\"", "multipart/mixed",
	  "boundary", "simple boundary", 1 },
	{ "text/plain", "text/plain", "charset", NULL, 0 },
	{ "", "", "x", NULL, 0 },
};

static void
test_rows(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct mime_params p;
		struct buf blob, v;
		const char *lead;
		int rc;

		buf_init(&blob, 4096);
		buf_init(&v, 4096);
		assert_int_equal(mime_params_parse(r->in, strlen(r->in), &blob,
		    &lead, &p, NULL), 0);
		assert_string_equal(lead, r->lead);
		assert_int_equal(p.count, r->count);
		rc = mime_params_get(&p, r->name, &v, NULL);
		if (r->value == NULL)
			assert_int_equal(rc, 0);
		else {
			assert_int_equal(rc, 1);
			assert_string_equal(buf_cstr(&v), r->value);
		}
		buf_free(&blob);
		buf_free(&v);
	}
}

static void
test_raw(void **state)
{
	static const char in[] = "a/b; X=1; y*=utf-8''z";
	struct mime_params p;
	struct buf blob;
	const char *n, *v, *lead;
	size_t pos = 0;

	buf_init(&blob, 4096);
	assert_int_equal(mime_params_parse(in, strlen(in), &blob, &lead, &p,
	    NULL), 0);
	assert_string_equal(lead, "a/b");
	assert_int_equal(mime_params_next(&p, &pos, &n, &v), 1);
	assert_string_equal(n, "x");
	assert_string_equal(v, "1");
	assert_int_equal(mime_params_next(&p, &pos, &n, &v), 1);
	assert_string_equal(n, "y*");
	assert_string_equal(v, "utf-8''z");
	assert_int_equal(mime_params_next(&p, &pos, &n, &v), 0);
	assert_string_equal(mime_params_get_raw(&p, "X"), "1");
	assert_null(mime_params_get_raw(&p, "z"));
	buf_free(&blob);
}

/* Bomb: 10,000 continuations, in reverse order, parse in linear time. */
static void
test_bomb(void **state)
{
	struct buf in, blob, v;
	struct mime_params p;
	const char *lead;
	clock_t t0 = clock();
	int i;

	buf_init(&in, 1 << 24);
	buf_init(&blob, 1 << 24);
	buf_init(&v, 1 << 24);
	buf_puts(&in, "attachment");
	for (i = 9999; i >= 0; i--)
		buf_printf(&in, ";\r\n filename*%d*=%s%%41", i,
		    i == 0 ? "utf-8''" : "");
	assert_int_equal(mime_params_parse(in.data, in.len, &blob, &lead, &p,
	    NULL), 0);
	assert_int_equal(p.count, 10000);
	assert_int_equal(mime_params_get(&p, "filename", &v, NULL), 1);
	assert_int_equal(v.len, 10000);
	assert_true(blob.cap < 4 * in.len + 4096);
	assert_true((clock() - t0) < 2 * CLOCKS_PER_SEC);
	buf_free(&in);
	buf_free(&blob);
	buf_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_bomb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
