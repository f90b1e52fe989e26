/*
 * test-addr.c: RFC 5322 address lists (appendix A examples among the rows)
 * and RFC 5321 paths. Elements print as "name|route|local|domain;" for a
 * mailbox, "G:name;" and "E;" for a group's start and end; "-" is NULL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/addr.h"

struct row {
	const char	*in;
	const char	*out;
};

static const struct row rows[] = {
	/* RFC 5322 A.1.1 */
	{ "John Doe <jdoe@machine.example>", "John Doe|-|jdoe|machine.example;" },
	{ "Mary Smith <mary@example.net>", "Mary Smith|-|mary|example.net;" },
	/* A.1.2 */
	{ "\"Joe Q. Public\" <john.q.public@example.com>",
	  "Joe Q. Public|-|john.q.public|example.com;" },
	{ "Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	  "Mary Smith|-|mary|x.test;-|-|jdoe|example.org;Who?|-|one|y.test;" },
	{ "<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	  "-|-|boss|nil.test;Giant; \"Big\" Box|-|sysservices|example.net;" },
	/* A.1.3 groups */
	{ "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	  "G:A Group;Ed Jones|-|c|a.test;-|-|joe|where.test;John|-|jdoe|one.test;E;" },
	{ "Undisclosed recipients:;", "G:Undisclosed recipients;E;" },
	/* A.5 comments and white space */
	{ "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	  "Pete|-|pete|silly.test;" },
	{ "A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	  "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)",
	  "G:A Group;Chris Jones|-|c|public.example;-|-|joe|example.org;John|-|jdoe|one.test;E;" },
	/* A.6.1 obsolete: a list with empty members */
	{ "Joe Q. Public <john.q.public@example.com>",
	  "Joe Q. Public|-|john.q.public|example.com;" },
	{ "Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example",
	  "Mary Smith|@node.test|mary|example.net;-|-|jdoe|test.example;" },
	{ "<@a.test,@b.test:x@c.test>", "-|@a.test,@b.test|x|c.test;" },
	/* Comment as a display name; quoted local part */
	{ "jdoe@example.org (John Doe)", "John Doe|-|jdoe|example.org;" },
	{ "\"john doe\"@example.org", "-|-|john doe|example.org;" },
	/* Broken: missing domain, missing '>', unterminated group */
	{ "undisclosed-recipients", "-|-|undisclosed-recipients|-;" },
	{ "Joe <joe@x.test", "Joe|-|joe|x.test;" },
	{ "G: a@b.test", "G:G;-|-|a|b.test;E;" },
	{ "=?UTF-8?Q?Andr=C3=A9?= <andre@x.test>",
	  "=?UTF-8?Q?Andr=C3=A9?=|-|andre|x.test;" },
	{ "", "" },
	{ " , ,, ", "" },
	{ "x@[192.0.2.1]", "-|-|x|[192.0.2.1];" },
};

static void
put(struct buf *b, const char *s)
{
	buf_puts(b, s != NULL ? s : "-");
}

static void
test_lists(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mime_addr_parser *p;
		struct mime_addr a;
		struct buf got;

		buf_init(&got, 4096);
		p = mime_addr_parser_new(rows[i].in, strlen(rows[i].in));
		while (mime_addr_next(p, &a, NULL) == 1) {
			switch (a.kind) {
			case MIME_ADDR_GROUP_START:
				buf_printf(&got, "G:%s;", a.name);
				break;
			case MIME_ADDR_GROUP_END:
				buf_puts(&got, "E;");
				break;
			case MIME_ADDR_MAILBOX:
				put(&got, a.name);
				buf_putc(&got, '|');
				put(&got, a.route);
				buf_putc(&got, '|');
				put(&got, a.local);
				buf_putc(&got, '|');
				put(&got, a.domain);
				buf_putc(&got, ';');
				break;
			}
		}
		mime_addr_parser_free(&p);
		assert_null(p);
		assert_string_equal(buf_cstr(&got), rows[i].out);
		buf_free(&got);
	}
}

static void
test_spec_format(void **state)
{
	struct mime_addr a = { MIME_ADDR_MAILBOX, 0, NULL, NULL, "john doe",
	    "example.org" };
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(mime_addr_spec_format(&a, &b), 0);
	assert_string_equal(buf_cstr(&b), "\"john doe\"@example.org");
	buf_reset(&b);
	a.local = "a.b";
	assert_int_equal(mime_addr_spec_format(&a, &b), 0);
	assert_string_equal(buf_cstr(&b), "a.b@example.org");
	buf_free(&b);
}

struct path_row {
	const char	*in;
	int		 flags;
	const char	*local;		/* NULL: error expected */
	const char	*domain;
	size_t		 used;
};

static const struct path_row path_rows[] = {
	{ "<user@example.com>", 0, "user", "example.com", 18 },
	{ "<user@example.com> SIZE=100", 0, "user", "example.com", 18 },
	{ "<>", MIME_PATH_NULL_OK, "", "", 2 },
	{ "<>", 0, NULL, NULL, 0 },
	{ "<\"john doe\"@example.com>", 0, "\"john doe\"", "example.com", 24 },
	{ "<\"a\\\"b\"@x.test>", 0, "\"a\\\"b\"", "x.test", 15 },
	{ "<@relay.test,@r2.test:user@example.com>", 0, "user", "example.com", 39 },
	{ "<user@[192.0.2.1]>", 0, "user", "[192.0.2.1]", 18 },
	{ "<user@xn--bcher-kva.example>", 0, "user", "xn--bcher-kva.example", 28 },
	/* SMTPUTF8 (RFC 6531): UTF-8 local part and IDN kept as given */
	{ "<j\xc3\xb6rg@b\xc3\xbc" "cher.example>", MIME_PATH_SMTPUTF8,
	  "j\xc3\xb6rg", "b\xc3\xbc" "cher.example", 23 },
	{ "<j\xc3\xb6rg@example.com>", 0, NULL, NULL, 0 },
	{ "<Postmaster>", MIME_PATH_POSTMASTER_OK, "Postmaster", "", 12 },
	{ "<Postmaster>", 0, NULL, NULL, 0 },
	{ "user@example.com", 0, NULL, NULL, 0 },
	{ "<user@example.com", 0, NULL, NULL, 0 },
	{ "<user@-bad.example>", 0, NULL, NULL, 0 },
	{ "<user@bad..example>", 0, NULL, NULL, 0 },
	{ "<us..er@example.com>", 0, NULL, NULL, 0 },
	{ "<user@>", 0, NULL, NULL, 0 },
	{ "<@x:>", 0, NULL, NULL, 0 },
	{ "<user name@example.com>", 0, NULL, NULL, 0 },
	{ "<\"unterminated@example.com>", 0, NULL, NULL, 0 },
};

static void
test_paths(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(path_rows) / sizeof(path_rows[0]); i++) {
		const struct path_row *r = &path_rows[i];
		struct mime_path p;
		const char *err = NULL;
		size_t used = 0;
		int rc = mime_path_parse(r->in, strlen(r->in), r->flags, &p,
		    &used, &err);

		if (r->local == NULL) {
			assert_int_equal(rc, -1);
			assert_non_null(err);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(p.local, r->local);
		assert_string_equal(p.domain, r->domain);
		assert_int_equal(used, r->used);
		assert_int_equal(p.is_null, strcmp(r->in, "<>") == 0);
	}
}

static void
test_path_limits(void **state)
{
	char big[400];
	struct mime_path p;
	size_t used;

	/* 300 octets: over the RFC 5321 §4.5.3.1.3 path limit. */
	memset(big, 'a', sizeof(big));
	big[0] = '<';
	memcpy(big + 290, "@x.test>", 8);
	assert_int_equal(mime_path_parse(big, 298, 0, &p, &used, NULL), -1);
	/* 70 octets of local part is accepted (SRS, see addr.h). */
	memcpy(big + 71, "@x.test>", 8);
	assert_int_equal(mime_path_parse(big, 79, 0, &p, &used, NULL), 0);
	assert_int_equal(strlen(p.local), 70);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_spec_format),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_path_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
