/*
 * test-aliasfile.c: the aliases(5) parser, table-driven. Each input is
 * parsed whole and then again from copies cut at every length (the parser
 * must never read past its input).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "store/aliasfile.h"

/* Renders every entry as "name=t1|t2;" (I: include, P: pipe, F: file)
 * and errors as "!LINE:message;". */
static char *
render(const char *text, size_t len, enum store_aliasfile_mode mode)
{
	const struct store_aliasfile_entry *e;
	struct store_aliasfile *p;
	const char *errstr;
	struct buf b;
	int r;

	buf_init(&b, 1 << 20);
	p = store_aliasfile_new(text, len, mode);
	while ((r = store_aliasfile_next(p, &e, &errstr)) != 0) {
		if (r == -1) {
			buf_printf(&b, "!%u:%s;", store_aliasfile_line(p),
			    errstr);
			continue;
		}
		buf_printf(&b, "%s=", e->name ? e->name : "");
		for (size_t i = 0; i < e->ntargets; i++) {
			static const char *const kinds[] = { "", "I:", "P:",
			    "F:" };
			buf_printf(&b, "%s%s%s", i ? "|" : "",
			    kinds[e->targets[i].type], e->targets[i].value);
		}
		buf_printf(&b, "@%u;", e->line);
	}
	store_aliasfile_free(&p);
	assert_null(p);
	char *s = buf_steal(&b, NULL);
	return s != NULL ? s : xstrdup("");
}

static void
test_aliases(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "", "" },
		{ "# only a comment\n\n   \n", "" },
		{ "a: b\n", "a=b@1;" },
		{ "a: b, c@d.e ,f\n", "a=b|c@d.e|f@1;" },
		{ "a:b\r\nc:d", "a=b@1;c=d@2;" },
		{ "a: b,\n  c\n\td\ne: f\n", "a=b|c|d@1;e=f@4;" },
		{ "a: b\n# mid comment\n  c\n", "a=b|c@1;" },
		{ "a: b,\n", "a=b@1;" },
		{ "a: :include:/etc/list, b\n", "a=I:/etc/list|b@1;" },
		{ "a: :include: rel.txt\n", "a=I:rel.txt@1;" },
		{ "a: |/bin/cat\n", "a=P:|/bin/cat@1;" },
		{ "a: \"|/bin/cat -x, y\"\n", "a=P:|/bin/cat -x, y@1;" },
		{ "a: /var/log/x\n", "a=F:/var/log/x@1;" },
		{ "\"a b\": c\n", "a b=c@1;" },
		{ "nocolon\nx: y\n", "!1:missing ':' after the alias name;x=y@2;" },
		{ ": b\n", "!1:empty alias name;" },
		{ "a:\n", "!1:empty target;" },
		{ "a: b,,c\n", "!1:empty target;" },
		{ "a: \"b\n", "!1:unterminated quote;" },
		{ "a: :include:\n", "!1::include: without a file;" },
		{ "  lead: x\n", "lead=x@1;" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		char *got = render(rows[i].in, strlen(rows[i].in),
		    STORE_ALIASFILE_ALIASES);
		if (strcmp(got, rows[i].out) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, got,
			    rows[i].out);
		free(got);
		/* Every prefix, in its own allocation: ASan catches reads
		 * past the end. */
		for (size_t n = 0; n < strlen(rows[i].in); n++) {
			char *cut = xmalloc(n ? n : 1);
			memcpy(cut, rows[i].in, n);
			free(render(cut, n, STORE_ALIASFILE_ALIASES));
			free(cut);
		}
	}
}

static void
test_list(void **state)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "a\nb, c\n  d\n# x\n", "=a@1;=b|c@2;=d@3;" },
		{ "a: b\n", "=a: b@1;" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		char *got = render(rows[i].in, strlen(rows[i].in),
		    STORE_ALIASFILE_LIST);
		if (strcmp(got, rows[i].out) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, got,
			    rows[i].out);
		free(got);
	}
}

static void
test_limits(void **state)
{
	size_t n = STORE_ALIASFILE_LINE_MAX + 10;
	char *big = xmalloc(n), *got;

	(void)state;
	memset(big, 'x', n);
	big[0] = 'a';
	big[1] = ':';
	got = render(big, n, STORE_ALIASFILE_ALIASES);
	assert_string_equal(got, "!1:line too long;");
	free(got);
	/* NUL inside a line. */
	got = render("a: b\0c\n", 7, STORE_ALIASFILE_ALIASES);
	assert_string_equal(got, "!1:NUL byte in line;");
	free(got);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
