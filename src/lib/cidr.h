/*
 * cidr.h: IPv4 and IPv6 networks in CIDR notation, and matching addresses.
 *
 * "192.0.2.0/24", "2001:db8::/32", or a bare address (a /32 or /128). An
 * IPv4-mapped IPv6 peer address (::ffff:a.b.c.d) matches IPv4 networks.
 */
#ifndef LIB_CIDR_H
#define LIB_CIDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int	family;		/* AF_INET or AF_INET6 */
	uint8_t	addr[16];	/* network bytes, host bits cleared */
	unsigned prefix;
};

int cidr_parse(const char *s, struct cidr *out, const char **errstr_out);
bool cidr_match(const struct cidr *net, const struct sockaddr *sa);
/* Matches a textual address (for tests and tools). */
bool cidr_match_str(const struct cidr *net, const char *addr);

#endif
