/* mime_rfc2231: parameter lists, continuations and charsets. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/charset.h"
#include "mime/rfc2231.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_params p;
	struct buf blob, v;
	const char *n, *val, *lead;
	size_t pos = 0, k = 0;

	buf_init(&blob, 1 << 24);
	buf_init(&v, 1 << 24);
	if (mime_params_parse((const char *)data, size, &blob, &lead, &p,
	    NULL) == 0) {
		while (mime_params_next(&p, &pos, &n, &val))
			k++;
		if (k != p.count)
			__builtin_trap();
		mime_params_get(&p, "filename", &v, NULL);
		mime_params_get(&p, "name", &v, NULL);
		if (!mime_utf8_is_valid(buf_cstr(&v), v.len))
			__builtin_trap();
	}
	buf_free(&blob);
	buf_free(&v);
	return 0;
}
