/*
 * addr.c: address normalisation and safe path components (see addr.h).
 * RFC 5321 §2.4, §4.5.1; RFC 5322 §3.4.1 (dot-atom).
 */
#include "store/addr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 5322 §3.2.3 atext. */
static bool
is_atext(unsigned char c)
{
	if (isalnum(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
local_check(const char *s, size_t len, const char **errstr_out)
{
	if (len == 0) {
		*errstr_out = "empty local part";
		return -1;
	}
	if (len > STORE_LOCAL_MAX) {
		*errstr_out = "local part longer than 64 octets";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			/* dot-atom: no leading, trailing or double dot */
			if (i == 0 || i + 1 == len || s[i + 1] == '.') {
				*errstr_out = "misplaced '.' in local part";
				return -1;
			}
		} else if (!is_atext(c)) {
			*errstr_out = "invalid character in local part";
			return -1;
		}
	}
	return 0;
}

static int
domain_check(const char *s, size_t len, const char **errstr_out)
{
	size_t label = 0;

	if (len == 0) {
		*errstr_out = "empty domain";
		return -1;
	}
	if (len > STORE_DOMAIN_MAX) {
		*errstr_out = "domain too long";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0) {
				*errstr_out = "empty label in domain";
				return -1;
			}
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63) {
				*errstr_out = "domain label too long";
				return -1;
			}
		} else {
			*errstr_out = "invalid character in domain";
			return -1;
		}
	}
	if (label == 0) {
		*errstr_out = "empty label in domain";
		return -1;
	}
	return 0;
}

static int
put_local(const char *s, size_t len, char *out, size_t outlen,
    const char **errstr_out)
{
	if (local_check(s, len, errstr_out) == -1)
		return -1;
	if (len + 1 > outlen) {
		*errstr_out = "address too long";
		return -1;
	}
	/* RFC 5321 §4.5.1: "Postmaster" in any case. */
	if (len == 10 && strncasecmp(s, "postmaster", 10) == 0)
		s = "postmaster";
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

int
store_addr_local_normalize(const char *in, char *out, size_t outlen,
    const char **errstr_out)
{
	return put_local(in, strlen(in), out, outlen, errstr_out);
}

int
store_addr_normalize(const char *in, const char *default_domain, char *out,
    size_t outlen, const char **errstr_out)
{
	const char *at = strrchr(in, '@'), *dom;
	size_t llen, dlen;

	if (at == NULL) {
		if (default_domain == NULL) {
			*errstr_out = "address has no domain";
			return -1;
		}
		llen = strlen(in);
		dom = default_domain;
	} else {
		llen = (size_t)(at - in);
		dom = at + 1;
	}
	dlen = strlen(dom);
	if (dlen > 0 && dom[dlen - 1] == '.')
		dlen--;
	if (domain_check(dom, dlen, errstr_out) == -1)
		return -1;
	if (llen + 1 + dlen + 1 > outlen || llen + 1 + dlen > STORE_ADDR_MAX) {
		*errstr_out = "address too long";
		return -1;
	}
	if (put_local(in, llen, out, outlen, errstr_out) == -1)
		return -1;
	out[llen] = '@';
	for (size_t i = 0; i < dlen; i++)
		out[llen + 1 + i] = (char)tolower((unsigned char)dom[i]);
	out[llen + 1 + dlen] = '\0';
	return 0;
}

const char *
store_addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at == NULL ? NULL : at + 1;
}

bool
store_addr_is_local_domain(const struct config *cfg, const char *domain)
{
	size_t dlen = strlen(domain);

	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	for (size_t i = 0; i < cfg->domains.n; i++) {
		const char *d = cfg->domains.items[i];
		if (strlen(d) == dlen && strncasecmp(d, domain, dlen) == 0)
			return true;
	}
	return false;
}

int
store_addr_strip_sub(const char *addr, char delim, char *out, size_t outlen)
{
	const char *at = strrchr(addr, '@'), *d;
	size_t llen = at ? (size_t)(at - addr) : strlen(addr);

	d = memchr(addr, delim, llen);
	if (delim == '\0' || d == NULL || d == addr)
		return 0;
	size_t base = (size_t)(d - addr), rest = at ? strlen(at) : 0;

	if (base + rest + 1 > outlen)
		return -1;
	memcpy(out, addr, base);
	memcpy(out + base, at ? at : "", rest);
	out[base + rest] = '\0';
	return 1;
}

int
store_path_encode(const char *s, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool plain = isalnum(c) || c == '_' || c == '=' || c == '+' ||
		    c == '-' || (c == '.' && i > 0);
		if (o + (plain ? 1 : 3) + 1 > outlen)
			return -1;
		if (plain)
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o == 0) {
		/* An empty component is "%" alone: never a real name. */
		if (outlen < 2)
			return -1;
		out[o++] = '%';
	}
	out[o] = '\0';
	return 0;
}
