/*
 * charset.h: conversion of text in a MIME charset to UTF-8 (iconv).
 *
 * The fallback for an unknown charset, and for bytes invalid in a known
 * one, is fixed and documented: bytes that form valid UTF-8 are kept, any
 * other byte becomes U+FFFD. The output is therefore always valid UTF-8.
 */
#ifndef MIME_CHARSET_H
#define MIME_CHARSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* Longest charset name we pass to iconv (IANA names are shorter). */
#define MIME_CHARSET_NAME_MAX	40

/*
 * Appends the UTF-8 form of in (in the named charset; NULL or "" means
 * us-ascii) to out. Returns 0 for a clean conversion, 1 when the fallback
 * replaced something or the charset is unknown (*errstr_out says which),
 * -1 when out would pass its max (out is then unchanged).
 */
int mime_charset_to_utf8(const char *charset, const char *in, size_t len,
    struct buf *out, const char **errstr_out);
/* True when iconv can convert from charset (after our alias table). */
bool mime_charset_is_known(const char *charset);
/* True when s[0..len) is valid UTF-8 (no overlongs or surrogates). */
bool mime_utf8_is_valid(const char *s, size_t len);
/* Appends code point cp as UTF-8; a surrogate or a value past U+10FFFF
 * becomes U+FFFD. 0, or -1 when out is full. */
int mime_utf8_put(struct buf *out, uint32_t cp);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
size_t mime_utf8_seq_len(const unsigned char *s, size_t len);

#endif
