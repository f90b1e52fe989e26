/*
 * ua_pop3reply.c: fuzz the user agent's POP3 status line parser on every
 * line of the input.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ua/reply.c"	/* the UA is not in libpostern.a */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *text;
		size_t len = (size_t)((nl ? nl : end) - p);
		int st;

		st = ua_pop3_status(p, len, &text);
		assert(st >= -1 && st <= 1);
		assert(text >= p && text <= p + len);
		p = nl ? nl + 1 : end;
	}
	return 0;
}
