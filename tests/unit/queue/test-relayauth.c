/*
 * test-relayauth.c: data_dir/relay-auth lines (queue/relayauth.h), table
 * driven: plain and quoted fields, `verify`, comments, and every way a
 * line is refused; and a whole file with a bad line between good ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "queue/relayauth.h"

struct good {
	const char	*line;
	const char	*hop, *user, *pass;
	bool		 verify;
};

static void
test_good_lines(void **state)
{
	static const struct good cases[] = {
		{ "smtp.example:587 me@example secret", "smtp.example:587",
		  "me@example", "secret", false },
		{ "  h:25\tu\tp   verify  ", "h:25", "u", "p", true },
		{ "h:25 u \"pass with spaces\"", "h:25", "u",
		  "pass with spaces", false },
		{ "h:25 \"a user\" \"q\\\"uote \\\\ back\" verify", "h:25",
		  "a user", "q\"uote \\ back", true },
		{ "h:25 u \"#not a comment\"", "h:25", "u", "#not a comment",
		  false },
		{ "h:25 u p#x", "h:25", "u", "p#x", false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relay_auth a;
		const char *why = NULL;
		int r = relay_auth_parse(cases[i].line, strlen(cases[i].line),
		    &a, &why);
		if (r != 1)
			fail_msg("line %zu refused: %s", i, why);
		assert_string_equal(a.nexthop, cases[i].hop);
		assert_string_equal(a.user, cases[i].user);
		assert_string_equal(a.pass, cases[i].pass);
		assert_int_equal(a.verify, cases[i].verify);
		relay_auth_clear(&a);
	}
}

static void
test_ignored_lines(void **state)
{
	static const char *cases[] = { "", "   ", "\t", "# a comment",
	    "   # indented comment h:25 u p" };
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relay_auth a;
		const char *why = NULL;
		assert_int_equal(relay_auth_parse(cases[i], strlen(cases[i]),
		    &a, &why), 0);
	}
}

static void
test_bad_lines(void **state)
{
	static const struct {
		const char *line, *why;
	} cases[] = {
		{ "h:25", "want HOST:PORT" },
		{ "h:25 u", "want HOST:PORT" },
		{ "h:25 u p maybe", "fourth field" },
		{ "h:25 u p verify x", "more than four" },
		{ "h:25 u \"unterminated", "no closing quote" },
		{ "h:25 u \"a\"b", "right after a closing quote" },
		{ "h:25 u pa\"ss", "quote inside an unquoted" },
		{ "h:25 u \"bad \\n escape\"", "backslash" },
		{ "h:25 u \"\"", "empty field" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relay_auth a;
		const char *why = NULL;
		assert_int_equal(relay_auth_parse(cases[i].line,
		    strlen(cases[i].line), &a, &why), -1);
		assert_non_null(why);
		if (strstr(why, cases[i].why) == NULL)
			fail_msg("line %zu: \"%s\", want \"%s\"", i, why,
			    cases[i].why);
	}
	/* A NUL inside the line is refused, not cut short. */
	{
		static const char nul[] = "h:25 u p\0ss";
		struct relay_auth a;
		const char *why = NULL;
		assert_int_equal(relay_auth_parse(nul, sizeof(nul) - 1, &a,
		    &why), -1);
	}
}

struct bad_seen {
	unsigned lines[8];
	size_t n;
};

static void
on_bad(void *arg, const char *path, unsigned lineno, const char *why)
{
	struct bad_seen *b = arg;

	(void)path;
	(void)why;
	if (b->n < 8)
		b->lines[b->n++] = lineno;
}

static void
test_load_skips_bad_lines(void **state)
{
	char path[] = "/tmp/test-relayauth.XXXXXX";
	struct relay_auth *v;
	struct bad_seen bad = { .n = 0 };
	size_t n;
	char longline[RELAY_AUTH_LINE_MAX + 100];
	FILE *f;
	int fd;

	(void)state;
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "# credentials\r\n"
	    "a:25 u1 p1\r\n"
	    "garbage\n"
	    "%s\n"
	    "b:587 u2 \"p 2\" verify\n"
	    "c:25 u3 p3", longline);
	fclose(f);
	assert_int_equal(relay_auth_load(path, &v, &n, on_bad, &bad), 0);
	unlink(path);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].pass, "p1");	/* CR dropped */
	assert_string_equal(v[1].pass, "p 2");
	assert_true(v[1].verify);
	assert_string_equal(v[2].nexthop, "c:25");	/* no final newline */
	assert_int_equal(bad.n, 2);
	assert_int_equal(bad.lines[0], 3);
	assert_int_equal(bad.lines[1], 4);
	relay_auth_free(v, n);

	assert_int_equal(relay_auth_load("/nonexistent/relay-auth", &v, &n,
	    on_bad, &bad), 0);
	assert_int_equal(n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),
		cmocka_unit_test(test_ignored_lines),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_load_skips_bad_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
