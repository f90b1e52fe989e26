/* mime_qp: quoted-printable decode bound and binary round trip. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/codec.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf d, e, back;

	buf_init(&d, 1 << 24);
	buf_init(&e, 1 << 24);
	buf_init(&back, 1 << 24);
	if (mime_qp_decode((const char *)data, size, 0, &d, NULL) != 0 ||
	    d.len > size)
		__builtin_trap();
	{
		/* Streaming, in chunks the input picks, gives the same. */
		struct mime_qp_dec st;
		size_t k, chunk = size > 0 ? data[0] % 13 + 1 : 1;

		mime_qp_dec_init(&st);
		for (k = 0; k < size; k += chunk)
			mime_qp_dec_push(&st, (const char *)data + k,
			    size - k < chunk ? size - k : chunk, &e, NULL);
		mime_qp_dec_finish(&st, &e, NULL);
		if (e.len != d.len || memcmp(buf_cstr(&e), buf_cstr(&d), d.len))
			__builtin_trap();
		buf_reset(&e);
	}
	buf_reset(&d);
	mime_qp_decode((const char *)data, size, 1, &d, NULL);
	mime_qp_encode(data, size, MIME_QP_BINARY, &e);
	if (mime_qp_decode(buf_cstr(&e), e.len, 0, &back, NULL) != 0 ||
	    back.len != size || memcmp(buf_cstr(&back), data, size) != 0)
		__builtin_trap();
	buf_reset(&e);
	mime_qp_encode(data, size, MIME_QP_TEXT, &e);
	buf_free(&d);
	buf_free(&e);
	buf_free(&back);
	return 0;
}
