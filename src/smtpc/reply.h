/*
 * reply.h: the SMTP reply parser of the client (RFC 5321 §4.2).
 *
 * Bytes from the server go in with smtpc_reply_push; whole replies come
 * out of smtpc_reply_next. A reply is one or more lines "CODE-text" ending
 * with "CODE text" (or a bare "CODE"), every line carrying the same code.
 * Everything is bounded (the CVE-2020-8794 class: a hostile server must
 * not grow memory or smuggle bytes past the end of a reply): a line over
 * SMTPC_REPLY_LINE_MAX, more than SMTPC_REPLY_LINES_MAX lines or a
 * malformed line is a protocol error, after which the parser only fails.
 * The stored text is kept printable: control and 8-bit bytes become '?'.
 *
 * No I/O, no logging (STYLE §3.5).
 */
#ifndef SMTPC_REPLY_H
#define SMTPC_REPLY_H

#include <stddef.h>

#include "lib/linereader.h"

/* RFC 5321 §4.5.3.1.5 allows 512 octets per reply line, CRLF included;
 * real servers exceed it a little, so accept twice that. */
#define SMTPC_REPLY_LINE_MAX	1024
/* Lines per reply: EHLO lists a dozen extensions; 100 is generous. */
#define SMTPC_REPLY_LINES_MAX	100
/* Text kept per reply (lines joined by '\n'); more is cut, not an error. */
#define SMTPC_REPLY_TEXT_MAX	4096

struct smtpc_reply {
	int	 code;			/* 200..599 */
	char	 status[16];		/* RFC 3463 "X.Y.Z" of the first
					 * line, or "" */
	size_t	 nlines;
	char	 text[SMTPC_REPLY_TEXT_MAX];	/* texts after "CODE[- ]",
						 * '\n'-joined */
};

struct smtpc_reply_parser {
	struct linereader	 lr;
	struct smtpc_reply	 cur;
	size_t			 textlen;
	int			 failed;
};

void smtpc_reply_init(struct smtpc_reply_parser *p);
void smtpc_reply_free(struct smtpc_reply_parser *p);
/* Takes up to len bytes; returns how many (fewer: pull replies first). */
size_t smtpc_reply_push(struct smtpc_reply_parser *p, const void *data,
    size_t len);
/* 1: a reply is in *out; 0: need more bytes; -1: protocol error with
 * *errstr_out (and every later call fails). */
int smtpc_reply_next(struct smtpc_reply_parser *p, struct smtpc_reply *out,
    const char **errstr_out);
/* Drops every byte held (RFC 3207 §4.2: nothing read before TLS counts). */
void smtpc_reply_discard(struct smtpc_reply_parser *p);
/* Bytes held that are not yet a whole reply. */
size_t smtpc_reply_pending(const struct smtpc_reply_parser *p);

/* The reply as one printable line: "550 5.1.1 text text" (lines joined by
 * spaces), at most len - 1 bytes. */
void smtpc_reply_format(const struct smtpc_reply *r, char *out, size_t len);

#endif
