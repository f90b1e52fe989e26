/*
 * ua_parts.c: fuzz the user agent's BODYSTRUCTURE reader differentially.
 * The input is a message: its parts from the MIME tree must match, part
 * for part (section, type, size), the parts read back from the
 * BODYSTRUCTURE our server side writes for it. Then the input is also fed
 * to the reader as a raw, hostile BODYSTRUCTURE.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/imapview.h"
#include "ua/imapresp.c"	/* the UA is not in libpostern.a */
#include "ua/parts.c"

static void
from_bs(const char *data, size_t len, struct ua_parts *p)
{
	struct ua_imap_resp r;
	const char *es;

	if (ua_imap_resp_parse(data, len, &r, &es) == 0)
		ua_parts_from_bodystructure(&r, ua_imap_fetch_item(&r,
		    ua_imap_child(&r, ua_imap_node(&r, 0), 2),
		    "BODYSTRUCTURE"), p);
	ua_imap_resp_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_tree *t;
	struct ua_parts a = { NULL, 0 }, b = { NULL, 0 }, c = { NULL, 0 };
	struct buf bs;
	const char *es;
	size_t i;

	buf_init(&bs, 64 * 1024 * 1024);
	if (mime_tree_parse((const char *)data, size, NULL, &t, &es) == 0) {
		ua_parts_from_tree(t, &a);
		buf_puts(&bs, "* 1 FETCH (BODYSTRUCTURE ");
		if (mime_imap_bodystructure(t, 0, 1, &bs) == 0 &&
		    buf_puts(&bs, ")") == 0 &&
		    (mime_tree_flags(t) & MIME_TREE_F_LIMIT) == 0) {
			from_bs(bs.data, bs.len, &b);
			assert(a.n == b.n || a.n >= UA_PARTS_MAX ||
			    b.n >= UA_PARTS_MAX);
			for (i = 0; i < a.n && i < b.n; i++) {
				assert(strcmp(a.v[i].section,
				    b.v[i].section) == 0);
				assert(a.v[i].size == b.v[i].size);
			}
		}
		mime_tree_free(&t);
	}
	buf_free(&bs);
	/* the same bytes as a hostile server response */
	from_bs((const char *)data, size, &c);
	ua_parts_free(&a);
	ua_parts_free(&b);
	ua_parts_free(&c);
	return 0;
}
