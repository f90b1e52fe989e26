/* mime_date: RFC 5322 and IMAP dates; what parses formats and parses back. */
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "mime/date.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b;
	time_t t, back;
	int tz, tz2;

	buf_init(&b, 256);
	if (mime_date_parse((const char *)data, size, &t, &tz, NULL) == 0) {
		if (mime_date_format(t, tz, &b) != 0 ||
		    mime_date_parse(buf_cstr(&b), b.len, &back, &tz2, NULL) != 0 ||
		    back != t || tz2 != tz)
			__builtin_trap();
	}
	buf_reset(&b);
	if (mime_date_imap_parse((const char *)data, size, &t, &tz, NULL) == 0) {
		if (mime_date_imap_format(t, tz, &b) != 0 ||
		    mime_date_imap_parse(buf_cstr(&b), b.len, &back, &tz2, NULL) != 0 ||
		    back != t)
			__builtin_trap();
	}
	buf_free(&b);
	return 0;
}
