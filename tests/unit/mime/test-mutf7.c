/*
 * test-mutf7.c: modified UTF-7 (RFC 3501 §5.1.3) both ways, table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mutf7.h"

struct row {
	const char	*utf8;
	const char	*mutf7;
};

/* Pairs valid both ways. */
static const struct row pairs[] = {
	{ "INBOX", "INBOX" },
	{ "a&b", "a&-b" },
	{ "&", "&-" },
	{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "&ZeVnLIqe-" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "\xf0\x9f\x93\xa7 mail", "&2D3c5w- mail" },
	{ "\xc3\xa9&\xc3\xa9", "&AOk-&-&AOk-" },
	{ "Work/Projects", "Work/Projects" },
	{ "Tom & Jerry", "Tom &- Jerry" },
	{ "caf\xc3\xa9 cr\xc3\xa8me", "caf&AOk- cr&AOg-me" },
	{ "", "" },
};

static const char *const bad_mutf7[] = {
	"&", "&AOk", "&AGE-",	/* 'a' encoded */
	"&2D3-",		/* lone high surrogate */
	"&3Ac-",		/* lone low surrogate */
	"&A!k-", "caf\xc3\xa9", "tab\there", "&AOkA-",	/* stray bits */
	"&AOk-&AOk-",		/* two runs back to back */
	"&U,BTFw", "caf&AOl-", "&3OfYPQ-", "a\x01", "&!!-",
};

static const char *const bad_utf8[] = {
	"\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xff",
};

static void
test_pairs(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct buf b;

		buf_init(&b, 4096);
		assert_int_equal(mime_mutf7_encode(pairs[i].utf8,
		    strlen(pairs[i].utf8), &b), 0);
		assert_string_equal(buf_cstr(&b), pairs[i].mutf7);
		buf_reset(&b);
		assert_int_equal(mime_mutf7_decode(pairs[i].mutf7,
		    strlen(pairs[i].mutf7), &b), 0);
		assert_string_equal(buf_cstr(&b), pairs[i].utf8);
		buf_free(&b);
	}
}

static void
test_bad(void **state)
{
	size_t i;
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	for (i = 0; i < sizeof(bad_mutf7) / sizeof(bad_mutf7[0]); i++) {
		if (mime_mutf7_decode(bad_mutf7[i], strlen(bad_mutf7[i]),
		    &b) != -1)
			fail_msg("decoded bad '%s'", bad_mutf7[i]);
		assert_int_equal(b.len, 0);
	}
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		assert_int_equal(mime_mutf7_encode(bad_utf8[i],
		    strlen(bad_utf8[i]), &b), -1);
		assert_int_equal(b.len, 0);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
