/*
 * test-html.c: text/html rendered as text for `postern read`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The UA is not in libpostern.a: the renderer is compiled in here. */
#include "ua/html.c"

static const struct {
	const char *in, *out;
} rows[] = {
	{ "", "" },
	{ "plain", "plain\n" },
	{ "<p>a</p><p>b</p>", "a\nb\n" },
	{ "a<br>b<BR/>c", "a\nb\nc\n" },
	{ "<ul><li>x</li><li>y</li></ul>", "* x\n* y\n" },
	{ "<style>p{}</style><script>alert(1)</script>hi", "hi\n" },
	{ "a  \n\t b", "a b\n" },
	{ "&amp;&lt;&gt;&quot;&#65;&#x42;&nbsp;&euro;&bogus;",
	    "&<>\"AB \xe2\x82\xac&bogus;\n" },
	{ "&#0;&#xD800;", "\xef\xbf\xbd\xef\xbf\xbd\n" },
	{ "<pre>a  b\n c</pre>", "a  b\n c\n" },
	{ "<a href=\"x>y\">link</a>", "y\">link\n" },
	{ "unterminated <b", "unterminated\n" },
	{ "caf\xc3\xa9", "caf\xc3\xa9\n" },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf out;

		buf_init(&out, 4096);
		assert_int_equal(ua_html_to_text(rows[i].in,
		    strlen(rows[i].in), &out), 0);
		if (strcmp(buf_cstr(&out), rows[i].out) != 0)
			fail_msg("row %zu: got [%s]", i, buf_cstr(&out));
		buf_free(&out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
