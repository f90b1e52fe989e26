/*
 * test-sasl.c: base64 decoding and SASL PLAIN splitting for POP3 AUTH.
 * Rows are {input, expected output, expected error}.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pop3d/sasl.h"

static const struct {
	const char	*in;
	const char	*out;	/* NULL: refused */
	size_t		 outlen;
} b64[] = {
	{ "", "", 0 },
	{ "Zg==", "f", 1 },
	{ "Zm8=", "fo", 2 },
	{ "Zm9v", "foo", 3 },
	{ "Zm9vYg==", "foob", 4 },
	{ "AGIAcA==", "\0b\0p", 4 },
	{ "/+/+", "\xff\xef\xfe", 3 },
	{ "Zg=", NULL, 0 },		/* length not a multiple of 4 */
	{ "Zg", NULL, 0 },
	{ "Zh==", NULL, 0 },		/* non-zero spare bits */
	{ "Zm9=", NULL, 0 },
	{ "Z===", NULL, 0 },
	{ "====", NULL, 0 },
	{ "Zg==Zg==", NULL, 0 },	/* padding inside */
	{ "Zm 9", NULL, 0 },
	{ "Zm9v\r\n", NULL, 0 },
	{ "Zm-_", NULL, 0 },		/* URL alphabet is not ours */
};

static void
test_base64(void **state)
{
	char out[64];
	size_t n;

	for (size_t i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
		int r = pop3d_base64_decode(b64[i].in, strlen(b64[i].in), out,
		    sizeof(out), &n);
		if (b64[i].out == NULL) {
			if (r != -1)
				fail_msg("\"%s\" should be refused", b64[i].in);
			continue;
		}
		if (r != 0 || n != b64[i].outlen ||
		    memcmp(out, b64[i].out, n) != 0 || out[n] != '\0')
			fail_msg("\"%s\" decoded wrong", b64[i].in);
	}
	/* Output too small: "foo" needs 4 bytes with the NUL. */
	assert_int_equal(pop3d_base64_decode("Zm9v", 4, out, 3, &n), -1);
	assert_int_equal(pop3d_base64_decode("Zm9v", 4, out, 4, &n), 0);
}

static const struct {
	const char	*msg;
	size_t		 len;
	const char	*user;	/* NULL: refused */
	const char	*pass;
} plain[] = {
	{ "\0bob\0pw", 7, "bob", "pw" },
	{ "bob\0bob\0pw", 10, "bob", "pw" },
	{ "eve\0bob\0pw", 10, NULL, NULL },	/* proxy login */
	{ "\0\0pw", 4, NULL, NULL },		/* no user */
	{ "\0bob\0", 5, NULL, NULL },		/* no password */
	{ "\0bob", 4, NULL, NULL },
	{ "bob", 3, NULL, NULL },
	{ "\0bob\0p\0w", 8, NULL, NULL },	/* NUL in password */
	{ "\0bob\0p w", 8, "bob", "p w" },
};

static void
test_plain(void **state)
{
	char user[8], pass[8];

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		int r = pop3d_sasl_plain(plain[i].msg, plain[i].len, user,
		    sizeof(user), pass, sizeof(pass));
		if (plain[i].user == NULL) {
			assert_int_equal(r, -1);
			continue;
		}
		assert_int_equal(r, 0);
		assert_string_equal(user, plain[i].user);
		assert_string_equal(pass, plain[i].pass);
	}
	/* Too long for the caller's buffers. */
	assert_int_equal(pop3d_sasl_plain("\0abcdefgh\0p", 11, user,
	    sizeof(user), pass, sizeof(pass)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
