/*
 * smtpc_reply.c: fuzz the SMTP reply parser alone. The first byte picks
 * the push chunk size. Invariants: every reply has a code 200-599, at
 * most SMTPC_REPLY_LINES_MAX lines, printable text that fits, and after
 * an error the parser only fails.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtpc/reply.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpc_reply_parser p;
	struct smtpc_reply r;
	const char *err;
	size_t off = 1, chunk;
	int rv, failed = 0;

	if (size < 1)
		return 0;
	chunk = 1 + data[0];
	smtpc_reply_init(&p);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		off += smtpc_reply_push(&p, data + off, n);
		while ((rv = smtpc_reply_next(&p, &r, &err)) != 0) {
			if (rv == -1) {
				failed = 1;
				break;
			}
			assert(!failed);
			assert(r.code >= 200 && r.code <= 599);
			assert(r.nlines >= 1 && r.nlines <= SMTPC_REPLY_LINES_MAX);
			assert(strlen(r.text) < sizeof(r.text));
			for (const char *t = r.text; *t; t++)
				assert(*t == '\n' || (*t >= 0x20 && *t < 0x7f));
		}
		if (failed)
			break;
	}
	if (failed)
		assert(smtpc_reply_next(&p, &r, &err) == -1);
	smtpc_reply_free(&p);
	return 0;
}
