/*
 * msgout.c: CRLF-form size and dot-stuffed transmission of a message
 * (RFC 1939 §3, §7). Run by the pop3 role inside the session engine.
 */
#include "pop3d/msgout.h"

#include <assert.h>
#include <string.h>

void
pop3d_msgsize_init(struct pop3d_msgsize *ms)
{
	ms->size = 0;
	ms->last = '\n';
}

void
pop3d_msgsize_push(struct pop3d_msgsize *ms, const void *data, size_t len)
{
	const char *p = data, *end = p + len, *nl;
	char prev = ms->last;

	if (len == 0)
		return;
	ms->size += len;
	/* A bare LF costs one more octet: its CR. */
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if ((nl == data ? prev : nl[-1]) != '\r')
			ms->size++;
		p = nl + 1;
	}
	ms->last = end[-1];
}

uint64_t
pop3d_msgsize_end(const struct pop3d_msgsize *ms)
{
	if (ms->last == '\n')
		return ms->size;
	return ms->size + (ms->last == '\r' ? 1 : 2);
}

void
pop3d_msgout_init(struct pop3d_msgout *mo, long body_max)
{
	memset(mo, 0, sizeof(*mo));
	mo->body_max = body_max;
	mo->in_header = true;
	mo->last = '\n';
}

static void
put(struct buf *out, const void *p, size_t n)
{
	if (buf_append(out, p, n) == -1)
		assert(!"pop3d_msgout: output full");
}

/* A line ended: decide whether TOP has sent enough. */
static void
line_done(struct pop3d_msgout *mo)
{
	if (mo->in_header) {
		if (mo->linelen == 0)
			mo->in_header = false;	/* RFC 5322 §2.1 */
	} else
		mo->body_lines++;
	mo->linelen = 0;
	if (!mo->in_header && mo->body_max >= 0 &&
	    mo->body_lines >= mo->body_max)
		mo->done = true;
}

bool
pop3d_msgout_push(struct pop3d_msgout *mo, const void *data, size_t len,
    struct buf *out)
{
	const char *p = data, *end = p + len;

	while (p < end && !mo->done) {
		/* RFC 1939 §3: a line starting with '.' gets one more. */
		if (mo->last == '\n' && *p == '.')
			put(out, ".", 1);
		/* Copy the run up to and including the next LF at once. */
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl != NULL ? nl : end;
		size_t n = (size_t)(stop - p);
		if (n > 0) {
			put(out, p, n);
			mo->linelen += n;
			mo->last = stop[-1];
		}
		if (nl == NULL)
			break;
		if (mo->last == '\r') {
			/* CRLF: the CR was counted as content. */
			mo->linelen--;
			put(out, "\n", 1);
		} else
			put(out, "\r\n", 2);	/* bare LF */
		mo->last = '\n';
		line_done(mo);
		p = nl + 1;
	}
	return !mo->done;
}

void
pop3d_msgout_end(struct pop3d_msgout *mo, struct buf *out)
{
	if (!mo->done && mo->last != '\n') {
		put(out, mo->last == '\r' ? "\n" : "\r\n",
		    mo->last == '\r' ? 1 : 2);
		mo->last = '\n';
	}
	put(out, ".\r\n", 3);
}
