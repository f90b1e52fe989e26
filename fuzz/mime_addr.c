/* mime_addr: address lists and SMTP paths. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/addr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_addr_parser *p = mime_addr_parser_new((const char *)data,
	    size);
	struct mime_addr a;
	struct mime_path path;
	struct buf b;
	size_t used;

	buf_init(&b, 1 << 20);
	while (mime_addr_next(p, &a, NULL) == 1)
		if (a.kind == MIME_ADDR_MAILBOX)
			mime_addr_spec_format(&a, &b);
	mime_addr_parser_free(&p);
	buf_free(&b);
	if (mime_path_parse((const char *)data, size, MIME_PATH_SMTPUTF8 |
	    MIME_PATH_NULL_OK | MIME_PATH_POSTMASTER_OK, &path, &used, NULL) == 0 &&
	    (used > size || strlen(path.local) > MIME_PATH_MAX))
		__builtin_trap();
	return 0;
}
