/*
 * test-rfc2047.c: encoded words, decode (RFC 2047 §8 examples among the
 * rows) and encode (round trip, word and line lengths), plus the charset
 * fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/charset.h"
#include "mime/rfc2047.h"

struct row {
	const char	*in;
	const char	*out;
};

static const struct row rows[] = {
	/* RFC 2047 §8 */
	{ "=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>",
	  "Keith Moore <moore@cs.utk.edu>" },
	{ "=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>",
	  "Keld J\xc3\xb8rn Simonsen <keld@dkuug.dk>" },
	{ "=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
	  "Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>" },
	{ "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
	  "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
	  "If you can read this you understand the example." },
	{ "Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n"
	  "    (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)",
	  "Nathaniel Borenstein <nsb@thumper.bellcore.com>    "
	  "(\xd7\x9d\xd7\x95\xd7\x9c\xd7\xa9 \xd7\x9f\xd7\x91 "
	  "\xd7\x99\xd7\x9c\xd7\x98\xd7\xa4\xd7\xa0)" },
	{ "(=?ISO-8859-1?Q?a?=)", "(a)" },
	{ "(=?ISO-8859-1?Q?a?= b)", "(a b)" },
	{ "(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)" },
	{ "(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)" },
	{ "(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)" },
	{ "(=?ISO-8859-1?Q?a_b?=)", "(a b)" },
	{ "(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)" },
	/* RFC 2231 §5: a language in an encoded word */
	{ "=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore" },
	/* A character split across two words is joined first. */
	{ "=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=", "caf\xc3\xa9" },
	{ "=?utf-8?b?w6k=?==?utf-8?b?w6k=?=", "\xc3\xa9\xc3\xa9" },
	/* Not words: kept as they are. */
	{ "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=" },
	{ "=?UTF-8?Q?no end", "=?UTF-8?Q?no end" },
	{ "=?UTF-8?Q?sp ace?=", "=?UTF-8?Q?sp ace?=" },
	{ "a = b =? c", "a = b =? c" },
	{ "plain\r\n folded", "plain folded" },
	/* Unknown charset: the fallback keeps ASCII, U+FFFD for the rest. */
	{ "=?x-unknown?Q?a=FFb?=", "a\xef\xbf\xbd" "b" },
	/* Raw 8-bit text: UTF-8 kept, invalid bytes replaced. */
	{ "caf\xc3\xa9 \xff", "caf\xc3\xa9 \xef\xbf\xbd" },
	{ "=?ISO-2022-JP?B?GyRCJEYkOSRIGyhC?=",
	  "\xe3\x81\xa6\xe3\x81\x99\xe3\x81\xa8" },
	{ "", "" },
};

static void
test_decode(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf b;

		buf_init(&b, 4096);
		assert_int_equal(mime_rfc2047_decode(rows[i].in,
		    strlen(rows[i].in), &b, NULL), 0);
		assert_string_equal(buf_cstr(&b), rows[i].out);
		buf_free(&b);
	}
}

static void
check_encoded(const char *enc, size_t col)
{
	const char *p = enc, *nl;

	for (; *p != '\0'; p = nl + 1) {
		size_t n;

		nl = strchr(p, '\n');
		n = (nl != NULL ? (size_t)(nl - p - 1) : strlen(p)) + col;
		assert_true(n <= 78 + 12);
		if (nl != NULL) {
			assert_int_equal(nl[-1], '\r');
			assert_true(nl[1] == ' ' || nl[1] == '\t');
		} else
			break;
		col = 0;
	}
}

static const char *encode_rows[] = {
	"Hello world",
	"caf\xc3\xa9",
	"Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, \xe6\x97\xa5\xe6\x9c\xac\xe8"
	    "\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d and a long tail of "
	    "text that needs several encoded words to fit the 75 limit",
	"looks like =?utf-8?q?a_word?= but is not",
	"A very long ASCII subject line that goes on and on and on well past "
	    "the seventy-eight character soft limit of RFC 5322",
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
	"",
	"a                                                                    "
	    "                                                                 "
	    "          b",
};

static void
test_encode(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(encode_rows) / sizeof(encode_rows[0]); i++) {
		const char *s = encode_rows[i];
		struct buf enc, dec;
		const char *w;

		buf_init(&enc, 4096);
		buf_init(&dec, 4096);
		assert_int_equal(mime_rfc2047_encode(s, strlen(s), 9, &enc), 0);
		check_encoded(buf_cstr(&enc), 9);
		/* Every encoded word is at most 75 characters. */
		for (w = strstr(buf_cstr(&enc), "=?UTF-8?B?"); w != NULL;
		    w = strstr(w + 1, "=?UTF-8?B?")) {
			const char *e = strstr(w + 10, "?=");

			assert_non_null(e);
			assert_true(e + 2 - w <= 75);
		}
		assert_int_equal(mime_rfc2047_decode(buf_cstr(&enc), enc.len,
		    &dec, NULL), 0);
		assert_string_equal(buf_cstr(&dec), s);
		buf_free(&enc);
		buf_free(&dec);
	}
}

static void
test_charset(void **state)
{
	struct buf b;
	const char *err = NULL;

	buf_init(&b, 100);
	assert_int_equal(mime_charset_to_utf8("iso-8859-1", "\xe9", 1, &b,
	    &err), 0);
	assert_string_equal(buf_cstr(&b), "\xc3\xa9");
	buf_reset(&b);
	assert_int_equal(mime_charset_to_utf8("windows-1252", "\x80", 1, &b,
	    &err), 0);
	assert_string_equal(buf_cstr(&b), "\xe2\x82\xac");
	buf_reset(&b);
	assert_int_equal(mime_charset_to_utf8("no-such-charset", "a\xe9", 2,
	    &b, &err), 1);
	assert_string_equal(buf_cstr(&b), "a\xef\xbf\xbd");
	assert_non_null(strstr(err, "unknown"));
	buf_reset(&b);
	/* "//TRANSLIT" cannot be smuggled in through the name. */
	assert_int_equal(mime_charset_to_utf8("utf-8//TRANSLIT", "a", 1, &b,
	    &err), 1);
	assert_false(mime_charset_is_known("utf-8//IGNORE"));
	assert_true(mime_charset_is_known("ks_c_5601-1987"));
	buf_reset(&b);
	assert_int_equal(mime_charset_to_utf8("utf-8", "\xed\xa0\x80", 3, &b,
	    &err), 1);	/* a surrogate */
	assert_true(mime_utf8_is_valid(buf_cstr(&b), b.len));
	assert_false(mime_utf8_is_valid("\xc0\xaf", 2));
	buf_free(&b);
	/* A tight max that the output fits in exactly. */
	buf_init(&b, 4);
	assert_int_equal(mime_charset_to_utf8("iso-8859-1", "\xe9\xe9", 2, &b,
	    &err), 0);
	assert_string_equal(buf_cstr(&b), "\xc3\xa9\xc3\xa9");
	buf_free(&b);
	/* Room for one character of two: fails, and does not spin. */
	buf_init(&b, 3);
	assert_int_equal(mime_charset_to_utf8("iso-8859-1", "\xe9\xe9", 2, &b,
	    &err), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	/* Output limit. */
	buf_init(&b, 2);
	assert_int_equal(mime_charset_to_utf8("iso-8859-1", "\xe9\xe9", 2, &b,
	    &err), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_charset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
