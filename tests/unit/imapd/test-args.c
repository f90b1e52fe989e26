/*
 * test-args.c: sequence sets (RFC 3501 §9 sequence-set) parsed,
 * resolved against "*" and searched, UID set formatting, and flag lists;
 * table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "imapd/imapd-private.h"

static const struct {
	const char	*set;
	uint32_t	 star;
	const char	*members;	/* of 1..12, or NULL: invalid */
} rows[] = {
	{ "1", 10, "1" },
	{ "1:3", 10, "1 2 3" },
	{ "3:1", 10, "1 2 3" },
	{ "*", 10, "10" },
	{ "8:*", 10, "8 9 10" },
	{ "*:8", 10, "8 9 10" },
	{ "12:*", 10, "10 11 12" },	/* "*" below the start */
	{ "1,3,5:6,2", 10, "1 2 3 5 6" },
	{ "1:4,2:6,11", 10, "1 2 3 4 5 6 11" },
	{ "4294967295", 10, "" },	/* a real number, not "*" */
	{ "0", 10, NULL }, { "1:0", 10, NULL }, { "", 10, NULL },
	{ "1,", 10, NULL }, { ",1", 10, NULL }, { "1::2", 10, NULL },
	{ "a", 10, NULL }, { "4294967296", 10, NULL }, { "1 2", 10, NULL },
	{ "$", 10, NULL },
};

static void
test_seqsets(void **state)
{
	size_t i;
	uint32_t v;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct imapd_seqset set, rs;
		char got[128] = "";

		if (seqset_parse(rows[i].set, &set) == -1) {
			if (rows[i].members != NULL)
				fail_msg("'%s' refused", rows[i].set);
			continue;
		}
		if (rows[i].members == NULL)
			fail_msg("'%s' accepted", rows[i].set);
		seqset_resolve(&set, rows[i].star, &rs);
		for (v = 1; v <= 12; v++) {
			bool a = seqset_in(&rs, v);

			assert_int_equal(a, seqset_has(&set, v, rows[i].star));
			if (a)
				snprintf(got + strlen(got), sizeof(got) -
				    strlen(got), "%s%u", got[0] ? " " : "", v);
		}
		if (strcmp(got, rows[i].members) != 0)
			fail_msg("'%s': got '%s' want '%s'", rows[i].set, got,
			    rows[i].members);
		seqset_free(&set);
		seqset_free(&rs);
	}
}

static void
test_uidset_format(void **state)
{
	static const uint32_t uids[] = { 1, 2, 3, 5, 7, 8, 10 };
	struct buf b;

	(void)state;
	buf_init(&b, 256);
	uidset_format(&b, uids, 7);
	assert_string_equal(buf_cstr(&b), "1:3,5,7:8,10");
	buf_reset(&b);
	uidset_format(&b, uids, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_flags(void **state)
{
	unsigned f = 0;
	struct buf kw, out;

	(void)state;
	buf_init(&kw, 4096);
	buf_init(&out, 4096);
	assert_int_equal(flag_parse("\\seen", &f, &kw), 0);
	assert_int_equal(flag_parse("\\Recent", &f, &kw), 0);
	assert_int_equal(flag_parse("$Forwarded", &f, &kw), 0);
	assert_int_equal(flag_parse("Work", &f, &kw), 0);
	assert_int_equal(flag_parse("Work", &f, &kw), 0);	/* once */
	assert_int_equal(flag_parse("\\Bogus", &f, &kw), -1);
	assert_int_equal(flag_parse("a(b", &f, &kw), -1);
	assert_int_equal(f, STORE_FLAG_SEEN | STORE_FLAG_FORWARDED);
	assert_string_equal(buf_cstr(&kw), "Work");
	flags_format(&out, f, buf_cstr(&kw), true);
	assert_string_equal(buf_cstr(&out),
	    "(\\Seen $Forwarded \\Recent Work)");
	buf_free(&kw);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seqsets),
		cmocka_unit_test(test_uidset_format),
		cmocka_unit_test(test_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
