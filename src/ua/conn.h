/*
 * conn.h: the user agent's blocking client connection: TCP with a timeout,
 * implicit TLS or STARTTLS (OpenSSL, verified by default), and a bounded
 * read buffer giving lines and exact byte counts (IMAP literals).
 *
 * The UA is a short-lived command, so blocking sockets are fine here; the
 * protocol engines on top (smtp.c, imap.c, pop3.c) parse what this reads.
 */
#ifndef UA_CONN_H
#define UA_CONN_H

#include <stddef.h>

#include "lib/buf.h"

#define UA_CONN_TIMEOUT_S	60
#define UA_CONN_ERR_MAX		256

struct ua_conn;

struct ua_tls_opts {
	int		 verify;	/* check chain and host name */
	const char	*ca_file;	/* extra trust anchor, or NULL */
	const char	*servername;	/* SNI and name check */
};

/* Connects to host:port. NULL with a message in err. */
struct ua_conn *ua_conn_open(const char *host, const char *port,
    char *err, size_t errlen);
void ua_conn_close(struct ua_conn **cp);

/*
 * Starts TLS on the connection (implicit TLS right after connecting, or
 * after a STARTTLS reply). Fails when bytes are already buffered: RFC 3207
 * §6 and RFC 2595 §3.1, nothing the server sent in clear may count after
 * the handshake (a reply injected behind the STARTTLS answer).
 */
int ua_conn_start_tls(struct ua_conn *c, const struct ua_tls_opts *o);
int ua_conn_is_tls(const struct ua_conn *c);

int ua_conn_write(struct ua_conn *c, const void *data, size_t len);
int ua_conn_printf(struct ua_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Reads one line into line (reset first), without its CRLF or LF.
 * Returns 0, or -1 on EOF, error, timeout, or a line past max octets.
 */
int ua_conn_readline(struct ua_conn *c, struct buf *line, size_t max);
/* Appends exactly n bytes to out: 0, or -1. */
int ua_conn_read(struct ua_conn *c, size_t n, struct buf *out);

/*
 * Waits up to ms milliseconds for something to read (buffered bytes
 * count). 1 readable, 0 timeout, -1 error.
 */
int ua_conn_wait(struct ua_conn *c, int ms);

/* The last error, as text. */
const char *ua_conn_error(const struct ua_conn *c);

#endif
