/*
 * mutf7.c: modified UTF-7 mailbox names (RFC 3501 §5.1.3) for `postern`.
 */
#include <string.h>

#include "mime/charset.h"
#include "ua/mutf7.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static unsigned long
utf8_next(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0];
	if (n == 2)
		return ((unsigned long)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	if (n == 3)
		return ((unsigned long)(s[0] & 0x0f) << 12) |
		    ((unsigned long)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	return ((unsigned long)(s[0] & 0x07) << 18) |
	    ((unsigned long)(s[1] & 0x3f) << 12) |
	    ((unsigned long)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
}

/* Flushes UTF-16 units as modified base64 between "&" and "-". */
static int
put_units(const unsigned short *u, size_t n, struct buf *out)
{
	unsigned long acc = 0;
	int bits = 0, rc = buf_putc(out, '&');
	size_t i;

	for (i = 0; i < n && rc == 0; i++) {
		acc = (acc << 16) | u[i];
		bits += 16;
		while (bits >= 6 && rc == 0) {
			bits -= 6;
			rc = buf_putc(out, b64[(acc >> bits) & 0x3f]);
		}
	}
	if (bits > 0 && rc == 0)
		rc = buf_putc(out, b64[(acc << (6 - bits)) & 0x3f]);
	return rc == 0 ? buf_putc(out, '-') : -1;
}

int
ua_mutf7_encode(const char *utf8, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)utf8;
	unsigned short units[256];
	size_t i = 0, nu = 0, start = out->len;
	int rc = 0;

	if (!mime_utf8_is_valid(utf8, len))
		return -1;
	while (i < len && rc == 0) {
		size_t n = mime_utf8_seq_len(s + i, len - i);
		unsigned long cp = utf8_next(s + i, n);

		if (cp >= 0x20 && cp <= 0x7e) {
			if (nu > 0 && (rc = put_units(units, nu, out)) == -1)
				break;
			nu = 0;
			rc = cp == '&' ? buf_puts(out, "&-") :
			    buf_putc(out, (char)cp);
		} else {
			if (nu + 2 > sizeof(units) / sizeof(units[0])) {
				rc = put_units(units, nu, out);
				nu = 0;
			}
			if (cp >= 0x10000) {
				cp -= 0x10000;
				units[nu++] = (unsigned short)(0xd800 +
				    (cp >> 10));
				units[nu++] = (unsigned short)(0xdc00 +
				    (cp & 0x3ff));
			} else
				units[nu++] = (unsigned short)cp;
		}
		i += n;
	}
	if (rc == 0 && nu > 0)
		rc = put_units(units, nu, out);
	if (rc == -1)
		buf_truncate(out, start);
	return rc;
}

static int
put_cp(unsigned long cp, struct buf *out)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, b, n);
}

int
ua_mutf7_decode(const char *s, size_t len, struct buf *out)
{
	size_t i = 0, start = out->len;
	unsigned long hi = 0;

	while (i < len) {
		unsigned long acc = 0;
		int bits = 0;

		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			goto bad;
		if (s[i] != '&') {
			if (buf_putc(out, s[i++]) == -1)
				goto bad;
			continue;
		}
		if (++i < len && s[i] == '-') {
			if (buf_putc(out, '&') == -1)
				goto bad;
			i++;
			continue;
		}
		for (; i < len && s[i] != '-'; i++) {
			const char *p = strchr(b64, s[i]);
			if (p == NULL || s[i] == '\0')
				goto bad;
			acc = (acc << 6) | (unsigned long)(p - b64);
			bits += 6;
			if (bits >= 16) {
				unsigned long u;
				bits -= 16;
				u = (acc >> bits) & 0xffff;
				if (u >= 0xd800 && u < 0xdc00) {
					if (hi != 0)
						goto bad;
					hi = u;
				} else if (u >= 0xdc00 && u < 0xe000) {
					if (hi == 0 || put_cp(0x10000 +
					    ((hi - 0xd800) << 10) +
					    (u - 0xdc00), out) == -1)
						goto bad;
					hi = 0;
				} else if (hi != 0 || put_cp(u, out) == -1)
					goto bad;
			}
		}
		/* the shift ends with "-"; leftover bits must be zero */
		if (i == len || hi != 0 || bits >= 6 ||
		    (acc & ((1UL << bits) - 1)) != 0)
			goto bad;
		i++;
	}
	return 0;
bad:
	buf_truncate(out, start);
	return -1;
}
