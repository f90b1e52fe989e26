/*
 * mutf7.h: modified UTF-7 mailbox names (RFC 3501 §5.1.3), both ways.
 * The store keeps names in modified UTF-7; clients that send raw UTF-8
 * names get them converted on the way in.
 */
#ifndef MIME_MUTF7_H
#define MIME_MUTF7_H

#include <stddef.h>

#include "lib/buf.h"

/* UTF-8 to modified UTF-7, appended to out. 0, or -1 for invalid UTF-8,
 * a NUL or out full. */
int mime_mutf7_encode(const char *utf8, size_t len, struct buf *out);
/* Modified UTF-7 to UTF-8, appended to out. 0, or -1 for a malformed
 * name (bad base64, unterminated shift, lone surrogate, a printable
 * ASCII character encoded, raw 8-bit or control bytes) or out full. */
int mime_mutf7_decode(const char *s, size_t len, struct buf *out);

#endif
