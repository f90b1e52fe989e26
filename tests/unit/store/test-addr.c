/*
 * test-addr.c: address normalisation, subaddresses, path components.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/util.h"
#include "store/addr.h"

static void
test_normalize(void **state)
{
	static const struct {
		const char *in, *def, *out;	/* out NULL: refused */
	} rows[] = {
		{ "bob@example.org", NULL, "bob@example.org" },
		{ "Bob@EXAMPLE.Org", NULL, "Bob@example.org" },
		{ "bob@example.org.", NULL, "bob@example.org" },
		{ "bob", "example.org", "bob@example.org" },
		{ "bob", NULL, NULL },
		{ "PostMaster@example.org", NULL, "postmaster@example.org" },
		{ "POSTMASTER", "Example.org", "postmaster@example.org" },
		{ "a.b+c@x.y", NULL, "a.b+c@x.y" },
		{ ".bob@x.y", NULL, NULL },
		{ "bob.@x.y", NULL, NULL },
		{ "b..ob@x.y", NULL, NULL },
		{ "b ob@x.y", NULL, NULL },
		{ "\"bob\"@x.y", NULL, NULL },
		{ "bob@", NULL, NULL },
		{ "@x.y", NULL, NULL },
		{ "bob@x..y", NULL, NULL },
		{ "bob@x/y", NULL, NULL },
		{ "bob@[1.2.3.4]", NULL, NULL },
		{ "bob\n@x.y", NULL, NULL },
		{ "a@b@x.y", NULL, NULL },
		{ "12345678901234567890123456789012345678901234567890123456789"
		  "012345@x.y", NULL, NULL },
		{ "1234567890123456789012345678901234567890123456789012345678"
		  "901234@x.y", NULL,
		  "1234567890123456789012345678901234567890123456789012345678"
		  "901234@x.y" },
	};
	char out[STORE_ADDR_MAX + 1];
	const char *errstr;

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		int r = store_addr_normalize(rows[i].in, rows[i].def, out,
		    sizeof(out), &errstr);
		if (rows[i].out == NULL) {
			if (r != -1)
				fail_msg("row %zu: %s accepted", i, rows[i].in);
		} else {
			assert_int_equal(r, 0);
			assert_string_equal(out, rows[i].out);
		}
	}
}

static void
test_strip_sub(void **state)
{
	static const struct {
		const char *in, *out;	/* out NULL: no subaddress */
	} rows[] = {
		{ "bob+lists@x.y", "bob@x.y" },
		{ "bob+a+b@x.y", "bob@x.y" },
		{ "bob@x.y", NULL },
		{ "+bob@x.y", NULL },
		{ "bob+@x.y", "bob@x.y" },
		{ "bob+x", "bob" },
	};
	char out[STORE_ADDR_MAX + 1];

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		int r = store_addr_strip_sub(rows[i].in, '+', out, sizeof(out));
		if (rows[i].out == NULL)
			assert_int_equal(r, 0);
		else {
			assert_int_equal(r, 1);
			assert_string_equal(out, rows[i].out);
		}
	}
	assert_int_equal(store_addr_strip_sub("bob+x@x.y", '+', out, 4), -1);
}

static void
test_path_encode(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "bob", "bob" },
		{ "a.b", "a.b" },
		{ ".", "%2E" },
		{ "..", "%2E." },
		{ "a/b", "a%2Fb" },
		{ "", "%" },
		{ "a%b", "a%25b" },
		{ "x~y", "x%7Ey" },
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		assert_int_equal(store_path_encode(rows[i].in,
		    strlen(rows[i].in), out, sizeof(out)), 0);
		assert_string_equal(out, rows[i].out);
	}
	assert_int_equal(store_path_encode("abcdef", 6, out, 4), -1);
}

static void
test_local_domain(void **state)
{
	char *items[] = { "example.org", "Other.NET" };
	struct config cfg = { .domains = { items, 2 } };

	(void)state;
	assert_true(store_addr_is_local_domain(&cfg, "EXAMPLE.org"));
	assert_true(store_addr_is_local_domain(&cfg, "other.net."));
	assert_false(store_addr_is_local_domain(&cfg, "example.com"));
	assert_false(store_addr_is_local_domain(&cfg, "xexample.org"));
	assert_false(store_addr_is_local_domain(&cfg, ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_strip_sub),
		cmocka_unit_test(test_path_encode),
		cmocka_unit_test(test_local_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
