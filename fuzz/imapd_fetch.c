/*
 * imapd_fetch.c: fuzz FETCH attribute parsing (section specs, <partial>,
 * macros, CHANGEDSINCE). The input follows "a FETCH 1 " through the
 * command parser; every parsed section is cut from a fixed multipart
 * message and the <partial> range must stay inside it.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "imapd/fetch.h"
#include "imapd/parser.h"
#include "mime/imapview.h"
#include "mime/tree.h"

static const char msg[] = "From: a@example.net\r\nSubject: hi\r\n"
    "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
    "Content-Type: text/plain\r\n\r\none\r\n--x\r\n"
    "Content-Type: message/rfc822\r\n\r\nSubject: in\r\nContent-Type: "
    "multipart/alternative; boundary=y\r\n\r\n--y\r\n\r\ntwo\r\n--y--\r\n"
    "--x--\r\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imapd_parser *p = imapd_parser_new(NULL);
	struct imapd_parsed it;
	struct imapd_fetch f;
	struct mime_tree *tree;
	const char *err;
	size_t i;

	imapd_parser_push(p, "a FETCH 1 ", 10);
	imapd_parser_push(p, data, size);
	imapd_parser_push(p, "\r\n", 2);
	if (imapd_parser_next(p, &it) == IMAPD_P_CMD && it.nargs > 0 &&
	    imapd_fetch_parse(it.args + 1, it.nargs - 1, &f) == 0 &&
	    mime_tree_parse(msg, sizeof(msg) - 1, NULL, &tree, &err) == 0) {
		for (i = 0; i < f.n; i++) {
			const struct imapd_fitem *fi = &f.items[i];
			struct buf b;
			const char *d;
			size_t len;

			if (fi->kind != IMAPD_FI_SECTION)
				continue;
			buf_init(&b, 1 << 16);
			if (fi->spec[0] == '\0')
				buf_append(&b, msg, sizeof(msg) - 1);
			else
				(void)mime_imap_section_fetch(tree, fi->spec,
				    strlen(fi->spec), &b, &err);
			d = b.data ? b.data : "";
			len = b.len;
			imapd_fetch_partial(fi, &d, &len);
			assert(d >= (b.data ? b.data : d) && len <= b.len);
			buf_free(&b);
		}
		mime_tree_free(&tree);
	}
	imapd_parser_free(&p);
	return 0;
}
