/*
 * mime_build: the builder on fields, text and attachments cut from the
 * input. Output must parse back to the same bytes, use CRLF only and keep
 * every line within 998 octets.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/build.h"
#include "mime/tree.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_build *b = mime_build_new("fuzz.test", size > 0 ? data[0] & 1 : 0);
	char field[256];
	size_t third = size / 3, i, col = 0;
	int att;
	struct mime_tree *t;
	struct buf m, d;

	buf_init(&m, 1 << 24);
	buf_init(&d, 1 << 24);
	/* A C string from the first third for the subject and a name. */
	memcpy(field, data, third < 255 ? third : 255);
	field[third < 255 ? third : 255] = '\0';
	mime_build_field(b, "Subject", field, NULL);
	mime_build_addr(b, "To", field, "x@fuzz.test", NULL);
	mime_build_text(b, (const char *)data + third, third);
	att = mime_build_attach(b, field, data + 2 * third, size - 2 * third,
	    "application/octet-stream", NULL) == 0;
	if (mime_build_finish(b, &m, NULL) != 0)
		__builtin_trap();
	for (i = 0; i < m.len; i++) {
		if (m.data[i] == '\n' && (i == 0 || m.data[i - 1] != '\r'))
			__builtin_trap();
		col = m.data[i] == '\n' ? 0 : col + 1;
		if (col > 999)
			__builtin_trap();
	}
	mime_tree_parse(m.data, m.len, NULL, &t, NULL);
	if (mime_tree_count(t) != (att ? 3 : 1))
		__builtin_trap();
	if (att) {
		mime_part_decode(t, mime_tree_part(t, 2), &d, NULL);
		if (d.len != size - 2 * third ||
		    memcmp(buf_cstr(&d), data + 2 * third, d.len) != 0)
			__builtin_trap();
	}
	mime_tree_free(&t);
	mime_build_free(&b);
	buf_free(&m);
	buf_free(&d);
	return 0;
}
