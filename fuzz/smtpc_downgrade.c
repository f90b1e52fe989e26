/*
 * smtpc_downgrade.c: fuzz the 8BITMIME downgrade with any message.
 * Invariant: a successful conversion holds no 8-bit byte.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "smtpc/downgrade.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	const char *err;

	buf_init(&out, size * 4 + 4096);
	if (smtpc_downgrade((const char *)data, size, &out, &err) == 0)
		assert(!smtpc_has_8bit(out.data ? out.data : "", out.len));
	buf_free(&out);
	return 0;
}
