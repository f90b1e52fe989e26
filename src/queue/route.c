/*
 * route.c: local or remote (see route.h).
 */
#include "queue/route.h"

#include <string.h>
#include <strings.h>

const char *
route_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

bool
route_domain_is_local(const struct config *cfg, const char *domain)
{
	size_t n = strlen(domain);

	/* "example.org." and "example.org" are the same domain. */
	if (n > 0 && domain[n - 1] == '.')
		n--;
	for (size_t i = 0; i < cfg->domains.n; i++)
		if (strlen(cfg->domains.items[i]) == n &&
		    strncasecmp(cfg->domains.items[i], domain, n) == 0)
			return true;
	return false;
}

enum route_kind
route_rcpt(const struct config *cfg, const char *addr)
{
	const char *d = route_domain(addr);

	return *d == '\0' || route_domain_is_local(cfg, d) ? ROUTE_LOCAL :
	    ROUTE_REMOTE;
}
