/*
 * imapd_mutf7.c: fuzz modified UTF-7 both ways. Whatever decodes must
 * encode back to the same bytes, and whatever encodes must decode back.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mime/mutf7.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b;

	buf_init(&a, 1 << 16);
	buf_init(&b, 1 << 16);
	if (mime_mutf7_decode((const char *)data, size, &a) == 0) {
		assert(mime_mutf7_encode(buf_cstr(&a), a.len, &b) == 0);
		assert(b.len == size && memcmp(b.data ? b.data : "", data,
		    size) == 0);
	}
	buf_reset(&a);
	buf_reset(&b);
	if (mime_mutf7_encode((const char *)data, size, &a) == 0) {
		assert(mime_mutf7_decode(buf_cstr(&a), a.len, &b) == 0);
		assert(b.len == size && memcmp(b.data ? b.data : "", data,
		    size) == 0);
	}
	buf_free(&a);
	buf_free(&b);
	return 0;
}
