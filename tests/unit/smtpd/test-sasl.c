/*
 * test-sasl.c: base64 and SASL PLAIN decoding, table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "lib/util.h"
#include "smtpd/sasl.h"

struct b64row {
	const char	*in;
	long		 len;	/* -1: refused */
	const char	*out;
};

static const struct b64row b64rows[] = {
	{ "", 0, "" },
	{ "YQ==", 1, "a" },
	{ "YWI=", 2, "ab" },
	{ "YWJj", 3, "abc" },
	{ "AGFsaWNlAHNlY3JldA==", 13, "\0alice\0secret" },
	{ "YQ=", -1, NULL },
	{ "YQ", -1, NULL },
	{ "Y===", -1, NULL },
	{ "=YQ=", -1, NULL },
	{ "YQ==YQ==", -1, NULL },
	{ "YW=j", -1, NULL },
	{ "YW J", -1, NULL },
	{ "YW\nJ", -1, NULL },
	{ "!!!!", -1, NULL },
	{ "////", 3, "\xff\xff\xff" },
	{ "++++", 3, "\xfb\xef\xbe" },
};

static void
test_base64(void **state)
{
	size_t i;

	for (i = 0; i < nitems(b64rows); i++) {
		const struct b64row *r = &b64rows[i];
		char out[64];
		long n = smtpd_base64_decode(r->in, strlen(r->in), out,
		    sizeof(out));

		if (n != r->len)
			fail_msg("row %zu %s: %ld want %ld", i, r->in, n, r->len);
		if (n >= 0) {
			assert_memory_equal(out, r->out, (size_t)n);
			assert_int_equal(out[n], '\0');
		}
	}
}

static void
test_base64_room(void **state)
{
	char out[4];

	assert_int_equal(smtpd_base64_decode("YWJj", 4, out, 4), 3);
	assert_int_equal(smtpd_base64_decode("YWJj", 4, out, 3), -1);
	assert_int_equal(smtpd_base64_decode("", 0, out, 0), -1);
}

struct plainrow {
	const char	*msg;
	size_t		 len;
	int		 rc;
	const char	*user, *pass;
};

static const struct plainrow plainrows[] = {
	{ "\0alice\0secret", 13, 0, "alice", "secret" },
	{ "alice\0alice\0secret", 18, 0, "alice", "secret" },
	{ "bob\0alice\0secret", 16, -1 },
	{ "\0alice\0", 7, 0, "alice", "" },
	{ "\0\0secret", 8, -1 },
	{ "\0alice", 6, -1 },
	{ "alice", 5, -1 },
	{ "\0alice\0se\0cret", 14, -1 },
	{ "", 0, -1 },
};

static void
test_plain(void **state)
{
	size_t i;

	for (i = 0; i < nitems(plainrows); i++) {
		const struct plainrow *r = &plainrows[i];
		char user[SMTPD_SASL_FIELD_MAX + 1], pass[SMTPD_SASL_FIELD_MAX + 1];
		int rc = smtpd_sasl_plain(r->msg, r->len, user, pass);

		if (rc != r->rc)
			fail_msg("row %zu: rc %d", i, rc);
		if (rc == 0) {
			assert_string_equal(user, r->user);
			assert_string_equal(pass, r->pass);
		}
	}
}

static void
test_plain_long(void **state)
{
	char msg[600], user[SMTPD_SASL_FIELD_MAX + 1],
	    pass[SMTPD_SASL_FIELD_MAX + 1];

	memset(msg, 'p', sizeof(msg));
	msg[0] = '\0';
	memcpy(msg + 1, "u", 1);
	msg[2] = '\0';
	/* password of 255: fine; 256: refused */
	assert_int_equal(smtpd_sasl_plain(msg, 3 + 255, user, pass), 0);
	assert_int_equal(strlen(pass), 255);
	assert_int_equal(smtpd_sasl_plain(msg, 3 + 256, user, pass), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_base64_room),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_plain_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
