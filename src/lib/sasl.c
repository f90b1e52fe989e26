/*
 * sasl.c: base64 and SASL PLAIN decoding (see sasl.h). Used by the SMTP,
 * POP3 and IMAP session engines.
 */
#include "lib/sasl.h"

#include <stdint.h>
#include <string.h>

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
sasl_base64_decode(const char *in, size_t len, char *out, size_t outsize)
{
	size_t o = 0;

	if (len % 4 != 0 || outsize == 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		unsigned long w;

		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];

			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0)
				return -1;	/* data after padding */
			if ((v[k] = b64val(c)) < 0)
				return -1;
		}
		w = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
		    ((unsigned long)v[2] << 6) | (unsigned long)v[3];
		/* Canonical form only: bits under the padding are zero. */
		if ((pad == 1 && (w & 0xff) != 0) ||
		    (pad == 2 && (w & 0xffff) != 0))
			return -1;
		if (o + 3 - (size_t)pad >= outsize)
			return -1;
		out[o++] = (char)(w >> 16);
		if (pad < 2)
			out[o++] = (char)(w >> 8 & 0xff);
		if (pad < 1)
			out[o++] = (char)(w & 0xff);
	}
	out[o] = '\0';
	return (long)o;
}

long
sasl_base64_encode(const void *in, size_t len, char *out, size_t outsize)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = in;
	size_t o = 0;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 2 ||
	    outsize < (len + 2) / 3 * 4 + 1)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		unsigned long w = (unsigned long)p[i] << 16;
		size_t left = len - i;

		if (left > 1)
			w |= (unsigned long)p[i + 1] << 8;
		if (left > 2)
			w |= p[i + 2];
		out[o++] = alpha[w >> 18 & 63];
		out[o++] = alpha[w >> 12 & 63];
		out[o++] = left > 1 ? alpha[w >> 6 & 63] : '=';
		out[o++] = left > 2 ? alpha[w & 63] : '=';
	}
	out[o] = '\0';
	return (long)o;
}

static int
field(const char *p, size_t n, char *out, size_t outlen)
{
	if (n >= outlen || n > SASL_FIELD_MAX)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int
sasl_plain_split(const char *msg, size_t len, char *user, size_t userlen,
    char *pass, size_t passlen)
{
	const char *nul1, *nul2, *end = msg + len;
	size_t zlen, clen;

	nul1 = memchr(msg, '\0', len);
	if (nul1 == NULL)
		return -1;
	nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1));
	if (nul2 == NULL || memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1)))
		return -1;
	zlen = (size_t)(nul1 - msg);
	clen = (size_t)(nul2 - nul1 - 1);
	if (clen == 0 || nul2 + 1 == end)
		return -1;	/* RFC 4616 §2: authcid and passwd are 1*SAFE */
	if (zlen > 0 && (zlen != clen || memcmp(msg, nul1 + 1, clen) != 0))
		return -1;
	if (field(nul1 + 1, clen, user, userlen) == -1 ||
	    field(nul2 + 1, (size_t)(end - nul2 - 1), pass, passlen) == -1)
		return -1;
	return 0;
}
