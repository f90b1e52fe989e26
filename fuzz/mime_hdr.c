/* mime_hdr: the incremental header parser, fed in chunks picked by the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mime/hdr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_hdr_settings set = { 200, 4096, 100 };
	struct mime_hdr *p = mime_hdr_new(&set);
	struct mime_hdr_field f;
	size_t off = 0, chunk = size > 0 ? data[0] % 17 + 1 : 1;
	int r = 0;

	while (r != -1 && !mime_hdr_is_done(p)) {
		size_t n = size - off < chunk ? size - off : chunk;

		if (n == 0)
			mime_hdr_finish(p);
		else if (mime_hdr_push(p, data + off, n, NULL) == -1)
			break;
		off += n;
		while ((r = mime_hdr_next(p, &f, NULL)) == 1)
			if (f.offset + f.name_len > size || f.value[f.value_len] != '\0')
				__builtin_trap();
	}
	if (mime_hdr_is_done(p) && mime_hdr_body_offset(p) > size)
		__builtin_trap();
	mime_hdr_free(&p);
	return 0;
}
