/*
 * mime_tree: the MIME tree with its invariants (offsets inside the message,
 * parts ordered and nested, decoding never passes its bound), plus the IMAP
 * views on the tree.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "mime/imapview.h"
#include "mime/tree.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_tree_settings set = { 20, 200 };
	struct mime_tree *t;
	struct buf b;
	size_t i;

	if (mime_tree_parse((const char *)data, size, &set, &t, NULL) == -1)
		__builtin_trap();
	buf_init(&b, 1 << 24);
	for (i = 0; i < mime_tree_count(t); i++) {
		const struct mime_part *p = mime_tree_part(t, i), *q;
		size_t n = p->body_end - p->body_start;

		if (p->hdr_start > p->body_start || p->body_start > p->body_end ||
		    p->body_end > size || p->body_lines > n)
			__builtin_trap();
		if (i > 0 && ((q = mime_tree_part(t, p->parent)) == NULL ||
		    p->parent >= i || p->hdr_start < q->body_start ||
		    p->body_end > q->body_end ||
		    p->hdr_start < mime_tree_part(t, i - 1)->hdr_start))
			__builtin_trap();
		buf_reset(&b);
		if (mime_part_decode(t, p, &b, NULL) == 0 && b.len > n)
			__builtin_trap();
		mime_part_filename(t, p, &b);
	}
	buf_reset(&b);
	mime_imap_bodystructure(t, 0, 1, &b);
	mime_imap_envelope(t, 0, &b);
	mime_imap_section_fetch(t, "1.2.MIME", 8, &b, NULL);
	mime_imap_section_fetch(t, "2.HEADER.FIELDS (A B)", 21, &b, NULL);
	buf_free(&b);
	mime_tree_free(&t);
	return 0;
}
