/*
 * test-msgout.c: CRLF-form sizes and dot-stuffed RETR/TOP output. Each
 * row is pushed whole and one byte at a time; the size must equal the
 * un-stuffed output less the final ".\r\n".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "pop3d/msgout.h"

struct row {
	const char	*in;
	long		 top;		/* -1: RETR */
	const char	*out;
};

static const struct row rows[] = {
	{ "", -1, ".\r\n" },
	{ "a\r\n", -1, "a\r\n.\r\n" },
	{ "a", -1, "a\r\n.\r\n" },
	{ "a\r", -1, "a\r\n.\r\n" },
	{ "a\nb\n", -1, "a\r\nb\r\n.\r\n" },
	{ ".\r\n", -1, "..\r\n.\r\n" },
	{ ".a\r\n..b\r\nc.\r\n", -1, "..a\r\n...b\r\nc.\r\n.\r\n" },
	{ "x\n.\n", -1, "x\r\n..\r\n.\r\n" },
	{ "a\rb\r\n", -1, "a\rb\r\n.\r\n" },		/* bare CR stays */
	{ "\r\n\r\n", -1, "\r\n\r\n.\r\n" },
	{ "\xff\x80\r\n", -1, "\xff\x80\r\n.\r\n" },	/* 8-bit */
	{ "H: 1\r\n\r\nb1\r\nb2\r\n", 0, "H: 1\r\n\r\n.\r\n" },
	{ "H: 1\r\n\r\nb1\r\nb2\r\n", 1, "H: 1\r\n\r\nb1\r\n.\r\n" },
	{ "H: 1\r\n\r\nb1\r\nb2\r\n", 5, "H: 1\r\n\r\nb1\r\nb2\r\n.\r\n" },
	{ "H: 1\n\n.b1\nb2", 1, "H: 1\r\n\r\n..b1\r\n.\r\n" },
	{ "H: 1\r\nH: 2\r\n", 0, "H: 1\r\nH: 2\r\n.\r\n" },
	{ "H: 1\r\nH: 2", 0, "H: 1\r\nH: 2\r\n.\r\n" },
};

static void
run(const struct row *r, size_t chunk)
{
	struct pop3d_msgout mo;
	struct pop3d_msgsize ms;
	struct buf out;
	size_t len = strlen(r->in);

	buf_init(&out, 1 << 20);
	pop3d_msgout_init(&mo, r->top);
	pop3d_msgsize_init(&ms);
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		pop3d_msgsize_push(&ms, r->in + off, n);
		if (!pop3d_msgout_push(&mo, r->in + off, n, &out))
			break;
	}
	pop3d_msgout_end(&mo, &out);
	if (out.len != strlen(r->out) || memcmp(out.data, r->out, out.len))
		fail_msg("row \"%s\" top %ld chunk %zu: got \"%s\"", r->in,
		    r->top, chunk, buf_cstr(&out));
	if (r->top < 0) {
		/* Un-stuff: drop the dot that starts a line, then ".\r\n". */
		size_t n = 0;
		int bol = 1;
		for (size_t i = 0; i < out.len - 3; i++) {
			if (bol && out.data[i] == '.') {
				bol = 0;
				continue;
			}
			bol = out.data[i] == '\n';
			n++;
		}
		/* The feed of the whole message gives the same size. */
		struct pop3d_msgsize whole;
		pop3d_msgsize_init(&whole);
		pop3d_msgsize_push(&whole, r->in, len);
		assert_int_equal(pop3d_msgsize_end(&whole), n);
		assert_int_equal(pop3d_msgsize_end(&ms), n);
	}
	buf_free(&out);
}

static void
test_rows(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run(&rows[i], 1 << 20);
		run(&rows[i], 1);
		run(&rows[i], 2);
	}
}

/* A long message with every kind of line, in odd chunks. */
static void
test_big(void **state)
{
	struct pop3d_msgout mo;
	struct pop3d_msgsize ms;
	struct buf in, out;

	buf_init(&in, 8 << 20);
	buf_init(&out, 16 << 20);
	for (int i = 0; i < 20000; i++)
		buf_printf(&in, "%s%d%s", i % 3 == 0 ? "." : "", i,
		    i % 5 == 0 ? "\n" : "\r\n");
	pop3d_msgout_init(&mo, -1);
	pop3d_msgsize_init(&ms);
	for (size_t off = 0; off < in.len; off += 777) {
		size_t n = in.len - off < 777 ? in.len - off : 777;
		pop3d_msgsize_push(&ms, in.data + off, n);
		assert_true(pop3d_msgout_push(&mo, in.data + off, n, &out));
	}
	pop3d_msgout_end(&mo, &out);
	/* 6667 stuffed dots, 4000 bare LFs turned into CRLF. */
	assert_int_equal(pop3d_msgsize_end(&ms), in.len + 4000);
	assert_int_equal(out.len, in.len + 4000 + 6667 + 3);
	buf_free(&in);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
