/*
 * dns.h: where to send mail for a domain (RFC 5321 §5.1), through c-ares
 * in a libevent loop: MX records by preference (equal preferences in a
 * random order), the implicit MX (the domain's own A/AAAA) when there is
 * no MX, null MX (RFC 7505) refused at once, then every host's IPv6 and
 * IPv4 addresses. Runs in the queue role.
 */
#ifndef SMTPC_DNS_H
#define SMTPC_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SMTPC_DNS_MX_MAX	10	/* MX hosts tried per domain */
#define SMTPC_DNS_ADDR_MAX	4	/* addresses tried per host */
#define SMTPC_DNS_HOST_MAX	256	/* RFC 1035 §2.3.4: 255 octets */

struct event_base;
struct smtpc_dns;

struct smtpc_dns_addr {
	struct sockaddr_storage	 sa;
	socklen_t		 salen;
	char			 host[SMTPC_DNS_HOST_MAX];	/* its name */
};

enum smtpc_dns_status {
	SMTPC_DNS_OK,
	SMTPC_DNS_TEMPFAIL,	/* try again later */
	SMTPC_DNS_PERMFAIL,	/* no such domain, null MX: bounce */
};

/* The result: on OK, addrs in the order to try (n >= 1); otherwise error
 * says why. Everything is valid only during the call. */
typedef void (*smtpc_dns_fn)(void *arg, enum smtpc_dns_status status,
    const struct smtpc_dns_addr *addrs, size_t n, const char *error);

/* A resolver on base. server is "" (the system's resolv.conf) or
 * "HOST:PORT" / "[V6]:PORT" (dns_server). NULL with err on failure. */
struct smtpc_dns *smtpc_dns_new(struct event_base *base, const char *server,
    char *err, size_t errlen);
/* Ends every lookup in flight: each callback runs with TEMPFAIL. */
void smtpc_dns_free(struct smtpc_dns **dp);

/* Resolves name: with mx, as a mail domain (MX, else implicit MX); else
 * as one host (a static route's next hop; IP literals work). port goes
 * into every address. fn is called exactly once, maybe before this
 * returns. */
void smtpc_dns_resolve(struct smtpc_dns *d, const char *name, uint16_t port,
    bool mx, smtpc_dns_fn fn, void *arg);

#endif
