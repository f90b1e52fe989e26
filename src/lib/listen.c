/*
 * listen.c: TCP listeners (see listen.h).
 */
#include "lib/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/config.h"

static int
open_one(const struct addrinfo *ai, char *err, size_t errlen,
    const char *hostport)
{
	int fd, on = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "%s: %s", hostport, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

int
listen_open(const char *hostport, int *fds_out, size_t *nfds_out, char *err,
    size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	char host[256], port[8];
	const char *errstr;
	uint16_t pnum;
	size_t n = 0;
	int r;

	*nfds_out = 0;
	if (config_hostport_split(hostport, host, sizeof(host), &pnum,
	    &errstr) == -1) {
		snprintf(err, errlen, "%s: %s", hostport, errstr);
		return -1;
	}
	snprintf(port, sizeof(port), "%u", pnum);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	r = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port, &hints,
	    &res);
	if (r != 0) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd;
		if (n == LISTEN_MAX_FDS)
			break;
		fd = open_one(ai, err, errlen, hostport);
		if (fd == -1) {
			while (n > 0)
				close(fds_out[--n]);
			freeaddrinfo(res);
			return -1;
		}
		fds_out[n++] = fd;
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errlen, "%s: no address to listen on", hostport);
		return -1;
	}
	*nfds_out = n;
	return 0;
}

void
listen_describe(int fd, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
			port = ntohs(in->sin_port);
			snprintf(out, outlen, "%s:%u", host, port);
			return;
		}
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
			port = ntohs(in6->sin6_port);
		}
	}
	snprintf(out, outlen, "[%s]:%u", host, port);
}
