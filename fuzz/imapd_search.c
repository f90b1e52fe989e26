/*
 * imapd_search.c: fuzz the SEARCH key parser and matcher. The input is
 * "a SEARCH <keys>" run through the command parser; parsed keys are
 * matched against one fixed message whose text comes from the input too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "imapd/parser.h"
#include "imapd/search.h"

static const char msg[] = "From: Ann <ann@example.net>\r\nSubject: "
    "=?UTF-8?Q?caf=C3=A9?=\r\nDate: Tue, 1 Mar 2022 10:00:00 +0000\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\nSch=F6n\r\n";

static int
load(void *arg, const char **data_out, size_t *len_out)
{
	(void)arg;
	*data_out = msg;
	*len_out = sizeof(msg) - 1;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imapd_parser *p = imapd_parser_new(NULL);
	struct imapd_parsed it;
	struct imapd_search *s;
	struct imapd_search_msg m;
	const char *err;

	imapd_parser_push(p, "a SEARCH ", 9);
	imapd_parser_push(p, data, size);
	imapd_parser_push(p, "\r\n", 2);
	if (imapd_parser_next(p, &it) == IMAPD_P_CMD &&
	    imapd_search_parse(it.args, it.nargs, &s, &err) == 0) {
		memset(&m, 0, sizeof(m));
		m.seq = m.uid = m.nmsgs = m.maxuid = 3;
		m.keywords = "$Work";
		m.internaldate = 1646128800;
		m.size = sizeof(msg) - 1;
		m.load = load;
		imapd_search_match(s, &m);
		imapd_search_free(&s);
	}
	imapd_parser_free(&p);
	return 0;
}
