/*
 * addr.h: mail addresses as the store keys them.
 *
 * Normal form (what the accounts database stores and lookups compare):
 *  - the domain is lowercased and a trailing dot dropped (RFC 5321 §2.4:
 *    domains are case-insensitive);
 *  - the local part is kept byte for byte (§2.4: local parts are
 *    case-sensitive), with one exception: "postmaster" in any case becomes
 *    "postmaster" (§4.5.1). No other case folding is done.
 *  - only dot-atom local parts (RFC 5322 §3.4.1) are accepted; quoted
 *    local parts are refused.
 * Subaddressing: "bob+tag@d" is looked up as itself first, then as
 * "bob@d" (the recipient_delimiter config key).
 *
 * Pure functions: no I/O, no logging; errors are static strings.
 */
#ifndef STORE_ADDR_H
#define STORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/config.h"

#define STORE_LOCAL_MAX		64	/* RFC 5321 §4.5.3.1.1 */
#define STORE_DOMAIN_MAX	253	/* RFC 1035 §2.3.4 less the root dot */
#define STORE_ADDR_MAX		254	/* RFC 5321 §4.5.3.1.3 less "<>" */

/*
 * Writes the normal form of in to out (outlen bytes; STORE_ADDR_MAX + 1 is
 * always enough). An address without '@' takes default_domain, or is
 * refused when that is NULL. 0, or -1 and *errstr_out.
 */
int store_addr_normalize(const char *in, const char *default_domain,
    char *out, size_t outlen, const char **errstr_out);
/* The same for a bare local part ("postmaster", "bob"): 0 or -1. */
int store_addr_local_normalize(const char *in, char *out, size_t outlen,
    const char **errstr_out);

/* The domain of a normalised address (after its '@'), or NULL. */
const char *store_addr_domain(const char *addr);

/* Whether domain (any case) is one of cfg->domains. */
bool store_addr_is_local_domain(const struct config *cfg, const char *domain);

/*
 * The address without its subaddress: "bob+tag@d" -> "bob@d" in out.
 * 1 when there was a subaddress, 0 when not (out untouched), -1 when out
 * is too small. A delimiter first in the local part does not count.
 */
int store_addr_strip_sub(const char *addr, char delim, char *out,
    size_t outlen);

/*
 * Encodes s as one safe file name component: [A-Za-z0-9_=+-] and '.' (not
 * first) stay, every other byte becomes %XX. The result can never be "",
 * "." or "..", nor hold '/'. 0, or -1 when out is too small.
 */
int store_path_encode(const char *s, size_t len, char *out, size_t outlen);

#endif
