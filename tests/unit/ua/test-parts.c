/*
 * test-parts.c: leaf parts with IMAP section numbers, from a MIME tree
 * and from BODYSTRUCTURE. Each message row is checked both ways: directly
 * from the tree, and through our own server-side BODYSTRUCTURE
 * (mime_imap_bodystructure) parsed back by the client, which must agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/imapview.h"
/* The UA is not in libpostern.a: its code is compiled in here. */
#include "ua/imapresp.c"
#include "ua/parts.c"

static void
describe(const struct ua_parts *p, struct buf *out)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		buf_printf(out, "%s%s %s %s%s%s", i ? "; " : "",
		    p->v[i].section, p->v[i].type, p->v[i].cte,
		    p->v[i].name ? " name=" : "",
		    p->v[i].name ? p->v[i].name : "");
}

static const struct {
	const char *msg, *want;
} rows[] = {
	{ "Subject: x\r\n\r\nhello\r\n", "1 text/plain 7bit" },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	  "--b\r\nContent-Type: application/pdf; name=a.pdf\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n",
	  "1 text/plain 7bit; 2 application/pdf base64 name=a.pdf" },
	{ "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
	  "Content-Type: multipart/alternative; boundary=i\r\n\r\n"
	  "--i\r\nContent-Type: text/plain\r\n\r\nt\r\n"
	  "--i\r\nContent-Type: text/html\r\n\r\n<p>t</p>\r\n--i--\r\n"
	  "--o\r\nContent-Type: image/png\r\nContent-Disposition: attachment;"
	  " filename*=utf-8''%C3%A9t%C3%A9.png\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--o--\r\n",
	  "1.1 text/plain 7bit; 1.2 text/html 7bit; "
	  "2 image/png base64 name=\xc3\xa9t\xc3\xa9.png" },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
	  "--b\r\nContent-Type: message/rfc822\r\n\r\n"
	  "Subject: inner\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
	  "--c\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
	  "--c\r\nContent-Type: text/csv; name=\"d.csv\"\r\n\r\na,b\r\n"
	  "--c--\r\n--b--\r\n",
	  "1 text/plain 7bit; 2 message/rfc822 7bit; 2.1 text/plain 7bit; "
	  "2.2 text/csv 7bit name=d.csv" },
	{ "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n",
	  "1 message/rfc822 7bit; 1.1 text/plain 7bit" },
	{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\n"
	  "plain inner\r\n--b--\r\n",
	  "1 message/rfc822 7bit; 1.1 text/plain 7bit" },
	{ "Content-Type: text/plain; charset=iso-8859-1\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n",
	  "1 text/plain quoted-printable" },
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mime_tree *t;
		struct ua_parts a = { NULL, 0 }, b = { NULL, 0 };
		struct buf da, db, bs;
		struct ua_imap_resp r;
		const char *es;
		size_t k;

		buf_init(&da, 65536);
		buf_init(&db, 65536);
		buf_init(&bs, 65536);
		assert_int_equal(mime_tree_parse(rows[i].msg,
		    strlen(rows[i].msg), NULL, &t, &es), 0);
		ua_parts_from_tree(t, &a);
		describe(&a, &da);
		if (strcmp(buf_cstr(&da), rows[i].want) != 0)
			fail_msg("row %zu tree: %s", i, buf_cstr(&da));
		buf_puts(&bs, "* 1 FETCH (BODYSTRUCTURE ");
		assert_int_equal(mime_imap_bodystructure(t, 0, 1, &bs), 0);
		buf_puts(&bs, ")");
		if (ua_imap_resp_parse(bs.data, bs.len, &r, &es) != 0)
			fail_msg("row %zu: %s: %s", i, es, buf_cstr(&bs));
		ua_parts_from_bodystructure(&r, ua_imap_fetch_item(&r,
		    ua_imap_child(&r, ua_imap_node(&r, 0), 2),
		    "BODYSTRUCTURE"), &b);
		describe(&b, &db);
		if (strcmp(buf_cstr(&db), rows[i].want) != 0)
			fail_msg("row %zu bodystructure: %s\n%s", i,
			    buf_cstr(&db), buf_cstr(&bs));
		for (k = 0; k < a.n; k++)
			assert_true(a.v[k].size == b.v[k].size);
		assert_ptr_equal(ua_parts_find(&a, a.v[0].section), &a.v[0]);
		assert_null(ua_parts_find(&a, "9.9"));
		ua_imap_resp_free(&r);
		ua_parts_free(&a);
		ua_parts_free(&b);
		mime_tree_free(&t);
		buf_free(&da);
		buf_free(&db);
		buf_free(&bs);
	}
}

/* Hostile BODYSTRUCTUREs give parts or nothing, never a crash. */
static void
test_hostile(void **state)
{
	static const char *bad[] = {
		"* 1 FETCH (BODYSTRUCTURE ())",
		"* 1 FETCH (BODYSTRUCTURE (NIL NIL NIL NIL NIL NIL NIL))",
		"* 1 FETCH (BODYSTRUCTURE ((()) \"mixed\"))",
		"* 1 FETCH (BODYSTRUCTURE (\"text\" \"plain\" (\"charset\") "
		    "NIL NIL \"7bit\" x 1 NIL (\"attachment\" NIL)))",
		"* 1 FETCH (BODYSTRUCTURE (\"message\" \"rfc822\" NIL NIL NIL "
		    "\"7bit\" 5 NIL NIL 1))",
		"* 1 FETCH (BODYSTRUCTURE (\"a\" \"b\" (\"name\" {3}\r\na\0b) "
		    "NIL NIL NIL 1))",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ua_imap_resp r;
		struct ua_parts p = { NULL, 0 };
		const char *es;
		size_t len = strlen(bad[i]) + (i == 5 ? 4 : 0);

		if (ua_imap_resp_parse(bad[i], len, &r, &es) == 0)
			ua_parts_from_bodystructure(&r, ua_imap_fetch_item(&r,
			    ua_imap_child(&r, ua_imap_node(&r, 0), 2),
			    "BODYSTRUCTURE"), &p);
		ua_parts_free(&p);
		ua_imap_resp_free(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
