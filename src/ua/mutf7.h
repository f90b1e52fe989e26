/*
 * mutf7.h: IMAP mailbox names in modified UTF-7 (RFC 3501 §5.1.3), to and
 * from the UTF-8 the user agent shows and takes.
 *
 * TODO: src/imapd has its own converter; the two belong in src/mime once
 * both have landed.
 */
#ifndef UA_MUTF7_H
#define UA_MUTF7_H

#include <stddef.h>

#include "lib/buf.h"

/* UTF-8 → modified UTF-7. 0, or -1 for invalid UTF-8 or a full out. */
int ua_mutf7_encode(const char *utf8, size_t len, struct buf *out);
/*
 * Modified UTF-7 → UTF-8. 0, or -1 for a malformed name (out then holds
 * nothing new; callers show the raw name).
 */
int ua_mutf7_decode(const char *s, size_t len, struct buf *out);

#endif
