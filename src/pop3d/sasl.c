/*
 * sasl.c: base64 decoding and the SASL PLAIN message for POP3 AUTH
 * (RFC 5034, RFC 4616, RFC 4648). Run by the pop3 role's session engine.
 */
#include "pop3d/sasl.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* RFC 4648 §4 alphabet; -1 for anything else ('=' is handled apart). */
static const int8_t b64val[256] = {
	['A'] = 0, ['B'] = 1, ['C'] = 2, ['D'] = 3, ['E'] = 4, ['F'] = 5,
	['G'] = 6, ['H'] = 7, ['I'] = 8, ['J'] = 9, ['K'] = 10, ['L'] = 11,
	['M'] = 12, ['N'] = 13, ['O'] = 14, ['P'] = 15, ['Q'] = 16,
	['R'] = 17, ['S'] = 18, ['T'] = 19, ['U'] = 20, ['V'] = 21,
	['W'] = 22, ['X'] = 23, ['Y'] = 24, ['Z'] = 25,
	['a'] = 26, ['b'] = 27, ['c'] = 28, ['d'] = 29, ['e'] = 30,
	['f'] = 31, ['g'] = 32, ['h'] = 33, ['i'] = 34, ['j'] = 35,
	['k'] = 36, ['l'] = 37, ['m'] = 38, ['n'] = 39, ['o'] = 40,
	['p'] = 41, ['q'] = 42, ['r'] = 43, ['s'] = 44, ['t'] = 45,
	['u'] = 46, ['v'] = 47, ['w'] = 48, ['x'] = 49, ['y'] = 50,
	['z'] = 51, ['0'] = 52, ['1'] = 53, ['2'] = 54, ['3'] = 55,
	['4'] = 56, ['5'] = 57, ['6'] = 58, ['7'] = 59, ['8'] = 60,
	['9'] = 61, ['+'] = 62, ['/'] = 63,
};

static bool
is_b64(unsigned char c)
{
	return c == 'A' || b64val[c] != 0;
}

int
pop3d_base64_decode(const char *in, size_t len, char *out, size_t outlen,
    size_t *n_out)
{
	size_t n = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		const unsigned char *q = (const unsigned char *)in + i;
		bool last = i + 4 == len;
		int pad = 0;
		uint32_t v = 0;

		if (last && q[3] == '=')
			pad = q[2] == '=' ? 2 : 1;
		for (int k = 0; k < 4 - pad; k++) {
			if (!is_b64(q[k]))
				return -1;
			v |= (uint32_t)b64val[q[k]] << (18 - 6 * k);
		}
		/* Canonical form only: unused bits must be zero. */
		if ((pad == 1 && (v & 0xff) != 0) ||
		    (pad == 2 && (v & 0xffff) != 0))
			return -1;
		if (n + 3 - (size_t)pad + 1 > outlen)
			return -1;
		out[n++] = (char)(v >> 16);
		if (pad < 2)
			out[n++] = (char)(v >> 8);
		if (pad < 1)
			out[n++] = (char)v;
	}
	if (n + 1 > outlen)
		return -1;
	out[n] = '\0';
	*n_out = n;
	return 0;
}

int
pop3d_sasl_plain(const char *msg, size_t len, char *user, size_t userlen,
    char *pass, size_t passlen)
{
	const char *z = msg, *c, *p, *end = msg + len;
	size_t zlen, clen, plen;

	if ((c = memchr(z, '\0', len)) == NULL)
		return -1;
	zlen = (size_t)(c - z);
	c++;
	if ((p = memchr(c, '\0', (size_t)(end - c))) == NULL)
		return -1;
	clen = (size_t)(p - c);
	p++;
	plen = (size_t)(end - p);
	/* RFC 4616 §2: one authzid, authcid and passwd, no more NULs. */
	if (memchr(p, '\0', plen) != NULL || clen == 0 || plen == 0)
		return -1;
	if (zlen != 0 && (zlen != clen || memcmp(z, c, clen) != 0))
		return -1;
	if (clen >= userlen || plen >= passlen)
		return -1;
	memcpy(user, c, clen);
	user[clen] = '\0';
	memcpy(pass, p, plen);
	pass[plen] = '\0';
	return 0;
}
