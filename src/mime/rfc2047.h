/*
 * rfc2047.h: MIME encoded words in header text (RFC 2047).
 */
#ifndef MIME_RFC2047_H
#define MIME_RFC2047_H

#include <stddef.h>

#include "lib/buf.h"

/* RFC 2047 §2: an encoded word is at most 75 characters. */
#define MIME_RFC2047_WORD_MAX	75
/* RFC 5322 §2.1.1: lines SHOULD be at most 78 characters. */
#define MIME_HDR_LINE_SOFT	78

/*
 * Decodes header text (a raw or unfolded field value) to UTF-8 and appends
 * it to out. Folding (CRLF or LF before white space) is removed, encoded
 * words "=?charset[*lang]?B|Q?text?=" are decoded and converted from their
 * charset (charset.h fallback for unknown ones), white space between two
 * adjacent encoded words is dropped (§6.2), and consecutive words in the
 * same charset are joined before conversion so a character split across
 * words survives. Malformed words are kept literally; 8-bit raw text is
 * taken as UTF-8 with the charset.h fallback. Returns 0, or -1 when out is
 * full (out is then unchanged).
 */
int mime_rfc2047_decode(const char *in, size_t len, struct buf *out,
    const char **errstr_out);

/*
 * Appends UTF-8 header text ready for a field body: unchanged when it is
 * printable ASCII (folded at spaces to keep lines near 78 characters),
 * otherwise as "=?UTF-8?B?...?=" words of at most 75 characters, split on
 * character boundaries and separated by CRLF SP. col is the number of
 * characters already on the first line (e.g. strlen("Subject: ")). The
 * output never holds a bare CR or LF and never ends with CRLF.
 * Returns 0, or -1 when out is full.
 */
int mime_rfc2047_encode(const char *utf8, size_t len, size_t col,
    struct buf *out);

#endif
