/*
 * test-tree.c: the MIME tree (RFC 2046 §5.1.1 and RFC 2049 appendix A
 * examples among the rows, malformed shapes, limits, bombs). Each part
 * prints as "depth type/subtype" and, for leaves, the decoded body in
 * brackets and the line count; every tree is checked for the invariants
 * (offsets inside the message, parts ordered and nested).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/tree.h"

struct row {
	const char	*in;
	const char	*out;
};

static const struct row rows[] = {
	/* RFC 2046 §5.1.1 */
	{ "From: Nathaniel Borenstein <nsb@bellcore.com>\r\n"
	  "To: Ned Freed <ned@innosoft.com>\r\n"
	  "Date: Sun, 21 Mar 1993 23:56:48 -0800 (PST)\r\n"
	  "Subject: Sample message\r\n"
	  "MIME-Version: 1.0\r\n"
	  "Content-type: multipart/mixed; boundary=\"simple boundary\"\r\n"
	  "\r\n"
	  "This is the preamble.  It is to be ignored, though it\r\n"
	  "is a handy place for composition agents to include an\r\n"
	  "explanatory note to non-MIME conformant readers.\r\n"
	  "\r\n"
	  "--simple boundary\r\n"
	  "\r\n"
	  "This is implicitly typed plain US-ASCII text.\r\n"
	  "It does NOT end with a linebreak.\r\n"
	  "--simple boundary\r\n"
	  "Content-type: text/plain; charset=us-ascii\r\n"
	  "\r\n"
	  "This is explicitly typed plain US-ASCII text.\r\n"
	  "It DOES end with a linebreak.\r\n"
	  "\r\n"
	  "--simple boundary--\r\n"
	  "\r\n"
	  "This is the epilogue.  It is also to be ignored.\r\n",
	  "0 multipart/mixed|"
	  "1 text/plain [This is implicitly typed plain US-ASCII text.\r\n"
	  "It does NOT end with a linebreak.] 2|"
	  "1 text/plain [This is explicitly typed plain US-ASCII text.\r\n"
	  "It DOES end with a linebreak.\r\n] 2|" },
	/* RFC 2049 appendix A, shortened bodies */
	{ "MIME-Version: 1.0\r\n"
	  "From: Nathaniel Borenstein <nsb@nsb.fv.com>\r\n"
	  "To: Ned Freed <ned@innosoft.com>\r\n"
	  "Subject: A multipart example\r\n"
	  "Content-Type: multipart/mixed;\r\n"
	  "     boundary=unique-boundary-1\r\n"
	  "\r\n"
	  "This is the preamble area of a multipart message.\r\n"
	  "--unique-boundary-1\r\n"
	  "\r\n"
	  "  ... Some text appears here ...\r\n"
	  "--unique-boundary-1\r\n"
	  "Content-type: text/plain; charset=US-ASCII\r\n"
	  "\r\n"
	  "This could have been part of the previous part.\r\n"
	  "--unique-boundary-1\r\n"
	  "Content-Type: multipart/parallel; boundary=unique-boundary-2\r\n"
	  "\r\n"
	  "--unique-boundary-2\r\n"
	  "Content-Type: audio/basic\r\n"
	  "Content-Transfer-Encoding: base64\r\n"
	  "\r\n"
	  "QXVkaW8=\r\n"
	  "--unique-boundary-2\r\n"
	  "Content-Type: image/jpeg\r\n"
	  "Content-Transfer-Encoding: base64\r\n"
	  "\r\n"
	  "SW1hZ2U=\r\n"
	  "--unique-boundary-2--\r\n"
	  "\r\n"
	  "--unique-boundary-1\r\n"
	  "Content-type: text/enriched\r\n"
	  "\r\n"
	  "This is <bold><italic>enriched.</italic></bold>\r\n"
	  "--unique-boundary-1\r\n"
	  "Content-Type: message/rfc822\r\n"
	  "\r\n"
	  "From: (mailbox in US-ASCII)\r\n"
	  "To: (address in US-ASCII)\r\n"
	  "Subject: (subject in US-ASCII)\r\n"
	  "Content-Type: Text/plain; charset=ISO-8859-1\r\n"
	  "Content-Transfer-Encoding: Quoted-printable\r\n"
	  "\r\n"
	  "  ... Additional text in ISO-8859-1 goes here =E9 ...\r\n"
	  "\r\n"
	  "--unique-boundary-1--\r\n",
	  "0 multipart/mixed|"
	  "1 text/plain [  ... Some text appears here ...] 1|"
	  "1 text/plain [This could have been part of the previous part.] 1|"
	  "1 multipart/parallel|"
	  "2 audio/basic [Audio] 1|"
	  "2 image/jpeg [Image] 1|"
	  "1 text/enriched [This is <bold><italic>enriched.</italic></bold>] 1|"
	  "1 message/rfc822|"
	  "2 text/plain [  ... Additional text in ISO-8859-1 goes here \xe9 ...\r\n] 1|" },
	/* Missing close delimiter: the inner multipart ends at the outer
	 * boundary, which still separates the outer parts. */
	{ "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	  "Content-Type: multipart/alternative; boundary=b\n\n--b\n\nx\n"
	  "--a\n\ny\n--a--\n",
	  "0 multipart/mixed|1 multipart/alternative|2 text/plain [x] 1|"
	  "1 text/plain [y] 1|" },
	/* No close delimiter at all, and no epilogue. */
	{ "Content-Type: multipart/mixed; boundary=a\n\n--a\n\nonly",
	  "0 multipart/mixed|1 text/plain [only] 1|" },
	/* A multipart with no delimiters is a leaf; no boundary too. */
	{ "Content-Type: multipart/mixed; boundary=a\n\nno parts\n",
	  "0 multipart/mixed [no parts\n] 1|" },
	{ "Content-Type: multipart/mixed\n\n--a\n\nx\n",
	  "0 multipart/mixed [--a\n\nx\n] 3|" },
	/* Boundary lookalikes: a longer line and junk after it. */
	{ "Content-Type: multipart/mixed; boundary=a\n\n--a\n\n--ab\n--a x\n"
	  "--a  \n\nz\n--a--",
	  "0 multipart/mixed|1 text/plain [--ab\n--a x] 2|1 text/plain [z] 1|" },
	/* Invalid Content-Type means text/plain; digest defaults. */
	{ "Content-Type: garbage\n\nbody", "0 text/plain [body] 1|" },
	{ "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: s\n\n"
	  "in\n--d--\n",
	  "0 multipart/digest|1 message/rfc822|2 text/plain [in] 1|" },
	/* Base64 that is broken decodes leniently. */
	{ "Content-Transfer-Encoding: base64\n\naGVsbG8*gd29y\nbGQ",
	  "0 text/plain [hello world] 2|" },
	/* A header-only message, and an empty one. */
	{ "Subject: x", "0 text/plain [] 0|" },
	{ "", "0 text/plain [] 0|" },
	/* A part whose header is interrupted by a delimiter. */
	{ "Content-Type: multipart/mixed; boundary=a\n\n--a\nX-A: 1\n--a\n\nb\n"
	  "--a--\n",
	  "0 multipart/mixed|1 text/plain [] 0|1 text/plain [b] 1|" },
	/* message/rfc822 in base64 stays a leaf. */
	{ "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
	  "U3ViamVjdDogeAoKeQ==\n",
	  "0 message/rfc822 [Subject: x\n\ny] 1|" },
};

static void
check_invariants(const struct mime_tree *t, size_t len)
{
	size_t i, n = mime_tree_count(t);

	assert_true(n >= 1);
	for (i = 0; i < n; i++) {
		const struct mime_part *p = mime_tree_part(t, i);

		assert_true(p->hdr_start <= p->body_start);
		assert_true(p->body_start <= p->body_end);
		assert_true(p->body_end <= len);
		if (i > 0) {
			const struct mime_part *q = mime_tree_part(t, i - 1);
			const struct mime_part *par = mime_tree_part(t,
			    p->parent);

			assert_non_null(par);
			assert_true(p->parent < i);
			assert_true(p->depth == par->depth + 1);
			/* Children lie inside the parent's body. */
			assert_true(p->hdr_start >= par->body_start);
			assert_true(p->body_end <= par->body_end);
			/* Pre-order: parts start in order. */
			assert_true(p->hdr_start >= q->hdr_start);
		}
		if (p->next != MIME_PART_NONE)
			assert_true(mime_tree_part(t, p->next)->hdr_start >=
			    p->body_end);
	}
}

static void
test_rows(void **state)
{
	size_t i, k;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mime_tree *t;
		struct buf got, dec;

		assert_int_equal(mime_tree_parse(rows[i].in,
		    strlen(rows[i].in), NULL, &t, NULL), 0);
		check_invariants(t, strlen(rows[i].in));
		buf_init(&got, 1 << 20);
		buf_init(&dec, 1 << 20);
		for (k = 0; k < mime_tree_count(t); k++) {
			const struct mime_part *p = mime_tree_part(t, k);

			buf_printf(&got, "%u %s/%s", p->depth, p->type,
			    p->subtype);
			if (p->first_child == MIME_PART_NONE) {
				buf_reset(&dec);
				assert_int_equal(mime_part_decode(t, p, &dec,
				    NULL), 0);
				buf_puts(&got, " [");
				buf_append(&got, dec.data, dec.len);
				buf_printf(&got, "] %zu", p->body_lines);
			}
			buf_putc(&got, '|');
		}
		assert_string_equal(buf_cstr(&got), rows[i].out);
		buf_free(&got);
		buf_free(&dec);
		mime_tree_free(&t);
		assert_null(t);
	}
}

static void
test_fields(void **state)
{
	static const char msg[] =
	    "Subject: =?UTF-8?Q?caf=C3=A9?=\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\n"
	    "Content-Type: application/pdf; name=\"x.pdf\"\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename*=utf-8''%C3%A9t%C3%A9.pdf\r\n"
	    "Content-ID: <id@x>\r\n"
	    "Content-Description: a file\r\n"
	    "Content-Language: en, de\r\n"
	    "Content-Location: http://x.test/a.pdf\r\n"
	    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
	    "Content-Transfer-Encoding: BASE64 (comment)\r\n\r\n"
	    "JVBERg==\r\n"
	    "--b--\r\n";
	struct mime_tree *t;
	const struct mime_part *p;
	struct buf b;

	assert_int_equal(mime_tree_parse(msg, strlen(msg), NULL, &t, NULL), 0);
	assert_int_equal(mime_tree_count(t), 2);
	p = mime_tree_part(t, 0);
	assert_string_equal(p->boundary, "b");
	assert_true(p->flags & MIME_PART_F_MULTIPART);
	p = mime_tree_part(t, 1);
	assert_string_equal(p->type, "application");
	assert_string_equal(p->subtype, "pdf");
	assert_int_equal(p->cte, MIME_CTE_BASE64);
	assert_string_equal(p->disposition, "attachment");
	assert_string_equal(p->id, "<id@x>");
	assert_string_equal(p->description, "a file");
	assert_string_equal(p->language, "en, de");
	assert_string_equal(p->location, "http://x.test/a.pdf");
	assert_string_equal(p->md5, "Q2hlY2sgSW50ZWdyaXR5IQ==");
	buf_init(&b, 1000);
	assert_int_equal(mime_part_filename(t, p, &b), 1);
	assert_string_equal(buf_cstr(&b), "\xc3\xa9t\xc3\xa9.pdf");
	buf_reset(&b);
	assert_int_equal(mime_part_decode(t, p, &b, NULL), 0);
	assert_string_equal(buf_cstr(&b), "%PDF");
	buf_reset(&b);
	assert_int_equal(mime_part_header_get(t, mime_tree_part(t, 0),
	    "subject", &b), 1);
	assert_string_equal(buf_cstr(&b), "=?UTF-8?Q?caf=C3=A9?=");
	buf_reset(&b);
	assert_int_equal(mime_part_header_get(t, p, "subject", &b), 0);
	buf_free(&b);
	mime_tree_free(&t);
}

/* The body part a reader shows (as Python's get_body). */
static void
test_body(void **state)
{
	static const char msg[] =
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\nContent-Disposition: attachment\n\n"
	    "not me\n"
	    "--m\nContent-Type: multipart/alternative; boundary=a\n\n"
	    "--a\nContent-Type: text/plain\n\nplain\n"
	    "--a\nContent-Type: multipart/related; boundary=r; start=\"<h>\"\n\n"
	    "--r\nContent-Type: image/png\n\nx\n"
	    "--r\nContent-Type: text/html\nContent-ID: <h>\n\n<p>\n"
	    "--r--\n--a--\n--m--\n";
	static const char *const plain[] = { "plain", "html", NULL };
	static const char *const html[] = { "html", "plain", NULL };
	static const char *const rel[] = { "related", "html", NULL };
	static const char *const none[] = { "enriched", NULL };
	struct mime_tree *t;

	assert_int_equal(mime_tree_parse(msg, strlen(msg), NULL, &t, NULL), 0);
	assert_int_equal(mime_tree_body(t, plain), 3);
	assert_int_equal(mime_tree_body(t, html), 6);
	assert_int_equal(mime_tree_body(t, rel), 4);
	assert_int_equal(mime_tree_body(t, none), MIME_PART_NONE);
	mime_tree_free(&t);
}

static void
test_limits(void **state)
{
	struct mime_tree_settings set;
	struct mime_tree *t;
	struct buf m;
	int i;

	/* Depth 3 allowed: the fourth level stays a leaf. */
	buf_init(&m, 1 << 20);
	for (i = 0; i < 6; i++)
		buf_printf(&m, "Content-Type: multipart/mixed; boundary=b%d\n\n"
		    "--b%d\n", i, i);
	buf_puts(&m, "\nleaf\n");
	mime_tree_settings_default(&set);
	set.max_depth = 3;
	assert_int_equal(mime_tree_parse(m.data, m.len, &set, &t, NULL), 0);
	assert_int_equal(mime_tree_count(t), 4);
	assert_true(mime_tree_flags(t) & MIME_TREE_F_LIMIT);
	check_invariants(t, m.len);
	mime_tree_free(&t);
	/* Parts limit. */
	buf_reset(&m);
	buf_puts(&m, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 10; i++)
		buf_printf(&m, "--b\n\n%d\n", i);
	buf_puts(&m, "--b--\n");
	set.max_parts = 5;
	assert_int_equal(mime_tree_parse(m.data, m.len, &set, &t, NULL), 0);
	assert_int_equal(mime_tree_count(t), 5);
	check_invariants(t, m.len);
	mime_tree_free(&t);
	set.max_parts = 0;
	assert_int_equal(mime_tree_parse(m.data, m.len, &set, &t, NULL), -1);
	buf_free(&m);
}

/* Bombs (issue 3): bounded memory, linear time, no crash. */
static void
run_bomb(struct buf *m, size_t want_min_parts)
{
	struct mime_tree *t;
	clock_t t0 = clock();

	assert_int_equal(mime_tree_parse(m->data, m->len, NULL, &t, NULL), 0);
	assert_true(mime_tree_count(t) >= want_min_parts);
	assert_true(mime_tree_count(t) <= MIME_TREE_DEFAULT_MAX_PARTS);
	check_invariants(t, m->len);
	/* Under ASan this is generous; the point is "not quadratic". */
	assert_true(clock() - t0 < 5 * CLOCKS_PER_SEC);
	mime_tree_free(&t);
}

static void
test_bombs(void **state)
{
	struct buf m;
	int i;

	buf_init(&m, 1 << 26);
	/* 100,000 parts. */
	buf_puts(&m, "Content-Type: multipart/mixed; boundary=b\n\n");
	for (i = 0; i < 100000; i++)
		buf_puts(&m, "--b\nContent-Type: text/plain\n\nx\n");
	buf_puts(&m, "--b--\n");
	run_bomb(&m, MIME_TREE_DEFAULT_MAX_PARTS);
	/* Nesting 10,000 deep, multipart and message/rfc822. */
	buf_reset(&m);
	for (i = 0; i < 10000; i++)
		buf_printf(&m, "Content-Type: multipart/mixed; boundary=%d\n\n"
		    "--%d\n", i, i);
	for (i = 9999; i >= 0; i--)
		buf_printf(&m, "--%d--\n", i);
	run_bomb(&m, MIME_TREE_DEFAULT_MAX_DEPTH);
	buf_reset(&m);
	for (i = 0; i < 10000; i++)
		buf_puts(&m, "Content-Type: message/rfc822\n\n");
	run_bomb(&m, MIME_TREE_DEFAULT_MAX_DEPTH);
	/* A 10 MB header: one field folded 110,000 times. */
	buf_reset(&m);
	buf_puts(&m, "Content-Type: text/plain;");
	for (i = 0; i < 110000; i++)
		buf_puts(&m, "\r\n x=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";");
	buf_puts(&m, "\r\n\r\nbody");
	assert_true(m.len > 10000000);
	run_bomb(&m, 1);
	buf_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bombs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
