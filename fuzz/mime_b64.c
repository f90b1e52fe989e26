/* mime_b64: base64 decode (both modes, two chunkings agree) and round trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/codec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a, b, e;
	struct mime_b64_dec d;
	size_t i;
	int ra, rb = 0, strict = size > 0 && data[0] & 1;

	buf_init(&a, 1 << 24);
	buf_init(&b, 1 << 24);
	buf_init(&e, 1 << 24);
	ra = mime_b64_decode((const char *)data, size, strict, &a, NULL);
	mime_b64_dec_init(&d, strict);
	for (i = 0; i < size && rb == 0; i += 3)
		rb = mime_b64_dec_push(&d, (const char *)data + i,
		    size - i < 3 ? size - i : 3, &b, NULL);
	if (rb == 0)
		rb = mime_b64_dec_finish(&d, &b, NULL);
	if (ra != rb || (ra == 0 && (a.len != b.len || a.len > size / 4 * 3 + 3 ||
	    memcmp(buf_cstr(&a), buf_cstr(&b), a.len) != 0)))
		__builtin_trap();
	buf_reset(&b);
	mime_b64_encode(data, size, 76, &e);
	if (mime_b64_decode(buf_cstr(&e), e.len, MIME_B64_STRICT, &b, NULL) != 0 ||
	    b.len != size || memcmp(buf_cstr(&b), data, size) != 0)
		__builtin_trap();
	{
		/* The streaming encoder gives the same text. */
		struct mime_b64_enc en;

		buf_reset(&a);
		mime_b64_enc_init(&en, 76);
		for (i = 0; i < size; i += 7)
			mime_b64_enc_push(&en, data + i, size - i < 7 ? size - i : 7,
			    &a);
		mime_b64_enc_finish(&en, &a);
		if (a.len != e.len || memcmp(buf_cstr(&a), buf_cstr(&e), a.len))
			__builtin_trap();
	}
	buf_free(&a);
	buf_free(&b);
	buf_free(&e);
	return 0;
}
