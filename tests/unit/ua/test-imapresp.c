/*
 * test-imapresp.c: the user agent's IMAP response parser (RFC 3501 §7,
 * §9), table-driven: each row is a response, its tree written back as an
 * s-expression (strings in <>), or an expected error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
/* The UA is not in libpostern.a: its parser is compiled in here. */
#include "ua/imapresp.c"

static void
dump(const struct ua_imap_resp *r, size_t i, struct buf *out)
{
	const struct ua_imap_node *n = &r->nodes[i];
	size_t k;

	switch (n->type) {
	case UA_IMAP_ATOM:
		buf_append(out, n->s, n->len);
		break;
	case UA_IMAP_NIL:
		buf_puts(out, "NIL");
		break;
	case UA_IMAP_STRING:
		buf_putc(out, '<');
		buf_append(out, n->s, n->len);
		buf_putc(out, '>');
		break;
	case UA_IMAP_LIST:
		buf_putc(out, '(');
		for (k = n->child; k != UA_IMAP_NONE; k = r->nodes[k].next) {
			if (k != n->child)
				buf_putc(out, ' ');
			dump(r, k, out);
		}
		buf_putc(out, ')');
		break;
	}
}

struct row {
	const char	*in;
	const char	*tree;	/* NULL: a status response, see below */
	const char	*status, *code, *text;
	int		 err;
};

#define TREE(i, t)	{ i, t, NULL, NULL, NULL, 0 }
#define STAT(i, s, c, t) { i, NULL, s, c, t, 0 }
#define BAD(i)		{ i, NULL, NULL, NULL, NULL, 1 }

static const struct row rows[] = {
	TREE("* 3 EXISTS", "(3 EXISTS)"),
	TREE("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN",
	    "(CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN)"),
	TREE("* 1 FETCH (FLAGS (\\Seen \\Flagged) RFC822.SIZE 42)",
	    "(1 FETCH (FLAGS (\\Seen \\Flagged) RFC822.SIZE 42))"),
	TREE("* 2 FETCH (BODY[HEADER.FIELDS (DATE FROM)] {5}\r\nab\r\nc)",
	    "(2 FETCH (BODY[HEADER.FIELDS (DATE FROM)] <ab\r\nc>))"),
	TREE("* 2 FETCH (BODY[1]<0> {3+}\r\nxyz UID 7)",
	    "(2 FETCH (BODY[1]<0> <xyz> UID 7))"),
	TREE("* LIST (\\HasNoChildren) \"/\" \"Work/a \\\"b\\\"\"",
	    "(LIST (\\HasNoChildren) </> <Work/a \"b\">)"),
	TREE("* LIST () NIL INBOX", "(LIST () NIL INBOX)"),
	TREE("* SEARCH", "(SEARCH)"),
	TREE("* SEARCH 2 5 9", "(SEARCH 2 5 9)"),
	TREE("* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" "
	    "\"utf-8\") NIL NIL \"7bit\" 10 1)(\"application\" \"pdf\" "
	    "(\"name\" \"a.pdf\") NIL NIL \"base64\" 400) \"mixed\"))",
	    "(1 FETCH (BODYSTRUCTURE ((<text> <plain> (<charset> <utf-8>) "
	    "NIL NIL <7bit> 10 1) (<application> <pdf> (<name> <a.pdf>) NIL "
	    "NIL <base64> 400) <mixed>)))"),
	TREE("* 1 FETCH (BODY[] {0}\r\n)", "(1 FETCH (BODY[] <>))"),
	TREE("* 1 FETCH (X {2}\r\n{}Y {1}\r\n))",
	    "(1 FETCH (X <{}> Y <)>))"),
	STAT("* OK [CAPABILITY IMAP4rev1 IDLE] Dovecot ready.", "OK",
	    "CAPABILITY IMAP4rev1 IDLE", "Dovecot ready."),
	STAT("A1 ok LOGIN completed", "OK", NULL, "LOGIN completed"),
	STAT("A2 NO [TRYCREATE] no such mailbox", "NO", "TRYCREATE",
	    "no such mailbox"),
	STAT("* PREAUTH welcome", "PREAUTH", NULL, "welcome"),
	STAT("* BYE", "BYE", NULL, ""),
	BAD("* 1 FETCH (FLAGS (\\Seen)"),
	BAD("* 1 FETCH (X \"unterminated)"),
	BAD("* 1 FETCH (X {10}\r\nshort)"),
	BAD("* 1 FETCH (X {3}xyz)"),
	BAD("* 1 FETCH (X {99999999999999999999999}\r\n)"),
	BAD("* 1 FETCH (BODY[1 x)"),
	BAD("*"),
	BAD(""),
	BAD("* )"),
};

static void
test_rows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ua_imap_resp r;
		struct buf out;
		const char *es = NULL;
		int rc = ua_imap_resp_parse(rows[i].in, strlen(rows[i].in),
		    &r, &es);

		buf_init(&out, 1 << 20);
		if (rows[i].err) {
			if (rc != -1)
				fail_msg("row %zu: parsed", i);
			assert_non_null(es);
		} else if (rows[i].tree != NULL) {
			if (rc != 0)
				fail_msg("row %zu: %s", i, es);
			assert_null(r.status);
			dump(&r, 0, &out);
			assert_string_equal(buf_cstr(&out), rows[i].tree);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(r.status, rows[i].status);
			if (rows[i].code == NULL)
				assert_null(r.code);
			else
				assert_string_equal(r.code, rows[i].code);
			assert_string_equal(r.text, rows[i].text);
		}
		buf_free(&out);
		ua_imap_resp_free(&r);
	}
}

static void
test_kinds_and_helpers(void **state)
{
	struct ua_imap_resp r;
	const struct ua_imap_node *l, *v;
	const char *es, *in;
	size_t n = 0;

	(void)state;
	assert_int_equal(ua_imap_resp_parse("+ go ahead", 10, &r, &es), 0);
	assert_int_equal(r.kind, UA_IMAP_CONT);
	assert_string_equal(r.text, "go ahead");
	ua_imap_resp_free(&r);
	assert_int_equal(ua_imap_resp_parse("+", 1, &r, &es), 0);
	assert_int_equal(r.kind, UA_IMAP_CONT);
	ua_imap_resp_free(&r);
	assert_int_equal(ua_imap_resp_parse("A7 BAD x", 8, &r, &es), 0);
	assert_int_equal(r.kind, UA_IMAP_TAGGED);
	assert_string_equal(r.tag, "A7");
	ua_imap_resp_free(&r);

	in = "* 4 FETCH (UID 9 BODY[2] \"hi\" FLAGS ())";
	assert_int_equal(ua_imap_resp_parse(in, strlen(in), &r, &es), 0);
	l = ua_imap_child(&r, ua_imap_node(&r, 0), 2);
	assert_non_null(l);
	v = ua_imap_fetch_item(&r, l, "UID");
	assert_true(v != NULL && v->len == 1 && v->s[0] == '9');
	v = ua_imap_fetch_item(&r, l, "BODY[");
	assert_true(v != NULL && v->type == UA_IMAP_STRING && v->len == 2);
	v = ua_imap_fetch_item(&r, l, "FLAGS");
	assert_true(v != NULL && v->type == UA_IMAP_LIST && v->n == 0);
	assert_null(ua_imap_fetch_item(&r, l, "ENVELOPE"));
	/* values are never taken as names: "9" is not a key */
	assert_null(ua_imap_fetch_item(&r, l, "9"));
	ua_imap_resp_free(&r);

	assert_int_equal(ua_imap_literal_suffix("* 1 FETCH (X {12}", 17, &n),
	    4);
	assert_int_equal(n, 12);
	assert_int_equal(ua_imap_literal_suffix("a {3+}", 6, &n), 4);
	assert_int_equal(n, 3);
	assert_int_equal(ua_imap_literal_suffix("a {}", 4, &n), 0);
	assert_int_equal(ua_imap_literal_suffix("a 3}", 4, &n), 0);
	assert_int_equal(ua_imap_literal_suffix("}", 1, &n), 0);
	assert_int_equal(ua_imap_literal_suffix("{99999999999999999999}", 22,
	    &n), 0);
}

/* Deep nesting stops at the limit instead of recursing without end. */
static void
test_depth(void **state)
{
	struct ua_imap_resp r;
	struct buf in;
	const char *es = NULL;
	size_t i;

	(void)state;
	buf_init(&in, 1 << 20);
	buf_puts(&in, "* 1 FETCH ");
	for (i = 0; i < 10000; i++)
		buf_putc(&in, '(');
	assert_int_equal(ua_imap_resp_parse(in.data, in.len, &r, &es), -1);
	assert_string_equal(es, "nested too deep");
	ua_imap_resp_free(&r);
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_kinds_and_helpers),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
