/*
 * buf.h: a bounded, growable byte buffer.
 *
 * Holds binary data and always keeps one spare NUL byte after the contents,
 * so data can be used as a C string when it holds text. Every buffer has a
 * max: growth past it fails with -1 and leaves the buffer unchanged (never a
 * partial append). The buffer owns data; buf_free releases it.
 */
#ifndef LIB_BUF_H
#define LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;	/* NULL until the first growth; see buf_cstr */
	size_t	 len;	/* bytes of content */
	size_t	 cap;	/* bytes allocated, including the spare NUL */
	size_t	 max;	/* content limit */
};

/* An empty buffer holding at most max bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Empties the buffer and keeps its memory. */
void buf_reset(struct buf *b);

/* Makes room for n more bytes: 0, or -1 when len + n would pass max. */
int buf_reserve(struct buf *b, size_t n);
/* Appends; -1 (and no change) past max. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Drops the first n bytes (all of them when n >= len). */
void buf_consume(struct buf *b, size_t n);
/* Cuts the contents to n bytes (no-op when n >= len). */
void buf_truncate(struct buf *b, size_t n);
/* The contents as a NUL-terminated string ("" for an empty buffer). */
const char *buf_cstr(const struct buf *b);
/* Hands the allocation to the caller (NUL-terminated, may be NULL when
 * nothing was ever stored) and leaves the buffer empty. */
char *buf_steal(struct buf *b, size_t *len_out);

#endif
