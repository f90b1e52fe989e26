/*
 * listen.h: bound, listening, non-blocking TCP sockets for the *_listen keys.
 *
 * "127.0.0.1:2525", "[::1]:2525", "localhost:2525" (every address the name
 * has) or "*:2525" (all IPv4 and IPv6 addresses). IPv6 sockets are
 * IPV6_V6ONLY so "*" binds the two families separately.
 */
#ifndef LIB_LISTEN_H
#define LIB_LISTEN_H

#include <stddef.h>

#define LISTEN_BACKLOG	1024	/* PERFORMANCE.md: a small backlog collapses */
#define LISTEN_MAX_FDS	8	/* sockets one HOST:PORT may turn into */

/* Binds hostport; on 0, fds_out[0..*nfds_out) are listening sockets owned by
 * the caller. On -1 nothing stays open and err holds the reason. */
int listen_open(const char *hostport, int *fds_out, size_t *nfds_out,
    char *err, size_t errlen);

/* The local address of a listening socket as "HOST:PORT" (for logs). */
void listen_describe(int fd, char *out, size_t outlen);

#endif
