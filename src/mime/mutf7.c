/*
 * mutf7.c: modified UTF-7 (RFC 3501 §5.1.3; RFC 2152 with ',' for '/'
 * and '&' as the shift character). Pure; used by the IMAP server and the
 * user agent for mailbox names.
 */
#include <stdint.h>
#include <string.h>

#include "mime/charset.h"
#include "mime/mutf7.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
b64_val(unsigned char c)
{
	const char *p;

	if (c == 0)
		return -1;
	p = strchr(b64, c);
	return p ? (int)(p - b64) : -1;
}

/* Decodes one UTF-8 sequence: its length, or 0 when invalid. */
static size_t
utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		v = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		v = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		v = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

int
mime_mutf7_encode(const char *utf8, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t i = 0, start = out->len;
	uint32_t bits = 0;
	unsigned nbits = 0;
	int shifted = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_next(s + i, len - i, &cp);

		if (n == 0 || cp == 0)
			goto fail;
		i += n;
		if (cp >= 0x20 && cp <= 0x7e) {
			if (shifted) {
				if (nbits > 0 && buf_putc(out,
				    b64[(bits << (6 - nbits)) & 0x3f]) == -1)
					goto fail;
				if (buf_putc(out, '-') == -1)
					goto fail;
				shifted = 0;
				nbits = 0;
				bits = 0;
			}
			if (buf_putc(out, (char)cp) == -1 ||
			    (cp == '&' && buf_putc(out, '-') == -1))
				goto fail;
			continue;
		}
		if (!shifted) {
			if (buf_putc(out, '&') == -1)
				goto fail;
			shifted = 1;
		}
		/* UTF-16, with a surrogate pair above the BMP */
		uint16_t units[2];
		int nu = 1;

		if (cp >= 0x10000) {
			cp -= 0x10000;
			units[0] = (uint16_t)(0xd800 | (cp >> 10));
			units[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
			nu = 2;
		} else
			units[0] = (uint16_t)cp;
		for (int u = 0; u < nu; u++) {
			bits = (bits << 16) | units[u];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				if (buf_putc(out, b64[(bits >> nbits) &
				    0x3f]) == -1)
					goto fail;
			}
			bits &= (1u << nbits) - 1;
		}
	}
	if (shifted) {
		if (nbits > 0 && buf_putc(out,
		    b64[(bits << (6 - nbits)) & 0x3f]) == -1)
			goto fail;
		if (buf_putc(out, '-') == -1)
			goto fail;
	}
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

int
mime_mutf7_decode(const char *str, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = out->len, run_end = SIZE_MAX;

	while (i < len) {
		uint32_t bits = 0, hi = 0;
		unsigned nbits = 0, nunits = 0;

		if (s[i] < 0x20 || s[i] > 0x7e)
			goto fail;
		if (s[i] != '&') {
			if (buf_putc(out, (char)s[i++]) == -1)
				goto fail;
			continue;
		}
		i++;
		if (i < len && s[i] == '-') {
			if (buf_putc(out, '&') == -1)
				goto fail;
			i++;
			continue;
		}
		/* Two runs back to back are one run spelt twice: only the
		 * canonical spelling is a valid name. */
		if (run_end == i - 1)
			goto fail;
		for (; i < len && s[i] != '-'; i++) {
			int v = b64_val(s[i]);

			if (v < 0)
				goto fail;
			bits = (bits << 6) | (uint32_t)v;
			nbits += 6;
			if (nbits < 16)
				continue;
			nbits -= 16;
			uint32_t u = (bits >> nbits) & 0xffff;

			bits &= (1u << nbits) - 1;
			nunits++;
			if (hi != 0) {
				if (u < 0xdc00 || u > 0xdfff)
					goto fail;
				if (mime_utf8_put(out, 0x10000 + ((hi - 0xd800) <<
				    10) + (u - 0xdc00)) == -1)
					goto fail;
				hi = 0;
			} else if (u >= 0xd800 && u <= 0xdbff)
				hi = u;
			else if ((u >= 0xdc00 && u <= 0xdfff) ||
			    (u >= 0x20 && u <= 0x7e) || u == 0)
				goto fail;	/* must be written directly */
			else if (mime_utf8_put(out, u) == -1)
				goto fail;
		}
		/* a run ends with '-', leftover bits are zero padding */
		if (i >= len || nunits == 0 || hi != 0 || nbits >= 6 ||
		    bits != 0)
			goto fail;
		i++;
		run_end = i;
	}
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}
