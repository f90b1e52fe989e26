/*
 * test-mutf7.c: modified UTF-7 mailbox names (RFC 3501 §5.1.3), both
 * ways, with the RFC's own example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The UA is not in libpostern.a: the converter is compiled in here. */
#include "mime/mutf7.h"

static const struct {
	const char *utf8, *mutf7;
} pairs[] = {
	{ "INBOX", "INBOX" },
	{ "Work/Projects", "Work/Projects" },
	{ "Tom & Jerry", "Tom &- Jerry" },
	/* RFC 3501 §5.1.3 */
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "Entw\xc3\xbc" "rfe", "Entw&APw-rfe" },
	{ "caf\xc3\xa9 cr\xc3\xa8me", "caf&AOk- cr&AOg-me" },
	{ "\xf0\x9f\x93\xa7 mail", "&2D3c5w- mail" },
	{ "", "" },
};

static const char *bad[] = {
	"&", "&U,BTFw", "&AOk", "caf&AOl-", "&2D3-", "&3OfYPQ-", "a\x01",
	"a\xc3\xa9", "&!!-",
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

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b;

		buf_init(&b, 4096);
		buf_puts(&b, "keep");
		if (mime_mutf7_decode(bad[i], strlen(bad[i]), &b) != -1)
			fail_msg("row %zu decoded: %s", i, buf_cstr(&b));
		assert_string_equal(buf_cstr(&b), "keep");
		buf_free(&b);
	}
	{
		struct buf b;
		buf_init(&b, 64);
		assert_int_equal(mime_mutf7_encode("\xff", 1, &b), -1);
		buf_free(&b);
	}
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
