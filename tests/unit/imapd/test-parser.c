/*
 * test-parser.c: the IMAP command parser. Every row {input, expected items}
 * is fed all at once, one byte at a time and in 7-byte chunks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imapd/parser.h"
#include "lib/buf.h"

/* Renders items: "T NAME a:x q:y l:z ( ) |" for a command, "+|" for a
 * continuation, "BAD(tag)|", "TOOBIG(tag)|", "FATAL|", "L:line|". */
static void
render(struct imapd_parser *p, enum imapd_parse_result r,
    const struct imapd_parsed *it, struct buf *out)
{
	size_t i;

	(void)p;
	switch (r) {
	case IMAPD_P_CMD:
		buf_printf(out, "%s %s", it->tag, it->name);
		for (i = 0; i < it->nargs; i++) {
			const struct imapd_tok *t = &it->args[i];

			switch (t->type) {
			case IMAPD_TOK_ATOM:
				buf_printf(out, " a:%s", t->s);
				break;
			case IMAPD_TOK_QUOTED:
				buf_printf(out, " q:%s", t->s);
				break;
			case IMAPD_TOK_LITERAL:
				buf_printf(out, " l:%.*s", (int)t->len, t->s);
				break;
			case IMAPD_TOK_LIST_START:
				buf_puts(out, " (");
				break;
			case IMAPD_TOK_LIST_END:
				buf_puts(out, " )");
				break;
			}
		}
		buf_puts(out, "|");
		break;
	case IMAPD_P_CONTINUE:
		buf_puts(out, "+|");
		break;
	case IMAPD_P_LINE:
		buf_printf(out, "L:%.*s|", (int)it->linelen, it->line);
		break;
	case IMAPD_P_BAD:
		buf_printf(out, "BAD(%s)|", it->tag ? it->tag : "*");
		break;
	case IMAPD_P_TOOBIG:
		buf_printf(out, "TOOBIG(%s)|", it->tag ? it->tag : "*");
		break;
	case IMAPD_P_FATAL:
		buf_puts(out, "FATAL|");
		break;
	case IMAPD_P_MORE:
		break;
	}
}

static void
run(const char *in, size_t chunk, bool line_mode, struct buf *out)
{
	struct imapd_parser_settings set;
	struct imapd_parser *p;
	struct imapd_parsed it;
	enum imapd_parse_result r;
	size_t off = 0, len = strlen(in);

	imapd_parser_settings_default(&set);
	set.literal_max = 10;
	set.append_max = 20;
	set.line_max = 80;
	set.depth_max = 3;
	p = imapd_parser_new(&set);
	imapd_parser_line_mode(p, line_mode);
	for (;;) {
		r = imapd_parser_next(p, &it);
		if (r == IMAPD_P_MORE) {
			if (off == len)
				break;
			size_t n = len - off < chunk ? len - off : chunk;
			off += imapd_parser_push(p, in + off, n);
			continue;
		}
		render(p, r, &it, out);
		if (r == IMAPD_P_FATAL)
			break;
	}
	imapd_parser_free(&p);
}

struct row {
	const char	*in;
	const char	*want;
	bool		 line_mode;
};

static const struct row rows[] = {
	{ "a1 NOOP\r\n", "a1 NOOP|", false },
	{ "a1 noop\n", "a1 NOOP|", false },
	{ "\r\na1 NOOP\r\n", "a1 NOOP|", false },
	{ "a1 LOGIN bob \"se\\\"cr\\\\et\"\r\n",
	    "a1 LOGIN a:bob q:se\"cr\\et|", false },
	{ "a1 LOGIN {3}\r\nbob {2}\r\npw\r\n",
	    "+|+|a1 LOGIN l:bob l:pw|", false },
	{ "a1 LOGIN {3+}\r\nbob {2+}\r\npw\r\n", "a1 LOGIN l:bob l:pw|", false },
	{ "a1 LOGIN {0}\r\n {0}\r\n\r\n", "+|+|a1 LOGIN l: l:|", false },
	/* over literal_max (10): no continuation, no reading */
	{ "a1 LOGIN {11}\r\na2 NOOP\r\n", "TOOBIG(a1)|a2 NOOP|", false },
	{ "a1 LOGIN {99999999999999999999}\r\n", "TOOBIG(a1)|", false },
	{ "a1 LOGIN {11+}\r\n01234567890\r\n", "FATAL|", false },
	/* APPEND has its own limit (20) */
	{ "a1 APPEND INBOX {15}\r\n123456789012345\r\n",
	    "+|a1 APPEND a:INBOX l:123456789012345|", false },
	{ "a1 APPEND INBOX {21}\r\n", "TOOBIG(a1)|", false },
	{ "a1 APPEND INBOX (\\Seen) \"1-Jan-2020 00:00:00 +0000\" {2}\r\nhi\r\n",
	    "+|a1 APPEND a:INBOX ( a:\\Seen ) q:1-Jan-2020 00:00:00 +0000 l:hi|", false },
	{ "a1 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.10>)\r\n",
	    "a1 FETCH a:1:* ( a:FLAGS a:BODY.PEEK[HEADER.FIELDS (From To)]<0.10> )|", false },
	{ "a1 FETCH 1 BODY[]\r\n", "a1 FETCH a:1 a:BODY[]|", false },
	{ "a1 SELECT [Gmail]/Sent\r\n", "a1 SELECT a:[Gmail]/Sent|", false },
	{ "a1 LIST \"\" *\r\n", "a1 LIST q: a:*|", false },
	{ "a1 LIST \"\" %/x\r\n", "a1 LIST q: a:%/x|", false },
	{ "a1 SEARCH NOT (OR SEEN FLAGGED) NIL\r\n",
	    "a1 SEARCH a:NOT ( a:OR a:SEEN a:FLAGGED ) a:NIL|", false },
	{ "a1 X ((()))\r\n", "a1 X ( ( ( ) ) )|", false },
	{ "a1 X (((())))\r\n", "BAD(a1)|", false },	/* depth 4 > 3 */
	{ "a1 X (a\r\n", "BAD(a1)|", false },
	{ "a1 X a)\r\n", "BAD(a1)|", false },
	{ "a1 X \"abc\r\n", "BAD(a1)|", false },
	{ "a1 X \"a\\b\"\r\n", "BAD(a1)|", false },
	{ "a1 X a\"b\"\r\n", "BAD(a1)|", false },
	{ "+ NOOP\r\n", "BAD(*)|", false },
	{ "a1\r\n", "BAD(*)|", false },
	{ "a1 \r\n", "BAD(a1)|", false },
	{ "a1 NO\001OP\r\n", "BAD(a1)|", false },
	{ "a1 NOOP\r\na2 CAPABILITY\r\na3 LOGOUT\r\n",
	    "a1 NOOP|a2 CAPABILITY|a3 LOGOUT|", false },
	/* line_max 80 */
	{ "a1 X aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", "FATAL|", false },
	/* a literal may hold CRLF and braces */
	{ "a1 X {7}\r\n{1}\r\n\r\n\r\n", "+|a1 X l:{1}\r\n\r\n|", false },
	{ "DONE\r\n", "L:DONE|", true },
	{ "dGVzdA==\r\n*\r\n", "L:dGVzdA==|L:*|", true },
};

static void
test_rows(void **state)
{
	static const size_t chunks[] = { 1 << 20, 1, 7 };
	size_t i, c;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (c = 0; c < 3; c++) {
			struct buf out;

			buf_init(&out, 1 << 20);
			run(rows[i].in, chunks[c], rows[i].line_mode, &out);
			if (strcmp(buf_cstr(&out), rows[i].want) != 0) {
				print_error("row %zu chunk %zu: got '%s' want "
				    "'%s'\n", i, chunks[c], buf_cstr(&out),
				    rows[i].want);
				fail();
			}
			buf_free(&out);
		}
	}
}

/* A huge literal is refused without allocating it. */
static void
test_huge_literal(void **state)
{
	struct imapd_parser *p = imapd_parser_new(NULL);
	struct imapd_parsed it;
	const char *cmd = "a1 APPEND INBOX {4000000000}\r\n";

	(void)state;
	imapd_parser_push(p, cmd, strlen(cmd));
	assert_int_equal(imapd_parser_next(p, &it), IMAPD_P_TOOBIG);
	assert_string_equal(it.tag, "a1");
	assert_int_equal(imapd_parser_next(p, &it), IMAPD_P_MORE);
	imapd_parser_free(&p);
}

/* A big literal is kept in place and NUL-terminated. */
static void
test_big_literal(void **state)
{
	struct imapd_parser *p = imapd_parser_new(NULL);
	struct imapd_parsed it;
	char *msg = malloc(10001);
	char hdr[64];

	(void)state;
	memset(msg, 'x', 10000);
	msg[10000] = '\0';
	snprintf(hdr, sizeof(hdr), "t APPEND INBOX {10000}\r\n");
	imapd_parser_push(p, hdr, strlen(hdr));
	assert_int_equal(imapd_parser_next(p, &it), IMAPD_P_CONTINUE);
	imapd_parser_push(p, msg, 10000);
	imapd_parser_push(p, ")\r\n" + 1, 2);
	assert_int_equal(imapd_parser_next(p, &it), IMAPD_P_CMD);
	assert_int_equal(it.nargs, 2);
	assert_int_equal(it.args[1].len, 10000);
	assert_int_equal(strlen(it.args[1].s), 10000);
	free(msg);
	imapd_parser_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_huge_literal),
		cmocka_unit_test(test_big_literal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
