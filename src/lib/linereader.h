/*
 * linereader.h: split a byte stream into lines, with the limit as a parameter.
 *
 * Bytes are pushed in any chunking; lines are pulled one at a time. A line is
 * returned without its terminator, and lr_eol() tells whether it ended with
 * CRLF or a bare LF, so protocol code can apply its own rule (SMTP rejects bare
 * LF in DATA; RFC 5321 §2.3.8). A bare CR is ordinary content.
 *
 * The limit counts the terminator: RFC 5321 §4.5.3.1 allows 512 octets for a
 * command line and 1000 for a text line, CRLF included. A longer line is
 * reported once as LR_TOOLONG as soon as it passes the limit and its bytes
 * are discarded up to and including its LF; memory never grows past
 * limit + LR_CHUNK_MAX.
 *
 * No I/O, no logging: see STYLE §3.2.
 */
#ifndef LIB_LINEREADER_H
#define LIB_LINEREADER_H

#include <stddef.h>

#include "lib/buf.h"

/* Most a single lr_push takes beyond a pending partial line. */
#define LR_CHUNK_MAX 65536

enum lr_result {
	LR_LINE,	/* a line is in *line_out */
	LR_MORE,	/* no whole line yet: push more */
	LR_TOOLONG,	/* a line passed the limit and is being discarded */
	LR_EOF,		/* lr_eof was called and every byte was returned */
	LR_ERR,		/* misuse: push after lr_eof */
};

enum lr_eol {
	LR_EOL_CRLF,
	LR_EOL_LF,	/* a bare LF */
	LR_EOL_NONE,	/* last line of the stream, no terminator */
};

struct linereader {
	struct buf	in;
	size_t		off;		/* start of unread bytes in in */
	size_t		scan;		/* bytes past off known to hold no LF */
	size_t		limit;
	int		discarding;	/* inside an over-long line */
	int		eof;
	enum lr_eol	eol;
};

void lr_init(struct linereader *lr, size_t limit);
void lr_free(struct linereader *lr);
/* Changes the limit (SMTP switches from 512 to 1000 octets at DATA). */
void lr_set_limit(struct linereader *lr, size_t limit);

/* Takes up to len bytes and returns how many it took: fewer when its
 * buffer is full, in which case pull lines with lr_next and push the rest. */
size_t lr_push(struct linereader *lr, const void *data, size_t len);
/* Marks the end of the stream: a final unterminated line is returned. */
void lr_eof(struct linereader *lr);

/* Pulls the next line. The line stays valid until the next lr_next or
 * lr_push call. It is NUL-terminated at *len_out but may hold NUL bytes. */
enum lr_result lr_next(struct linereader *lr, const char **line_out,
    size_t *len_out);
/* How the line returned last was terminated. */
enum lr_eol lr_eol(const struct linereader *lr);
/* Bytes pushed but not yet returned (for STARTTLS: must be 0, or discarded). */
size_t lr_pending(const struct linereader *lr);
/* Forgets every pending byte (RFC 3207 §6: nothing read before TLS counts). */
void lr_discard(struct linereader *lr);

#endif
