/*
 * lib_linereader.c: fuzz the line reader. The first two bytes pick the limit
 * and the push chunk size; the rest is the stream. Invariants: no returned
 * line holds an LF, every line fits the limit, and the bytes returned plus
 * the bytes discarded never exceed the bytes pushed.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/linereader.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linereader lr;
	const char *line;
	size_t len, off = 2, chunk, limit, out = 0;
	enum lr_result r;

	if (size < 2)
		return 0;
	limit = 2 + data[0] * 4;
	chunk = 1 + data[1];
	lr_init(&lr, limit);
	for (;;) {
		r = lr_next(&lr, &line, &len);
		if (r == LR_MORE) {
			if (off == size) {
				lr_eof(&lr);
				continue;
			}
			size_t n = size - off < chunk ? size - off : chunk;
			size_t took = lr_push(&lr, data + off, n);
			assert(took > 0);
			off += took;
		} else if (r == LR_LINE) {
			assert(memchr(line, '\n', len) == NULL);
			assert(len + 1 <= limit);
			out += len + (lr_eol(&lr) == LR_EOL_CRLF ? 2 :
			    lr_eol(&lr) == LR_EOL_LF ? 1 : 0);
			assert(out <= off - 2);
		} else if (r == LR_EOF)
			break;
		else
			assert(r == LR_TOOLONG);
		assert(lr.in.len <= limit + LR_CHUNK_MAX);
	}
	lr_free(&lr);
	return 0;
}
