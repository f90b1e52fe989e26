/* mime_rfc2047: decode anything; encode valid UTF-8 and read it back. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/charset.h"
#include "mime/rfc2047.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf d, e, back;

	buf_init(&d, 1 << 24);
	buf_init(&e, 1 << 24);
	buf_init(&back, 1 << 24);
	if (mime_rfc2047_decode((const char *)data, size, &d, NULL) != 0 ||
	    !mime_utf8_is_valid(buf_cstr(&d), d.len))
		__builtin_trap();
	if (mime_utf8_is_valid((const char *)data, size) &&
	    memchr(data, '\r', size) == NULL && memchr(data, '\n', size) == NULL &&
	    memchr(data, '\0', size) == NULL) {
		mime_rfc2047_encode((const char *)data, size, 9, &e);
		mime_rfc2047_decode(buf_cstr(&e), e.len, &back, NULL);
		/* Plain ASCII may be refolded; encoded text must come back. */
		if (strncmp(buf_cstr(&e), "=?", 2) == 0 && (back.len != size ||
		    memcmp(buf_cstr(&back), data, size) != 0))
			__builtin_trap();
	}
	buf_free(&d);
	buf_free(&e);
	buf_free(&back);
	return 0;
}
