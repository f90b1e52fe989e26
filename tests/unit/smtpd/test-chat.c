/*
 * test-chat.c: every tests/proto/smtpd/ *.chat transcript under ASan and
 * UBSan, fed whole, one byte at a time and in random pieces. The runner is
 * tests/tools/smtpchat.c, included here; build/tools/smtpchat is the same
 * code for use by hand and by tests/integration/test_smtpd_proto.py.
 *
 * The transcripts are found from the repository root (the make and test
 * working directory), or from $SMTPD_CHAT_DIR.
 */
#define SMTPCHAT_NO_MAIN
#include "../../tools/smtpchat.c"

#include <glob.h>
#include <setjmp.h>

#include <cmocka.h>

static void
run_all(bool bytewise, unsigned seed)
{
	const char *dir = getenv("SMTPD_CHAT_DIR");
	char pattern[1024];
	glob_t g;
	size_t i;
	int bad = 0;

	snprintf(pattern, sizeof(pattern), "%s/*.chat",
	    dir ? dir : "tests/proto/smtpd");
	if (glob(pattern, 0, NULL, &g) != 0)
		fail_msg("no transcripts at %s (run from the repository root "
		    "or set SMTPD_CHAT_DIR)", pattern);
	assert_true(g.gl_pathc > 30);
	for (i = 0; i < g.gl_pathc; i++)
		bad += run_file(g.gl_pathv[i], bytewise, seed, false);
	globfree(&g);
	assert_int_equal(bad, 0);
}

static void
test_whole(void **state)
{
	run_all(false, 0);
}

static void
test_bytewise(void **state)
{
	run_all(true, 0);
}

static void
test_random(void **state)
{
	unsigned seed;

	for (seed = 1; seed < 8; seed++)
		run_all(false, seed * 7919);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_bytewise),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
