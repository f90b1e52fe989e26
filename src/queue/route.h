/*
 * route.h: where a recipient goes — a local mailbox or another MTA.
 */
#ifndef QUEUE_ROUTE_H
#define QUEUE_ROUTE_H

#include <stdbool.h>

#include "lib/config.h"

enum route_kind { ROUTE_LOCAL, ROUTE_REMOTE };

/* The domain part of addr ("" when there is none). */
const char *route_domain(const char *addr);
/* Whether domain is one of cfg->domains (case-insensitive). */
bool route_domain_is_local(const struct config *cfg, const char *domain);
enum route_kind route_rcpt(const struct config *cfg, const char *addr);

#endif
