/*
 * msgout.h: a stored message as POP3 sends it (RFC 1939 §3, §7 RETR/TOP).
 *
 * Messages are stored byte for byte as delivered, normally with CRLF line
 * ends, but a file put into the Maildir by another tool may use bare LF.
 * POP3 speaks CRLF only, so both the size reported by STAT/LIST and the
 * bytes sent by RETR use the "CRLF form": every bare LF becomes CRLF, and
 * an unterminated last line gets its line end. Sending also dot-stuffs
 * every line that starts with '.' (RFC 1939 §3: "byte-stuffed"), which
 * the size does not count. Both functions below apply exactly the same
 * rule, so the octets announced are the octets a client gets back after
 * un-stuffing.
 *
 * Pure: no I/O, no logging. Bytes may arrive in any chunking.
 */
#ifndef POP3D_MSGOUT_H
#define POP3D_MSGOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Counts the CRLF-form size of a message pushed in pieces. */
struct pop3d_msgsize {
	uint64_t size;
	char	 last;		/* last byte seen, '\n' at the start */
};

void pop3d_msgsize_init(struct pop3d_msgsize *ms);
void pop3d_msgsize_push(struct pop3d_msgsize *ms, const void *data,
    size_t len);
/* The size of the whole message, line end of an open last line included. */
uint64_t pop3d_msgsize_end(const struct pop3d_msgsize *ms);

/* Turns a message into the lines of a RETR or TOP reply. */
struct pop3d_msgout {
	long	 body_max;	/* TOP: body lines to send; -1: all (RETR) */
	long	 body_lines;	/* body lines sent */
	size_t	 linelen;	/* bytes of the current line before any CR */
	bool	 in_header;
	bool	 done;		/* TOP has sent all it should */
	char	 last;		/* last byte seen, '\n' at the start */
};

void pop3d_msgout_init(struct pop3d_msgout *mo, long body_max);
/*
 * Appends the CRLF-form, dot-stuffed lines of data to out. At most
 * 2 * len bytes are added. Returns false once TOP has sent its lines
 * (the rest of the message is not needed), true to ask for more.
 * -1 is never returned: the caller makes room first (a full out is a bug).
 */
bool pop3d_msgout_push(struct pop3d_msgout *mo, const void *data, size_t len,
    struct buf *out);
/* Ends an open last line and appends the terminating ".\r\n". */
void pop3d_msgout_end(struct pop3d_msgout *mo, struct buf *out);

#endif
