/*
 * test-linereader.c: line splitting, limits, partial lines, CRLF vs bare LF.
 * Every row is fed all at once and one byte at a time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/linereader.h"

/* Renders what the reader returns as text: "L:abc|" for a CRLF line,
 * "F:abc|" bare LF, "N:abc|" unterminated, "T|" too long, "E" end. */
static void
run(const char *in, size_t inlen, size_t limit, size_t chunk, struct buf *out)
{
	struct linereader lr;
	size_t off = 0;
	const char *line;
	size_t len;
	enum lr_result r;

	lr_init(&lr, limit);
	for (;;) {
		r = lr_next(&lr, &line, &len);
		if (r == LR_MORE) {
			if (off == inlen) {
				lr_eof(&lr);
				continue;
			}
			size_t n = inlen - off < chunk ? inlen - off : chunk;
			size_t took = lr_push(&lr, in + off, n);
			assert_true(took > 0);
			off += took;
			continue;
		}
		if (r == LR_EOF) {
			buf_puts(out, "E");
			break;
		}
		if (r == LR_TOOLONG) {
			buf_puts(out, "T|");
			continue;
		}
		assert_int_equal(r, LR_LINE);
		assert_true(len < limit);
		assert_int_equal(line[len], '\0');
		switch (lr_eol(&lr)) {
		case LR_EOL_CRLF: buf_puts(out, "L:"); break;
		case LR_EOL_LF: buf_puts(out, "F:"); break;
		case LR_EOL_NONE: buf_puts(out, "N:"); break;
		}
		buf_append(out, line, len);
		buf_puts(out, "|");
	}
	lr_free(&lr);
}

static const struct row {
	const char	*in;
	size_t		 limit;
	const char	*want;
} rows[] = {
	{ "", 512, "E" },
	{ "HELO x\r\n", 512, "L:HELO x|E" },
	{ "a\r\nb\nc\r\n", 512, "L:a|F:b|L:c|E" },
	{ "partial", 512, "N:partial|E" },
	{ "x\r\npartial\r", 512, "L:x|N:partial\r|E" },
	{ "bare\rcr\r\n", 512, "L:bare\rcr|E" },
	{ "\r\n\n", 512, "L:|F:|E" },
	/* limit counts the terminator: 4 bytes + CRLF fits in 6 */
	{ "abcd\r\n", 6, "L:abcd|E" },
	{ "abcde\r\n", 6, "T|E" },
	{ "abcde\n", 6, "F:abcde|E" },
	{ "abcdef\n", 6, "T|E" },
	/* an over-long line is discarded to its LF; the next line survives */
	{ "0123456789012345\r\nok\r\n", 8, "T|L:ok|E" },
	{ "0123456789012345", 8, "T|E" },
	{ "a\r\n0123456789\r\nb\r\n0123456789\nc", 8, "L:a|T|L:b|T|N:c|E" },
};

static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t chunks[] = { 1, 2, 3, 4096 };
		for (size_t c = 0; c < 4; c++) {
			struct buf out;
			buf_init(&out, 1 << 16);
			run(rows[i].in, strlen(rows[i].in), rows[i].limit,
			    chunks[c], &out);
			if (strcmp(buf_cstr(&out), rows[i].want) != 0)
				fail_msg("row %zu chunk %zu: got '%s' want '%s'",
				    i, chunks[c], buf_cstr(&out), rows[i].want);
			buf_free(&out);
		}
	}
}

static void
test_nul_bytes_are_content(void **state)
{
	struct buf out;
	const char in[] = "a\0b\r\n";

	(void)state;
	buf_init(&out, 100);
	run(in, sizeof(in) - 1, 512, 1, &out);
	assert_int_equal(out.len, strlen("L:a") + 1 + strlen("b|E"));
	assert_memory_equal(out.data, "L:a\0b|E", out.len);
	buf_free(&out);
}

static void
test_memory_is_bounded(void **state)
{
	struct linereader lr;
	char big[4096];
	const char *line;
	size_t len, pushed = 0;
	int toolong = 0;

	(void)state;
	memset(big, 'x', sizeof(big));
	lr_init(&lr, 512);
	/* 10 MB without a newline never grows the buffer past its max. */
	while (pushed < 10 * 1024 * 1024) {
		size_t took = lr_push(&lr, big, sizeof(big));
		pushed += took;
		while (lr_next(&lr, &line, &len) == LR_TOOLONG)
			toolong++;
		assert_true(lr.in.cap <= 512 + LR_CHUNK_MAX + 1);
	}
	assert_int_equal(toolong, 1);
	lr_push(&lr, "\r\nQUIT\r\n", 8);
	assert_int_equal(lr_next(&lr, &line, &len), LR_LINE);
	assert_string_equal(line, "QUIT");
	lr_free(&lr);
}

static void
test_discard_and_set_limit(void **state)
{
	struct linereader lr;
	const char *line;
	size_t len;

	(void)state;
	lr_init(&lr, 10);
	lr_push(&lr, "STARTTLS\r\nEVIL\r\n", 16);
	assert_int_equal(lr_next(&lr, &line, &len), LR_LINE);
	assert_string_equal(line, "STARTTLS");
	assert_int_equal(lr_pending(&lr), 6);
	lr_discard(&lr);	/* RFC 3207 §6: pre-TLS bytes are dropped */
	assert_int_equal(lr_pending(&lr), 0);
	assert_int_equal(lr_next(&lr, &line, &len), LR_MORE);
	lr_set_limit(&lr, 1000);
	lr_push(&lr, "a line longer than ten\r\n", 24);
	assert_int_equal(lr_next(&lr, &line, &len), LR_LINE);
	assert_int_equal(len, 22);
	lr_eof(&lr);
	assert_int_equal(lr_push(&lr, "x", 1), 0);
	assert_int_equal(lr_next(&lr, &line, &len), LR_EOF);
	lr_free(&lr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_nul_bytes_are_content),
		cmocka_unit_test(test_memory_is_bounded),
		cmocka_unit_test(test_discard_and_set_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
