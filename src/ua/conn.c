/*
 * conn.c: blocking TCP + TLS client connection for the user agent
 * (see conn.h). Runs in the short-lived `postern` process only.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lib/tls.h"
#include "lib/util.h"
#include "ua/conn.h"

#define RBUF_SIZE	16384

struct ua_conn {
	int	 fd;
	SSL_CTX	*ctx;
	SSL	*ssl;
	char	 rbuf[RBUF_SIZE];
	size_t	 roff, rlen;	/* unread bytes are rbuf[roff..rlen) */
	char	 err[UA_CONN_ERR_MAX];
};

static void
seterr(struct ua_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

/* Non-blocking connect bounded by UA_CONN_TIMEOUT_S, then blocking I/O
 * with the same timeout on every read and write. */
static int
connect_one(const struct addrinfo *ai, char *err, size_t errlen)
{
	struct pollfd pfd;
	struct timeval tv = { UA_CONN_TIMEOUT_S, 0 };
	int fd, flags, soerr = 0;
	socklen_t slen = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1)
		return -1;
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, UA_CONN_TIMEOUT_S * 1000) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) == -1 ||
		    soerr != 0) {
			errno = soerr ? soerr : errno;
			goto fail;
		}
	}
	fcntl(fd, F_SETFL, flags);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
fail:
	snprintf(err, errlen, "%s", strerror(errno));
	close(fd);
	return -1;
}

struct ua_conn *
ua_conn_open(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	struct ua_conn *c;
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return NULL;
	}
	snprintf(err, errlen, "no address");
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = connect_one(ai, err, errlen);
	freeaddrinfo(res);
	if (fd == -1)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	return c;
}

void
ua_conn_close(struct ua_conn **cp)
{
	struct ua_conn *c = *cp;

	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	close(c->fd);
	free(c);
	*cp = NULL;
}

static void
ssl_err(struct ua_conn *c, const char *what)
{
	unsigned long e = ERR_get_error();
	char b[160];
	long vr = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;

	ERR_error_string_n(e, b, sizeof(b));
	if (vr != X509_V_OK)
		seterr(c, "%s: certificate: %s", what,
		    X509_verify_cert_error_string(vr));
	else
		seterr(c, "%s: %s", what, e ? b : "failed");
	ERR_clear_error();
}

int
ua_conn_start_tls(struct ua_conn *c, const struct ua_tls_opts *o)
{
	char err[256];

	if (c->rlen > c->roff) {
		seterr(c, "server sent data ahead of the TLS handshake");
		return -1;
	}
	c->ctx = tls_client_ctx_new(o->verify, o->ca_file, err, sizeof(err));
	if (c->ctx == NULL) {
		seterr(c, "%s", err);
		return -1;
	}
	if ((c->ssl = SSL_new(c->ctx)) == NULL) {
		ssl_err(c, "SSL_new");
		return -1;
	}
	SSL_set_fd(c->ssl, c->fd);
	if (o->servername != NULL && *o->servername != '\0') {
		unsigned char ip[16];
		int is_ip = inet_pton(AF_INET, o->servername, ip) == 1 ||
		    inet_pton(AF_INET6, o->servername, ip) == 1;

		/* RFC 6066 §3: SNI carries host names, never addresses;
		 * an address is checked against the certificate's IP SANs. */
		if (!is_ip)
			SSL_set_tlsext_host_name(c->ssl, o->servername);
		if (o->verify && (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(
		    SSL_get0_param(c->ssl), o->servername) : SSL_set1_host(
		    c->ssl, o->servername)) != 1) {
			ssl_err(c, "host name");
			return -1;
		}
	}
	if (SSL_connect(c->ssl) != 1) {
		ssl_err(c, "TLS handshake");
		return -1;
	}
	return 0;
}

int
ua_conn_is_tls(const struct ua_conn *c)
{
	return c->ssl != NULL;
}

int
ua_conn_write(struct ua_conn *c, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if (c->ssl != NULL) {
			int w = SSL_write(c->ssl, p,
			    len > 1 << 30 ? 1 << 30 : (int)len);
			if (w <= 0) {
				ssl_err(c, "write");
				return -1;
			}
			n = w;
		} else {
			n = write(c->fd, p, len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				seterr(c, "write: %s", strerror(errno));
				return -1;
			}
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
ua_conn_printf(struct ua_conn *c, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	int rc;

	buf_init(&b, 1024 * 1024);
	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = ua_conn_write(c, b.data, b.len);
	else
		seterr(c, "command too long");
	buf_free(&b);
	return rc;
}

/* Refills rbuf (which must be empty). 0, or -1 on EOF or error. */
static int
fill(struct ua_conn *c)
{
	ssize_t n;

	c->roff = c->rlen = 0;
	for (;;) {
		if (c->ssl != NULL) {
			int r = SSL_read(c->ssl, c->rbuf, sizeof(c->rbuf));
			if (r <= 0) {
				if (SSL_get_error(c->ssl, r) ==
				    SSL_ERROR_ZERO_RETURN)
					seterr(c, "connection closed");
				else
					ssl_err(c, "read");
				return -1;
			}
			n = r;
		} else {
			n = read(c->fd, c->rbuf, sizeof(c->rbuf));
			if (n == -1 && errno == EINTR)
				continue;
			if (n == 0) {
				seterr(c, "connection closed");
				return -1;
			}
			if (n < 0) {
				seterr(c, "read: %s", errno == EAGAIN ?
				    "timed out" : strerror(errno));
				return -1;
			}
		}
		c->rlen = (size_t)n;
		return 0;
	}
}

int
ua_conn_readline(struct ua_conn *c, struct buf *line, size_t max)
{
	buf_reset(line);
	for (;;) {
		char *s = c->rbuf + c->roff, *nl;
		size_t avail = c->rlen - c->roff, take;

		if (avail == 0) {
			if (fill(c) == -1)
				return -1;
			continue;
		}
		nl = memchr(s, '\n', avail);
		take = nl != NULL ? (size_t)(nl - s) : avail;
		if (line->len + take > max || buf_append(line, s, take) == -1) {
			seterr(c, "line from server too long");
			return -1;
		}
		c->roff += take;
		if (nl != NULL) {
			c->roff++;
			if (line->len > 0 && line->data[line->len - 1] == '\r')
				buf_truncate(line, line->len - 1);
			buf_cstr(line);
			return 0;
		}
	}
}

int
ua_conn_read(struct ua_conn *c, size_t n, struct buf *out)
{
	while (n > 0) {
		size_t avail = c->rlen - c->roff, take;

		if (avail == 0) {
			if (fill(c) == -1)
				return -1;
			continue;
		}
		take = avail < n ? avail : n;
		if (buf_append(out, c->rbuf + c->roff, take) == -1) {
			seterr(c, "reply too large");
			return -1;
		}
		c->roff += take;
		n -= take;
	}
	return 0;
}

const char *
ua_conn_error(const struct ua_conn *c)
{
	return c->err;
}

int
ua_conn_wait(struct ua_conn *c, int ms)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	int r;

	if (c->rlen > c->roff || (c->ssl != NULL && SSL_pending(c->ssl) > 0))
		return 1;
	while ((r = poll(&p, 1, ms)) == -1 && errno == EINTR)
		;
	if (r == -1)
		seterr(c, "poll: %s", strerror(errno));
	return r;
}
