/*
 * test-search.c: SEARCH keys against three fixed messages, table-driven:
 * {keys, expected matches} and {keys, expected parse error}. Keys go
 * through the command parser first, whole and byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "imapd/parser.h"
#include "imapd/search.h"
#include "lib/buf.h"
#include "store/mbox.h"

static const char *const msgs[] = {
	"From: Ann <ann@example.net>\r\nTo: bob@example.org\r\n"
	"Subject: Quarterly report\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
	"\r\nNumbers are up.\r\n",

	"From: =?ISO-8859-1?Q?J=F6rg?= <jorg@example.de>\r\n"
	"Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\nDate: Tue, 1 Mar 2022 10:00:00 "
	"+0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
	"charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n"
	"\r\nSch=F6ne Gr=FC=DFe aus der STRASSE\r\n",

	"From: carol@example.com\r\nCc: dave@example.com\r\nSubject: pics\r\n"
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
	"\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\nPGI+SGlkZGVuIFRyZWFzdXJlPC9iPg=="
	"\r\n--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: "
	"base64\r\n\r\naGlkZGVuIGluIGltYWdl\r\n--b--\r\n",
};

static const struct {
	unsigned	flags;
	const char	*keywords;
	bool		recent;
	int64_t		idate;		/* internal date */
	uint64_t	modseq;
} meta[] = {
	{ STORE_FLAG_SEEN, "", false, 1609502400, 10 },	/* 2021-01-01 */
	{ STORE_FLAG_FLAGGED | STORE_FLAG_DELETED, "$Work Later", true,
	    1646128800, 20 },				/* 2022-03-01 */
	{ STORE_FLAG_ANSWERED | STORE_FLAG_DRAFT, "", true, 1646215200,
	    30 },					/* 2022-03-02 */
};

static int
load(void *arg, const char **data_out, size_t *len_out)
{
	const char *m = arg;

	*data_out = m;
	*len_out = strlen(m);
	return 1;
}

/* "a SEARCH <keys>" through the parser, chunk bytes at a time. */
static int
run(const char *keys, size_t chunk, char *got, size_t gotlen,
    const char **err)
{
	struct imapd_parser *p = imapd_parser_new(NULL);
	struct imapd_parsed it;
	struct imapd_search *s;
	struct buf cmd;
	size_t off = 0, i;
	int r;

	buf_init(&cmd, 4096);
	buf_printf(&cmd, "a SEARCH %s\r\n", keys);
	while ((r = imapd_parser_next(p, &it)) == IMAPD_P_MORE ||
	    r == IMAPD_P_CONTINUE) {
		size_t n = cmd.len - off < chunk ? cmd.len - off : chunk;

		if (r == IMAPD_P_CONTINUE)
			continue;
		if (n == 0)
			fail_msg("incomplete: %s", keys);
		off += imapd_parser_push(p, cmd.data + off, n);
	}
	if (r != IMAPD_P_CMD)
		*err = "command syntax";
	if (r != IMAPD_P_CMD || imapd_search_parse(it.args, it.nargs, &s, err) == -1) {
		imapd_parser_free(&p);
		buf_free(&cmd);
		return -1;
	}
	got[0] = '\0';
	for (i = 0; i < 3; i++) {
		struct imapd_search_msg m;

		memset(&m, 0, sizeof(m));
		m.seq = (uint32_t)i + 1;
		m.uid = (uint32_t)(i + 1) * 10;
		m.flags = meta[i].flags;
		m.keywords = meta[i].keywords;
		m.recent = meta[i].recent;
		m.internaldate = meta[i].idate;
		m.size = strlen(msgs[i]);
		m.modseq = meta[i].modseq;
		m.nmsgs = 3;
		m.maxuid = 30;
		m.load = load;
		m.load_arg = (void *)msgs[i];
		if (imapd_search_match(s, &m) == 1)
			snprintf(got + strlen(got), gotlen - strlen(got),
			    "%s%zu", got[0] ? " " : "", i + 1);
	}
	imapd_search_free(&s);
	imapd_parser_free(&p);
	buf_free(&cmd);
	return 0;
}

static const struct {
	const char	*keys;
	const char	*want;	/* NULL: a parse error */
} rows[] = {
	{ "ALL", "1 2 3" },
	{ "SEEN", "1" }, { "UNSEEN", "2 3" }, { "FLAGGED", "2" },
	{ "DELETED", "2" }, { "UNDELETED", "1 3" }, { "ANSWERED", "3" },
	{ "DRAFT", "3" }, { "UNDRAFT", "1 2" }, { "UNANSWERED", "1 2" },
	{ "UNFLAGGED", "1 3" },
	{ "RECENT", "2 3" }, { "NEW", "2 3" }, { "OLD", "1" },
	{ "KEYWORD $work", "2" }, { "KEYWORD later", "2" },
	{ "UNKEYWORD $Work", "1 3" },
	{ "2:3", "2 3" }, { "*", "3" }, { "1,3", "1 3" },
	{ "UID 20", "2" }, { "UID 15:*", "2 3" }, { "UID *", "3" },
	{ "OR SEEN FLAGGED", "1 2" }, { "NOT SEEN", "2 3" },
	{ "NOT (SEEN)", "2 3" }, { "(SEEN) (UNDRAFT)", "1" },
	{ "OR (SEEN DRAFT) NOT 1:2", "3" },
	{ "NOT NOT NOT SEEN", "2 3" },
	{ "BEFORE 1-Mar-2022", "1" }, { "ON 1-Mar-2022", "2" },
	{ "SINCE 2-Mar-2022", "3" }, { "SINCE 1-jan-2021", "1 2 3" },
	{ "SENTBEFORE 1-Jan-2000", "1" }, { "SENTON 7-Feb-1994", "1" },
	{ "SENTSINCE 1-Mar-2022", "2" },
	{ "LARGER 200", "2 3" }, { "SMALLER 200", "1" },
	{ "MODSEQ 20", "2 3" },
	{ "FROM ann", "1" }, { "FROM J\xc3\x96RG", "2" },
	{ "FROM \"jorg@\"", "2" },
	{ "SUBJECT report", "1" }, { "SUBJECT \"quarterly REPORT\"", "1" },
	{ "SUBJECT gr\xc3\xbc\xc3\x9f" "e", "2" },
	{ "CC dave", "3" }, { "TO bob", "1" }, { "BCC bob", "" },
	{ "HEADER Content-Type multipart", "3" },
	{ "HEADER MIME-Version \"\"", "2 3" },
	{ "BODY \"numbers are\"", "1" },
	{ "BODY strasse", "2" }, { "BODY \"SCH\xc3\x96NE\"", "2" },
	{ "BODY treasure", "3" },		/* base64 text/html */
	{ "BODY image", "" },			/* not a text part */
	{ "TEXT quarterly", "1" }, { "TEXT treasure", "3" },
	{ "TEXT {4}\r\ncaro", "3" },
	{ "FROB", NULL }, { "BEFORE", NULL }, { "BEFORE 1-Foo-2020", NULL },
	{ "BEFORE 32-Jan-2020", NULL }, { "OR SEEN", NULL },
	{ "NOT", NULL }, { "LARGER x", NULL }, { "UID x", NULL },
	{ "(SEEN", NULL }, { "()", NULL }, { "0:3", NULL },
	{ "HEADER \"\" x", NULL },
	{ "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
	  "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
	  "NOT SEEN", NULL },
};

static void
test_rows(void **state)
{
	char got[64];
	const char *err;
	size_t i, c;
	static const size_t chunks[] = { 4096, 1 };

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (c = 0; c < 2; c++) {
			int r = run(rows[i].keys, chunks[c], got, sizeof(got),
			    &err);

			if (rows[i].want == NULL) {
				if (r != -1)
					fail_msg("'%s' parsed", rows[i].keys);
				continue;
			}
			if (r == -1)
				fail_msg("'%s': %s", rows[i].keys, err);
			if (strcmp(got, rows[i].want) != 0)
				fail_msg("'%s': got '%s' want '%s'",
				    rows[i].keys, got, rows[i].want);
		}
}

static void
test_fold(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	imapd_search_fold("\xc3\x84pfel  UND\r\n\tBirnen \xce\xa3", 23, &b);
	assert_string_equal(buf_cstr(&b), "\xc3\xa4pfel und birnen \xcf\x83");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
