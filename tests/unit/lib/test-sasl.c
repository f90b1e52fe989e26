/*
 * test-sasl.c: strict base64 and the SASL PLAIN message, as the SMTP,
 * POP3 and IMAP AUTH commands use them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sasl.h"
#include "lib/util.h"

static const struct {
	const char	*in;
	long		 len;	/* -1: refused */
	const char	*out;
} b64[] = {
	{ "", 0, "" },
	{ "YQ==", 1, "a" },
	{ "YWI=", 2, "ab" },
	{ "YWJj", 3, "abc" },
	{ "Zm9vYg==", 4, "foob" },
	{ "AGFsaWNlAHNlY3JldA==", 13, "\0alice\0secret" },
	{ "////", 3, "\xff\xff\xff" },
	{ "++++", 3, "\xfb\xef\xbe" },
	{ "/+/+", 3, "\xff\xef\xfe" },
	{ "YQ=", -1, NULL },		/* length not a multiple of 4 */
	{ "YQ", -1, NULL },
	{ "Y===", -1, NULL },
	{ "====", -1, NULL },
	{ "=YQ=", -1, NULL },
	{ "YQ==YQ==", -1, NULL },	/* padding inside */
	{ "YW=j", -1, NULL },
	{ "Zh==", -1, NULL },		/* non-zero bits under the padding */
	{ "Zm9=", -1, NULL },
	{ "YW J", -1, NULL },
	{ "YW\nJ", -1, NULL },
	{ "Zm9v\r\n", -1, NULL },
	{ "Zm-_", -1, NULL },		/* URL alphabet is not ours */
	{ "!!!!", -1, NULL },
};

static void
test_base64(void **state)
{
	char out[64];

	(void)state;
	for (size_t i = 0; i < nitems(b64); i++) {
		long n = sasl_base64_decode(b64[i].in, strlen(b64[i].in), out,
		    sizeof(out));
		if (n != b64[i].len)
			fail_msg("row %zu %s: %ld want %ld", i, b64[i].in, n,
			    b64[i].len);
		if (n >= 0) {
			assert_memory_equal(out, b64[i].out, (size_t)n);
			assert_int_equal(out[n], '\0');
		}
	}
	/* room: "abc" needs 4 bytes with the NUL */
	assert_int_equal(sasl_base64_decode("YWJj", 4, out, 4), 3);
	assert_int_equal(sasl_base64_decode("YWJj", 4, out, 3), -1);
	assert_int_equal(sasl_base64_decode("", 0, out, 0), -1);
}

static const struct {
	const char	*msg;
	size_t		 len;
	const char	*user;	/* NULL: refused */
	const char	*pass;
} plain[] = {
	{ "\0alice\0secret", 13, "alice", "secret" },
	{ "alice\0alice\0secret", 18, "alice", "secret" },
	{ "\0bob\0p w", 8, "bob", "p w" },
	{ "bob\0alice\0secret", 16, NULL, NULL },	/* proxy login */
	{ "\0alice\0", 7, NULL, NULL },			/* no password */
	{ "\0\0secret", 8, NULL, NULL },		/* no user */
	{ "\0alice", 6, NULL, NULL },
	{ "alice", 5, NULL, NULL },
	{ "\0alice\0se\0cret", 14, NULL, NULL },	/* NUL in password */
	{ "", 0, NULL, NULL },
};

static void
test_plain(void **state)
{
	char user[SASL_FIELD_MAX + 1], pass[SASL_FIELD_MAX + 1];

	(void)state;
	for (size_t i = 0; i < nitems(plain); i++) {
		int r = sasl_plain_split(plain[i].msg, plain[i].len, user,
		    sizeof(user), pass, sizeof(pass));
		if (plain[i].user == NULL) {
			if (r != -1)
				fail_msg("row %zu accepted", i);
			continue;
		}
		assert_int_equal(r, 0);
		assert_string_equal(user, plain[i].user);
		assert_string_equal(pass, plain[i].pass);
	}
}

static void
test_plain_limits(void **state)
{
	char msg[600], user[SASL_FIELD_MAX + 1], pass[SASL_FIELD_MAX + 1];
	char small[8];

	(void)state;
	memset(msg, 'p', sizeof(msg));
	msg[0] = '\0';
	msg[1] = 'u';
	msg[2] = '\0';
	/* a password of 255 bytes fits; 256 does not */
	assert_int_equal(sasl_plain_split(msg, 3 + 255, user, sizeof(user),
	    pass, sizeof(pass)), 0);
	assert_int_equal(strlen(pass), 255);
	assert_int_equal(sasl_plain_split(msg, 3 + 256, user, sizeof(user),
	    pass, sizeof(pass)), -1);
	/* and the caller's buffers bound it too */
	assert_int_equal(sasl_plain_split("\0abcdefgh\0p", 11, small,
	    sizeof(small), pass, sizeof(pass)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_plain_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
