/*
 * cidr.c: CIDR parsing and matching (see cidr.h).
 */
#include "lib/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/units.h"

int
cidr_parse(const char *s, struct cidr *out, const char **errstr_out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned maxbits, prefix;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(addr)) {
		*errstr_out = "bad network address";
		return -1;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		maxbits = 128;
	} else {
		*errstr_out = "bad network address";
		return -1;
	}
	prefix = maxbits;
	if (slash != NULL) {
		const char *p = slash + 1;
		char *end;
		unsigned long v;

		if (*p < '0' || *p > '9') {
			*errstr_out = "bad prefix length";
			return -1;
		}
		v = strtoul(p, &end, 10);
		if (*end != '\0' || v > maxbits || end - p > 3) {
			*errstr_out = "bad prefix length";
			return -1;
		}
		prefix = (unsigned)v;
	}
	out->prefix = prefix;
	/* Clear host bits so that "10.1.2.3/8" means 10.0.0.0/8. */
	for (unsigned i = 0; i < maxbits / 8; i++) {
		unsigned bit = i * 8;
		if (bit >= prefix)
			out->addr[i] = 0;
		else if (bit + 8 > prefix)
			out->addr[i] &= (uint8_t)(0xff << (8 - (prefix - bit)));
	}
	return 0;
}

static bool
prefix_equal(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return (a[full] & (uint8_t)(0xff << (8 - rest))) == net[full];
}

bool
cidr_match(const struct cidr *net, const struct sockaddr *sa)
{
	static const uint8_t mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		if (net->family != AF_INET)
			return false;
		return prefix_equal((const uint8_t *)&in->sin_addr, net->addr,
		    net->prefix);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;
		if (net->family == AF_INET6)
			return prefix_equal(a, net->addr, net->prefix);
		if (memcmp(a, mapped, sizeof(mapped)) == 0)
			return prefix_equal(a + 12, net->addr, net->prefix);
	}
	return false;
}

bool
cidr_match_str(const struct cidr *net, const char *addr)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;

	memset(&in, 0, sizeof(in));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, addr, &in.sin_addr) == 1) {
		in.sin_family = AF_INET;
		return cidr_match(net, (struct sockaddr *)&in);
	}
	if (inet_pton(AF_INET6, addr, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		return cidr_match(net, (struct sockaddr *)&in6);
	}
	return false;
}
