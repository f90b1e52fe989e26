/*
 * linereader.c: bounded line splitting (see linereader.h).
 */
#include "lib/linereader.h"

#include <string.h>

void
lr_init(struct linereader *lr, size_t limit)
{
	memset(lr, 0, sizeof(*lr));
	lr->limit = limit;
	buf_init(&lr->in, limit + LR_CHUNK_MAX);
}

void
lr_free(struct linereader *lr)
{
	buf_free(&lr->in);
}

void
lr_set_limit(struct linereader *lr, size_t limit)
{
	lr->limit = limit;
	lr->in.max = limit + LR_CHUNK_MAX;
}

static void
compact(struct linereader *lr)
{
	if (lr->off == 0)
		return;
	buf_consume(&lr->in, lr->off);
	lr->off = 0;
}

size_t
lr_push(struct linereader *lr, const void *data, size_t len)
{
	size_t room;

	if (lr->eof)
		return 0;
	compact(lr);
	room = lr->in.max - lr->in.len;
	if (len > room)
		len = room;
	if (len > 0 && buf_append(&lr->in, data, len) == -1)
		return 0;
	return len;
}

void
lr_eof(struct linereader *lr)
{
	lr->eof = 1;
}

size_t
lr_pending(const struct linereader *lr)
{
	return lr->in.len - lr->off;
}

void
lr_discard(struct linereader *lr)
{
	buf_reset(&lr->in);
	lr->off = 0;
	lr->scan = 0;
	lr->discarding = 0;
}

enum lr_eol
lr_eol(const struct linereader *lr)
{
	return lr->eol;
}

enum lr_result
lr_next(struct linereader *lr, const char **line_out, size_t *len_out)
{
	for (;;) {
		size_t avail = lr->in.len - lr->off;
		char *start, *nl;
		size_t n;

		if (avail == 0) {
			if (lr->eof) {
				lr->discarding = 0;
				return LR_EOF;
			}
			return LR_MORE;
		}
		start = lr->in.data + lr->off;
		nl = memchr(start + lr->scan, '\n', avail - lr->scan);
		if (nl == NULL) {
			lr->scan = avail;
			if (lr->discarding) {
				/* Drop what we have; keep waiting for the LF. */
				lr->off += avail;
				lr->scan = 0;
				if (lr->eof) {
					lr->discarding = 0;
					return LR_EOF;
				}
				return LR_MORE;
			}
			if (avail >= lr->limit && !(avail == lr->limit &&
			    start[avail - 1] == '\r' && !lr->eof)) {
				/* Past the limit with no end in sight. A CR as
				 * the last allowed byte may still be a CRLF. */
				lr->discarding = 1;
				lr->off += avail;
				lr->scan = 0;
				return LR_TOOLONG;
			}
			if (!lr->eof)
				return LR_MORE;
			/* The stream ended inside a line. */
			lr->off += avail;
			lr->scan = 0;
			lr->eol = LR_EOL_NONE;
			start[avail] = '\0';	/* the spare NUL is ours */
			*line_out = start;
			*len_out = avail;
			return LR_LINE;
		}
		n = (size_t)(nl - start);	/* bytes before the LF */
		lr->off += n + 1;
		lr->scan = 0;
		if (lr->discarding) {
			lr->discarding = 0;
			continue;
		}
		if (n + 1 > lr->limit)
			return LR_TOOLONG;
		if (n > 0 && start[n - 1] == '\r') {
			lr->eol = LR_EOL_CRLF;
			n--;
		} else
			lr->eol = LR_EOL_LF;
		start[n] = '\0';
		*line_out = start;
		*len_out = n;
		return LR_LINE;
	}
}
