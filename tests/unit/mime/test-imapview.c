/*
 * test-imapview.c: ENVELOPE, BODYSTRUCTURE and section addressing
 * (RFC 3501 §6.4.5, §7.4.2). Golden files for corpus messages are checked
 * by tests/integration/test_mime_golden.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/imapview.h"
#include "mime/tree.h"

static const char msg[] =
    "From: \"Joe Q. Public\" <john.q.public@example.com>\r\n"
    "To: Mary Smith <mary@x.test>, jdoe@example.org\r\n"
    "Cc: Undisclosed recipients:;\r\n"
    "Subject: Caf\xc3\xa9\r\n"
    "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n"
    "Message-ID: <1234@local.machine.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello\r\n"
    "world\r\n"
    "--XX\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "From: a@b.test\r\n"
    "Content-Type: multipart/alternative; boundary=YY\r\n"
    "\r\n"
    "--YY\r\n"
    "\r\n"
    "alt one\r\n"
    "--YY\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>two</p>\r\n"
    "--YY--\r\n"
    "--XX\r\n"
    "Content-Type: image/png; name=\"a.png\"\r\n"
    "Content-Disposition: attachment; filename=\"a.png\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Language: en, de\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--XX--\r\n";

struct row {
	const char	*spec;
	const char	*out;	/* NULL: error */
};

static const struct row rows[] = {
	{ "1", "Hello\r\nworld" },
	{ "1.MIME", "Content-Type: text/plain; charset=utf-8\r\n\r\n" },
	{ "2.HEADER", "Subject: inner\r\nFrom: a@b.test\r\n"
	  "Content-Type: multipart/alternative; boundary=YY\r\n\r\n" },
	{ "2.1", "alt one" },
	{ "2.2", "<p>two</p>" },
	{ "2.2.MIME", "Content-Type: text/html\r\n\r\n" },
	{ "2.TEXT", "--YY\r\n\r\nalt one\r\n--YY\r\nContent-Type: text/html\r\n"
	  "\r\n<p>two</p>\r\n--YY--" },
	{ "3", "iVBORw0KGgo=" },
	{ "HEADER.FIELDS (From Subject)",
	  "From: \"Joe Q. Public\" <john.q.public@example.com>\r\n"
	  "Subject: Caf\xc3\xa9\r\n\r\n" },
	{ "header.fields.not (From To Cc Subject Date Message-ID MIME-Version)",
	  "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n" },
	{ "2.HEADER.FIELDS (\"subject\")", "Subject: inner\r\n\r\n" },
	{ "4", NULL },
	{ "1.HEADER", NULL },
	{ "0", NULL },
	{ "2.3", NULL },
	{ "MIME", NULL },
	{ "BOGUS", NULL },
	{ "HEADER.FIELDS From", NULL },
};

static void
test_sections(void **state)
{
	struct mime_tree *t;
	size_t i;

	assert_int_equal(mime_tree_parse(msg, strlen(msg), NULL, &t, NULL), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct buf b;
		const char *err = NULL;
		int rc;

		buf_init(&b, 1 << 16);
		rc = mime_imap_section_fetch(t, rows[i].spec,
		    strlen(rows[i].spec), &b, &err);
		if (rows[i].out == NULL) {
			assert_int_equal(rc, -1);
			assert_non_null(err);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(buf_cstr(&b), rows[i].out);
		}
		buf_free(&b);
	}
	{
		size_t off, len;

		assert_int_equal(mime_imap_section_range(t, "", 0, &off, &len,
		    NULL), 0);
		assert_int_equal(off, 0);
		assert_int_equal(len, strlen(msg));
		assert_int_equal(mime_imap_section_range(t, "HEADER", 6, &off,
		    &len, NULL), 0);
		assert_int_equal(len, strstr(msg, "\r\n\r\n") + 4 - msg);
		assert_int_equal(mime_imap_section_range(t, "TEXT", 4, &off,
		    &len, NULL), 0);
		assert_int_equal(off + len, strlen(msg));
		assert_int_equal(mime_imap_section_range(t,
		    "HEADER.FIELDS (X)", 17, &off, &len, NULL), 1);
	}
	mime_tree_free(&t);
}

static void
test_views(void **state)
{
	struct mime_tree *t;
	struct buf b;

	assert_int_equal(mime_tree_parse(msg, strlen(msg), NULL, &t, NULL), 0);
	buf_init(&b, 1 << 16);
	assert_int_equal(mime_imap_envelope(t, 0, &b), 0);
	assert_string_equal(buf_cstr(&b),
	    "(\"Tue, 1 Jul 2003 10:52:37 +0200\" {5}\r\nCaf\xc3\xa9 "
	    "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
	    "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
	    "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
	    "((\"Mary Smith\" NIL \"mary\" \"x.test\") "
	    "(NIL NIL \"jdoe\" \"example.org\")) "
	    "((NIL NIL \"Undisclosed recipients\" NIL) (NIL NIL NIL NIL)) "
	    "NIL NIL \"<1234@local.machine.example>\")");
	buf_reset(&b);
	assert_int_equal(mime_imap_bodystructure(t, 0, 0, &b), 0);
	assert_string_equal(buf_cstr(&b),
	    "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 12 2)"
	    "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 152 "
	    "(NIL \"inner\" ((NIL NIL \"a\" \"b.test\")) "
	    "((NIL NIL \"a\" \"b.test\")) ((NIL NIL \"a\" \"b.test\")) "
	    "NIL NIL NIL NIL NIL) "
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 7 1)"
	    "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7BIT\" 10 1) \"alternative\") 12)"
	    "(\"image\" \"png\" (\"name\" \"a.png\") NIL NIL \"base64\" 12) "
	    "\"mixed\")");
	buf_reset(&b);
	assert_int_equal(mime_imap_bodystructure(t, 0, 1, &b), 0);
	assert_non_null(strstr(buf_cstr(&b), "\"base64\" 12 NIL "
	    "(\"attachment\" (\"filename\" \"a.png\")) (\"en\" \"de\") NIL)"));
	assert_non_null(strstr(buf_cstr(&b), "\"mixed\" (\"boundary\" \"XX\") "
	    "NIL NIL NIL)"));
	buf_free(&b);
	mime_tree_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_views),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
