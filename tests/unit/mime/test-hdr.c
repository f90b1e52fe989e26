/*
 * test-hdr.c: the RFC 5322 header parser, fed whole and one byte at a time,
 * and the in-memory scanner. Rows give the fields as "name=value|" and the
 * body offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/buf.h"
#include "mime/hdr.h"

struct row {
	const char	*in;
	const char	*fields;	/* "name=value|..." */
	size_t		 body;		/* body offset */
	const char	*err;		/* substring of the error, or NULL */
	size_t		 max_line, max_size, max_fields;	/* 0: default */
};

static const struct row rows[] = {
	/* RFC 5322 appendix A.1.1 */
	{ "From: John Doe <jdoe@machine.example>\r\n"
	  "To: Mary Smith <mary@example.net>\r\n"
	  "Subject: Saying Hello\r\n"
	  "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
	  "Message-ID: <1234@local.machine.example>\r\n"
	  "\r\n"
	  "This is a message just to say hello.\r\n",
	  "From=John Doe <jdoe@machine.example>|"
	  "To=Mary Smith <mary@example.net>|Subject=Saying Hello|"
	  "Date=Fri, 21 Nov 1997 09:55:06 -0600|"
	  "Message-ID=<1234@local.machine.example>|", 180, NULL, 0, 0, 0 },
	/* RFC 5322 §2.2.3 folding; appendix A.5 white space and comments */
	{ "Subject: This\r\n is a test\r\n\r\n",
	  "Subject=This is a test|", 29, NULL, 0, 0, 0 },
	{ "From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\r\n"
	  "To:A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	  "\r\n",
	  "From=Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>|"
	  "To=A Group(Some people)     :Chris Jones <c@(Chris's host.)public.example>,|",
	  150, NULL, 0, 0, 0 },
	/* LF only, empty value, obsolete white space before the colon */
	{ "A: 1\nB:\nC : 3\n\nbody", "A=1|B=|C=3|", 15, NULL, 0, 0, 0 },
	/* No empty line: a non-field line starts the body. */
	{ "A: 1\nthis is body\n", "A=1|", 5, NULL, 0, 0, 0 },
	/* Only a header, no body, no final empty line. */
	{ "A: 1\r\nB: 2", "A=1|B=2|", 10, NULL, 0, 0, 0 },
	/* No header at all. */
	{ "\r\nbody", "", 2, NULL, 0, 0, 0 },
	/* 8-bit and NUL are carried, not interpreted. */
	{ "X: caf\xc3\xa9\r\n\r\n", "X=caf\xc3\xa9|", 12, NULL, 0, 0, 0 },
	/* A body after a header with no empty line trips no header limit. */
	{ "A: 1\nbody line longer than the line limit\nmore body\n", "A=1|", 5,
	  NULL, 20, 40, 0 },
	{ "A: 1\n\rX: no\n", "A=1|", 5, NULL, 0, 0, 0 },
	{ "A: 1\nWord \nx", "A=1|", 5, NULL, 0, 0, 0 },
	/* Limits */
	{ "Subject: 0123456789\r\n\r\n", "", 0, "line too long", 10, 0, 0 },
	{ "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", "A=1|B=2|", 0, "too many", 0, 0, 2 },
	{ "A: 1\r\nB: 2\r\nC: 3\r\n\r\n", "A=1|", 0, "too large", 0, 12, 0 },
};

static void
run(const struct row *r, size_t chunk)
{
	struct mime_hdr_settings set;
	struct mime_hdr *p;
	struct mime_hdr_field f;
	struct buf got;
	const char *err = NULL;
	size_t len = strlen(r->in), off = 0;
	int rc = 0, failed = 0;

	mime_hdr_settings_default(&set);
	if (r->max_line)
		set.max_line = r->max_line;
	if (r->max_size)
		set.max_size = r->max_size;
	if (r->max_fields)
		set.max_fields = r->max_fields;
	p = mime_hdr_new(&set);
	buf_init(&got, 1 << 20);
	while (!failed) {
		if (off < len) {
			size_t n = len - off < chunk ? len - off : chunk;

			if (mime_hdr_push(p, r->in + off, n, &err) == -1) {
				failed = 1;
				break;
			}
			off += n;
		} else
			mime_hdr_finish(p);
		while ((rc = mime_hdr_next(p, &f, &err)) == 1) {
			buf_append(&got, f.name, f.name_len);
			buf_putc(&got, '=');
			buf_append(&got, f.value, f.value_len);
			buf_putc(&got, '|');
			assert_memory_equal(r->in + f.offset, f.name,
			    f.name_len);
		}
		if (rc == -1)
			failed = 1;
		if (mime_hdr_is_done(p))
			break;
	}
	if (r->err != NULL) {
		assert_true(failed);
		assert_non_null(strstr(err, r->err));
	} else {
		assert_false(failed);
		assert_int_equal(mime_hdr_body_offset(p), r->body);
	}
	if (r->err == NULL || chunk == 1)
		assert_string_equal(buf_cstr(&got), r->fields);
	buf_free(&got);
	mime_hdr_free(&p);
	assert_null(p);
}

static void
test_incremental(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run(&rows[i], SIZE_MAX);
		run(&rows[i], 1);
		run(&rows[i], 7);
	}
}

static void
test_scan(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct mime_hdr_field f;
		struct buf got, v;
		size_t pos = 0;

		if (r->err != NULL)
			continue;
		buf_init(&got, 1 << 20);
		buf_init(&v, 1 << 20);
		while (mime_hdr_scan(r->in, strlen(r->in), &pos, &f)) {
			buf_reset(&v);
			assert_int_equal(mime_hdr_unfold(f.raw, f.raw_len, &v),
			    0);
			buf_append(&got, f.name, f.name_len);
			buf_putc(&got, '=');
			buf_append(&got, v.data, v.len);
			buf_putc(&got, '|');
		}
		assert_string_equal(buf_cstr(&got), r->fields);
		assert_int_equal(pos, r->body);
		buf_free(&got);
		buf_free(&v);
	}
}

static void
test_flags(void **state)
{
	static const char in[] = "X: a\0b\r\nY: \xff\r\nZ : c\r\n\r\n";
	struct mime_hdr *p = mime_hdr_new(NULL);
	struct mime_hdr_field f;

	assert_int_equal(mime_hdr_push(p, in, sizeof(in) - 1, NULL), 0);
	assert_int_equal(mime_hdr_next(p, &f, NULL), 1);
	assert_true(f.flags & MIME_HDR_F_NUL);
	assert_int_equal(f.value_len, 3);
	assert_int_equal(mime_hdr_next(p, &f, NULL), 1);
	assert_true(f.flags & MIME_HDR_F_8BIT);
	assert_int_equal(mime_hdr_next(p, &f, NULL), 1);
	assert_true(f.flags & MIME_HDR_F_OBS_WSP);
	assert_true(mime_hdr_field_is(&f, "z"));
	assert_int_equal(mime_hdr_next(p, &f, NULL), 0);
	assert_true(mime_hdr_is_done(p));
	mime_hdr_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
