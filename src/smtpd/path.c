/*
 * path.c: RFC 5321 §4.1.2 paths for MAIL FROM and RCPT TO (see path.h).
 *
 * Runs in the smtp role process, on untrusted input before any
 * authentication: every index is checked against len before it is read.
 */
#include "smtpd/path.h"

#include <arpa/inet.h>
#include <string.h>

/* RFC 5322 §3.2.3 atext, as used by RFC 5321 Atom. */
static const unsigned char atext[256] = {
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['/'] = 1, ['='] = 1, ['?'] = 1,
	['^'] = 1, ['_'] = 1, ['`'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1,
	['~'] = 1,
};

struct scan {
	const char	*s;
	size_t		 len;
	size_t		 i;
	unsigned	 flags;
	int		 utf8;	/* a non-ASCII sequence was seen */
	int		 bad8;	/* non-ASCII without SMTPUTF8 */
};

static int
peek(const struct scan *sc)
{
	return sc->i < sc->len ? (unsigned char)sc->s[sc->i] : -1;
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 §4), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t avail)
{
	size_t n, k;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (avail < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k < n; k++)
		if (p[k] < 0x80 || p[k] > 0xbf)
			return 0;
	return n;
}

/* Takes one UTF-8 non-ASCII character (RFC 6531 UTF8-non-ascii). */
static int
take_utf8(struct scan *sc)
{
	size_t n;

	if (peek(sc) < 0x80)
		return 0;
	n = utf8_len((const unsigned char *)sc->s + sc->i, sc->len - sc->i);
	if (n == 0)
		return 0;
	if (!(sc->flags & SMTPD_PATH_UTF8))
		sc->bad8 = 1;
	sc->utf8 = 1;
	sc->i += n;
	return 1;
}

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* sub-domain = Let-dig [Ldh-str] (§4.1.2), or a U-label with SMTPUTF8. */
static int
sub_domain(struct scan *sc)
{
	size_t start = sc->i;
	int last = -1;

	for (;;) {
		int c = peek(sc);

		if (c >= 0x80) {
			if (!take_utf8(sc))
				return 0;
			last = 'a';
			continue;
		}
		if (c != -1 && (is_alnum(c) || (c == '-' && sc->i > start))) {
			sc->i++;
			last = c;
			continue;
		}
		break;
	}
	return sc->i > start && last != '-';
}

static int
domain(struct scan *sc)
{
	if (!sub_domain(sc))
		return 0;
	while (peek(sc) == '.') {
		sc->i++;
		if (!sub_domain(sc))
			return 0;
	}
	return 1;
}

/* address-literal (§4.1.3): [IPv4], [IPv6:...], [tag:dcontent]. */
static int
address_literal(struct scan *sc)
{
	char tmp[64];
	const char *p, *end, *colon;
	struct in6_addr a6;
	struct in_addr a4;
	size_t n;

	if (peek(sc) != '[')
		return 0;
	p = sc->s + sc->i + 1;
	end = memchr(p, ']', sc->len - sc->i - 1);
	if (end == NULL || end == p)
		return 0;
	n = (size_t)(end - p);
	colon = memchr(p, ':', n);
	if (colon == NULL) {
		if (n >= sizeof(tmp))
			return 0;
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET, tmp, &a4) != 1)
			return 0;
	} else if (colon - p == 4 && strncasecmp(p, "IPv6", 4) == 0) {
		n -= 5;
		if (n >= sizeof(tmp))
			return 0;
		memcpy(tmp, colon + 1, n);
		tmp[n] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return 0;
	} else {
		/* General-address-literal: Standardized-tag ":" 1*dcontent */
		const char *q;

		if (colon == p || colon + 1 == end)
			return 0;
		for (q = p; q < colon; q++)
			if (!is_alnum((unsigned char)*q) && *q != '-')
				return 0;
		for (q = colon + 1; q < end; q++) {
			unsigned char c = (unsigned char)*q;

			if (c < 33 || c > 126 || c == '[' || c == '\\')
				return 0;
		}
	}
	sc->i = (size_t)(end - sc->s) + 1;
	return 1;
}

/* Local-part = Dot-string / Quoted-string (§4.1.2). */
static int
local_part(struct scan *sc)
{
	int c = peek(sc);

	if (c == '"') {
		sc->i++;
		for (;;) {
			c = peek(sc);
			if (c == '"') {
				sc->i++;
				return 1;
			}
			if (c == '\\') {
				/* quoted-pairSMTP = %d92 %d32-126 */
				sc->i++;
				c = peek(sc);
				if (c < 32 || c > 126)
					return 0;
				sc->i++;
			} else if (c >= 32 && c <= 126)
				sc->i++;	/* qtextSMTP */
			else if (!take_utf8(sc))
				return 0;
		}
	}
	for (;;) {
		size_t start = sc->i;

		for (;;) {
			c = peek(sc);
			if (c >= 0x80) {
				if (!take_utf8(sc))
					return 0;
			} else if (c != -1 && atext[c])
				sc->i++;
			else
				break;
		}
		if (sc->i == start)
			return 0;	/* empty atom: "..", or an edge dot */
		if (peek(sc) != '.')
			return 1;
		sc->i++;
	}
}

/* A-d-l = At-domain *( "," At-domain ), followed by ":". Dropped. */
static int
source_route(struct scan *sc)
{
	for (;;) {
		if (peek(sc) != '@')
			return 0;
		sc->i++;
		if (!domain(sc))
			return 0;
		if (peek(sc) == ':') {
			sc->i++;
			return 1;
		}
		if (peek(sc) != ',')
			return 0;
		sc->i++;
	}
}

enum smtpd_path_err
smtpd_path_parse(const char *s, size_t len, unsigned flags,
    struct smtpd_path *out, size_t *consumed_out)
{
	struct scan sc = { .s = s, .len = len, .flags = flags };
	size_t mstart, at, n;

	memset(out, 0, sizeof(*out));
	if (peek(&sc) != '<')
		return SMTPD_PATH_SYNTAX;
	sc.i++;
	if (peek(&sc) == '>') {
		if (!(flags & SMTPD_PATH_NULL_OK))
			return SMTPD_PATH_SYNTAX;
		*consumed_out = 2;
		return SMTPD_PATH_OK;
	}
	if (peek(&sc) == '@' && !source_route(&sc))
		return SMTPD_PATH_SYNTAX;
	mstart = sc.i;
	/* RFC 5321 §4.5.1: "Postmaster" without a domain, any case. */
	if ((flags & SMTPD_PATH_POSTMASTER) && len - sc.i >= 11 &&
	    strncasecmp(s + sc.i, "postmaster>", 11) == 0) {
		memcpy(out->mailbox, s + sc.i, 10);
		out->mailbox[10] = '\0';
		out->local_len = 10;
		*consumed_out = sc.i + 11;
		return SMTPD_PATH_OK;
	}
	if (!local_part(&sc))
		return sc.bad8 ? SMTPD_PATH_8BIT : SMTPD_PATH_SYNTAX;
	at = sc.i;
	if (peek(&sc) != '@')
		return SMTPD_PATH_SYNTAX;
	sc.i++;
	if (peek(&sc) == '[') {
		if (!address_literal(&sc))
			return SMTPD_PATH_SYNTAX;
	} else if (!domain(&sc))
		return sc.bad8 ? SMTPD_PATH_8BIT : SMTPD_PATH_SYNTAX;
	if (peek(&sc) != '>')
		return sc.bad8 ? SMTPD_PATH_8BIT : SMTPD_PATH_SYNTAX;
	/* §4.5.3.1: limits are checked on well-formed input only, so the
	 * reply tells the client what is actually wrong. */
	if (at - mstart > SMTPD_LOCAL_MAX ||
	    sc.i - at - 1 > SMTPD_DOMAIN_MAX || sc.i + 1 > SMTPD_PATH_MAX)
		return SMTPD_PATH_TOOLONG;
	if (sc.bad8)
		return SMTPD_PATH_8BIT;
	n = sc.i - mstart;
	memcpy(out->mailbox, s + mstart, n);	/* n < SMTPD_PATH_MAX */
	out->mailbox[n] = '\0';
	out->local_len = at - mstart;
	out->domain_off = at - mstart + 1;
	out->utf8 = sc.utf8;
	*consumed_out = sc.i + 1;
	return SMTPD_PATH_OK;
}

const char *
smtpd_path_strerror(enum smtpd_path_err err)
{
	switch (err) {
	case SMTPD_PATH_OK:
		return "ok";
	case SMTPD_PATH_SYNTAX:
		return "bad address syntax";
	case SMTPD_PATH_TOOLONG:
		return "address too long";
	case SMTPD_PATH_8BIT:
		return "non-ASCII address without SMTPUTF8";
	}
	return "?";
}
