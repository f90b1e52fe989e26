/*
 * test-build.c: the message builder. Output is parsed back with the MIME
 * tree; every line must be at most 998 octets and end in CRLF, and the
 * text and attachment bytes must come back. (Python's email reads the same
 * output in tests/integration/test_mime_build.py.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/build.h"
#include "mime/rfc2047.h"
#include "mime/rfc2231.h"
#include "mime/tree.h"

static void
check_lines(const struct buf *m)
{
	size_t i, col = 0;

	for (i = 0; i < m->len; i++) {
		if (m->data[i] == '\n') {
			assert_true(i > 0 && m->data[i - 1] == '\r');
			col = 0;
			continue;
		}
		if (m->data[i] == '\r')
			assert_true(i + 1 < m->len && m->data[i + 1] == '\n');
		else
			assert_true(++col <= 998);
	}
	assert_true(m->len >= 2 && m->data[m->len - 2] == '\r' &&
	    m->data[m->len - 1] == '\n');
}

/* Normalizes line ends to LF, for comparing text bodies. */
static void
lf(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
			buf_putc(out, s[i]);
}

struct row {
	const char	*text;
	size_t		 natt;
	unsigned	 flags;
	const char	*want_cte;	/* of the text part */
};

static void
run(const struct row *r)
{
	static char bin[5000], longline[3000];
	struct mime_build *b = mime_build_new("example.test", r->flags);
	struct mime_tree *t;
	const struct mime_part *p;
	struct buf m, got, want, tmp;
	size_t i;

	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)(i * 31 + 7);
	memset(longline, 'x', sizeof(longline));
	buf_init(&m, 1 << 24);
	buf_init(&got, 1 << 24);
	buf_init(&want, 1 << 24);
	buf_init(&tmp, 1 << 24);
	assert_int_equal(mime_build_addr(b, "From", "Jos\xc3\xa9", "j@x.test",
	    NULL), 0);
	for (i = 0; i < 30; i++)
		assert_int_equal(mime_build_addr(b, "To", "Some Body",
		    "somebody.with.a.long.name@example.test", NULL), 0);
	assert_int_equal(mime_build_field(b, "Subject", "Gr\xc3\xbc\xc3\x9f"
	    "e \xe2\x80\x94 caf\xc3\xa9", NULL), 0);
	{
		/* A long quoted name and a long address still fold under 998. */
		char name[300], addr[900];

		memset(name, 'n', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		name[10] = ',';	/* forces a quoted string */
		memset(addr, 'a', sizeof(addr) - 1);
		addr[sizeof(addr) - 1] = '\0';
		addr[500] = '@';
		assert_int_equal(mime_build_addr(b, "Cc", name, addr, NULL), 0);
	}
	assert_int_equal(mime_build_field(b, "Bad:Name", "x", NULL), -1);
	assert_int_equal(mime_build_field(b, "X-Inj", "a\r\nBcc: x", NULL), -1);
	mime_build_date(b, 880127706, -360);
	mime_build_text(b, r->text, strlen(r->text));
	if (r->natt > 0)
		assert_int_equal(mime_build_attach(b, "bin.dat", bin,
		    sizeof(bin), NULL, NULL), 0);
	if (r->natt > 1)
		assert_int_equal(mime_build_attach(b,
		    "\xc3\xa9t\xc3\xa9 \"quoted\".txt", longline,
		    sizeof(longline), "text/plain", NULL), 0);
	assert_int_equal(mime_build_attach(b, "x", "", 0, "bad type", NULL),
	    -1);
	assert_int_equal(mime_build_finish(b, &m, NULL), 0);
	check_lines(&m);
	assert_non_null(strstr(buf_cstr(&m), "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(buf_cstr(&m),
	    "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"));
	assert_non_null(strstr(buf_cstr(&m), "\r\nMessage-ID: <"));

	assert_int_equal(mime_tree_parse(m.data, m.len, NULL, &t, NULL), 0);
	assert_int_equal(mime_tree_count(t), r->natt == 0 ? 1 : r->natt + 2);
	/* The subject decodes back. */
	assert_int_equal(mime_part_header_get(t, mime_tree_part(t, 0),
	    "Subject", &tmp), 1);
	assert_int_equal(mime_rfc2047_decode(tmp.data, tmp.len, &got, NULL), 0);
	assert_string_equal(buf_cstr(&got), "Gr\xc3\xbc\xc3\x9f"
	    "e \xe2\x80\x94 caf\xc3\xa9");
	/* The text comes back, line ends aside. */
	p = mime_tree_part(t, r->natt == 0 ? 0 : 1);
	assert_string_equal(p->cte_raw, r->want_cte);
	buf_reset(&got);
	buf_reset(&tmp);
	assert_int_equal(mime_part_decode(t, p, &tmp, NULL), 0);
	lf(&got, tmp.data, tmp.len);
	lf(&want, r->text, strlen(r->text));
	if (want.len > 0 && want.data[want.len - 1] != '\n' && r->natt == 0 &&
	    strcmp(r->want_cte, "quoted-printable") != 0)
		buf_putc(&want, '\n');	/* a single part ends with a line end */
	assert_string_equal(buf_cstr(&got), buf_cstr(&want));
	if (r->natt > 0) {
		buf_reset(&got);
		p = mime_tree_part(t, 2);
		assert_int_equal(mime_part_decode(t, p, &got, NULL), 0);
		assert_int_equal(got.len, sizeof(bin));
		assert_memory_equal(got.data, bin, sizeof(bin));
		buf_reset(&got);
		assert_int_equal(mime_part_filename(t, p, &got), 1);
		assert_string_equal(buf_cstr(&got), "bin.dat");
	}
	if (r->natt > 1) {
		buf_reset(&got);
		p = mime_tree_part(t, 3);
		assert_int_equal(mime_part_decode(t, p, &got, NULL), 0);
		assert_int_equal(got.len, sizeof(longline));
		assert_memory_equal(got.data, longline, sizeof(longline));
		buf_reset(&got);
		assert_int_equal(mime_part_filename(t, p, &got), 1);
		assert_string_equal(buf_cstr(&got),
		    "\xc3\xa9t\xc3\xa9 \"quoted\".txt");
	}
	mime_tree_free(&t);
	buf_free(&m);
	buf_free(&got);
	buf_free(&want);
	buf_free(&tmp);
	mime_build_free(&b);
	assert_null(b);
}

static void
test_build(void **state)
{
	static char longtext[4000];
	const struct row rows[] = {
		{ "Hello\nworld\n", 0, 0, "7bit" },
		{ "Hello\r\nworld", 0, 0, "7bit" },
		{ "caf\xc3\xa9 au lait\n", 0, 0, "quoted-printable" },
		{ "caf\xc3\xa9 au lait", 0, 0, "quoted-printable" },
		{ "caf\xc3\xa9 au lait\n", 0, MIME_BUILD_8BIT, "8bit" },
		{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n", 0, 0, "base64" },
		{ longtext, 0, 0, "quoted-printable" },
		{ "", 0, 0, "7bit" },
		{ "with attachments\n", 1, 0, "7bit" },
		{ "caf\xc3\xa9 au lait", 2, 0, "quoted-printable" },
	};
	size_t i;

	memset(longtext, 'y', sizeof(longtext) - 1);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run(&rows[i]);
}

/* An RFC 3464 bounce: multipart/report with inline parts. */
static void
test_report(void **state)
{
	static const char dsn[] = "Reporting-MTA: dns; mx.example.test\n\n"
	    "Final-Recipient: rfc822; x@y.test\nAction: failed\n"
	    "Status: 5.1.1\n";
	static const char orig[] = "Subject: hi\nFrom: a@b.test\n\nbody\n";
	struct mime_build *b = mime_build_new("mx.example.test", 0);
	struct mime_tree *t;
	struct buf m, got;

	buf_init(&m, 1 << 20);
	buf_init(&got, 1 << 20);
	assert_int_equal(mime_build_addr(b, "From", "Mail Delivery System",
	    "MAILER-DAEMON@mx.example.test", NULL), 0);
	assert_int_equal(mime_build_field(b, "Subject", "Undelivered Mail",
	    NULL), 0);
	mime_build_text(b, "Your message could not be delivered.\n", 37);
	assert_int_equal(mime_build_multipart_type(b, "report",
	    "report-type=delivery-status", NULL), 0);
	assert_int_equal(mime_build_multipart_type(b, "re port", NULL, NULL),
	    -1);
	assert_int_equal(mime_build_attach(b, NULL, dsn, strlen(dsn),
	    "message/delivery-status", NULL), 0);
	assert_int_equal(mime_build_attach(b, NULL, orig, strlen(orig),
	    "message/rfc822", NULL), 0);
	assert_int_equal(mime_build_finish(b, &m, NULL), 0);
	check_lines(&m);
	assert_null(strstr(buf_cstr(&m), "Content-Disposition"));
	assert_int_equal(mime_tree_parse(m.data, m.len, NULL, &t, NULL), 0);
	assert_string_equal(mime_tree_part(t, 0)->subtype, "report");
	assert_string_equal(mime_params_get_raw(&mime_tree_part(t, 0)->params,
	    "report-type"), "delivery-status");
	assert_string_equal(mime_tree_part(t, 2)->subtype, "delivery-status");
	assert_string_equal(mime_tree_part(t, 2)->cte_raw, "7bit");
	/* The returned message is parsed as a message (7bit, CRLF). */
	assert_true(mime_tree_part(t, 3)->flags & MIME_PART_F_MESSAGE);
	assert_int_equal(mime_part_header_get(t, mime_tree_part(t, 4),
	    "Subject", &got), 1);
	assert_string_equal(buf_cstr(&got), "hi");
	mime_tree_free(&t);
	buf_free(&m);
	buf_free(&got);
	mime_build_free(&b);
}

static void
test_html(void **state)
{
	struct mime_build *b = mime_build_new(NULL, 0);
	struct mime_tree *t;
	struct buf m, got;

	buf_init(&m, 1 << 20);
	buf_init(&got, 1 << 20);
	mime_build_text(b, "plain\n", 6);
	mime_build_html(b, "<p>caf\xc3\xa9</p>\n", 13);
	assert_int_equal(mime_build_attach(b, "a.bin", "\0\1", 2, NULL, NULL),
	    0);
	assert_int_equal(mime_build_finish(b, &m, NULL), 0);
	check_lines(&m);
	assert_int_equal(mime_tree_parse(m.data, m.len, NULL, &t, NULL), 0);
	assert_int_equal(mime_tree_count(t), 5);
	assert_string_equal(mime_tree_part(t, 1)->subtype, "alternative");
	assert_string_equal(mime_tree_part(t, 3)->subtype, "html");
	assert_int_equal(mime_part_decode(t, mime_tree_part(t, 3), &got, NULL),
	    0);
	assert_string_equal(buf_cstr(&got), "<p>caf\xc3\xa9</p>\r\n");
	buf_reset(&got);
	assert_int_equal(mime_part_decode(t, mime_tree_part(t, 4), &got, NULL),
	    0);
	assert_int_equal(got.len, 2);
	mime_tree_free(&t);
	buf_free(&m);
	buf_free(&got);
	mime_build_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_html),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
