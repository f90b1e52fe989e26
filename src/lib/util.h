/*
 * util.h: allocation that dies on failure, and small string helpers.
 *
 * Out of memory is fatal (STYLE §5): every buffer has a max, so running out
 * means the machine is in trouble, not that a peer sent too much.
 */
#ifndef LIB_UTIL_H
#define LIB_UTIL_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Multiplication-checked reallocarray. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Formatted allocation; dies on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies at most size-1 bytes and NUL-terminates; returns strlen(src) so that
 * a result >= size means truncation (the BSD contract). */
size_t strlcpy_(char *dst, const char *src, size_t size);

/* Trims ASCII white space at both ends in place; returns s. */
char *str_trim(char *s);

/* The value of one hexadecimal digit (either case), or -1. */
int hex_digit(unsigned char c);

/*
 * For a role whose loop has ended: blocks SIGTERM, SIGINT and SIGHUP for
 * the rest of its shutdown. Freeing libevent's signal events puts back
 * the default action, and a second SIGTERM (the master passes one on
 * while a process-group kill already delivered one) would then kill the
 * role halfway through its cleanup.
 */
void signals_hold_for_exit(void);

/* For a helper thread (workers, committers, extra event loops): blocks
 * every signal, so that the process's signals reach the thread that
 * handles them and never stop a worker's system call or, once a role
 * has put back the default actions, kill the process through it. */
void signals_block_thread(void);

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#endif
