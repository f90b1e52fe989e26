/*
 * charset.c: MIME charset names to UTF-8 through iconv (RFC 2045 §5.1
 * charset parameter, RFC 2047 and RFC 2231 charsets). Pure computation;
 * iconv descriptors are opened per call and closed before returning.
 */
#include "mime/charset.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

/* Names seen in real mail that glibc does not know, or knows as a subset. */
static const struct {
	const char	*name;
	const char	*iconv;
} charset_aliases[] = {
	{ "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601", "CP949" },
	{ "x-sjis", "SHIFT_JIS" },
	{ "iso-8859-8-i", "ISO-8859-8" },
	{ "unicode-1-1-utf-7", "UTF-7" },
	{ "x-user-defined", "WINDOWS-1252" },
	{ "utf8", "UTF-8" },
};

static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

size_t
mime_utf8_seq_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		if (len >= 2 && (s[1] & 0xc0) == 0x80)
			return 2;
		return 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (len < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (len < 4 || (s[1] & 0xc0) != 0x80 ||
		    (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

int
mime_utf8_put(struct buf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
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

bool
mime_utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = mime_utf8_seq_len(p + i, len - i)) == 0)
			return false;
		i += n;
	}
	return true;
}

/* Copies valid UTF-8 and turns every other byte into U+FFFD. */
static int
utf8_fallback(const char *in, size_t len, struct buf *out, int *replaced)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, n, start = out->len;

	while (i < len) {
		size_t run = i;

		while (run < len && p[run] < 0x80)
			run++;
		if (run > i && buf_append(out, p + i, run - i) == -1)
			goto full;
		i = run;
		if (i == len)
			break;
		if ((n = mime_utf8_seq_len(p + i, len - i)) == 0) {
			if (buf_append(out, replacement, 3) == -1)
				goto full;
			*replaced = 1;
			i++;
			continue;
		}
		if (buf_append(out, p + i, n) == -1)
			goto full;
		i += n;
	}
	return 0;
full:
	buf_truncate(out, start);
	return -1;
}

static bool
name_is_sane(const char *cs)
{
	size_t i;

	for (i = 0; cs[i] != '\0'; i++) {
		unsigned char c = cs[i];

		if (i >= MIME_CHARSET_NAME_MAX)
			return false;
		/* No '/' so that "//TRANSLIT" and the like cannot sneak in. */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == ':' || c == '+'))
			return false;
	}
	return i > 0;
}

static bool
is_utf8_name(const char *cs)
{
	return cs == NULL || *cs == '\0' || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0 || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "ascii") == 0;
}

static iconv_t
open_from(const char *cs)
{
	size_t i;

	if (!name_is_sane(cs))
		return (iconv_t)-1;
	for (i = 0; i < sizeof(charset_aliases) / sizeof(charset_aliases[0]);
	    i++)
		if (strcasecmp(cs, charset_aliases[i].name) == 0) {
			cs = charset_aliases[i].iconv;
			break;
		}
	return iconv_open("UTF-8", cs);
}

bool
mime_charset_is_known(const char *charset)
{
	iconv_t cd;

	if (is_utf8_name(charset))
		return true;
	if ((cd = open_from(charset)) == (iconv_t)-1)
		return false;
	iconv_close(cd);
	return true;
}

int
mime_charset_to_utf8(const char *charset, const char *in, size_t len,
    struct buf *out, const char **errstr_out)
{
	size_t start = out->len, inleft = len;
	char *inp = (char *)in;
	int replaced = 0;
	iconv_t cd;

	if (is_utf8_name(charset)) {
		if (utf8_fallback(in, len, out, &replaced) == -1)
			goto full;
		if (replaced && errstr_out != NULL)
			*errstr_out = "charset: invalid bytes replaced";
		return replaced;
	}
	if ((cd = open_from(charset)) == (iconv_t)-1) {
		if (utf8_fallback(in, len, out, &replaced) == -1)
			goto full;
		if (errstr_out != NULL)
			*errstr_out = "charset: unknown charset";
		return 1;
	}
	while (inleft > 0) {
		size_t room, r, want, before;
		char *outp;

		/* Room in steps, so a tight max still fits what fits. */
		want = inleft < 16384 ? inleft * 4 + 16 : 65536;
		if (buf_reserve(out, want) == -1) {
			want = out->max > out->len ? out->max - out->len : 0;
			if (want == 0 || buf_reserve(out, want) == -1) {
				iconv_close(cd);
				goto full;
			}
		}
		room = out->cap - out->len - 1;
		outp = out->data + out->len;
		before = out->len;
		r = iconv(cd, &inp, &inleft, &outp, &room);
		out->len = outp - out->data;
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			if (out->len == before && out->len + room >= out->max) {
				iconv_close(cd);
				goto full;	/* not even one character fits */
			}
			continue;
		}
		/* EILSEQ or EINVAL: replace one byte and go on. */
		if (buf_append(out, replacement, 3) == -1) {
			iconv_close(cd);
			goto full;
		}
		replaced = 1;
		inp++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush any shift state (stateful encodings such as ISO-2022-JP). */
	if (buf_reserve(out, 16) == 0) {
		char *outp = out->data + out->len;
		size_t room = out->cap - out->len - 1;

		iconv(cd, NULL, NULL, &outp, &room);
		out->len = outp - out->data;
	}
	iconv_close(cd);
	if (out->data != NULL)
		out->data[out->len] = '\0';
	/*
	 * glibc's converters pass through sequences RFC 3629 forbids (code
	 * points past U+10FFFF, e.g. F5..F7 leads when the source is a
	 * "UTF-8" alias iconv knows but is_utf8_name does not): what leaves
	 * here is always valid UTF-8.
	 */
	if (!mime_utf8_is_valid(out->data + start, out->len - start)) {
		struct buf raw;

		buf_init(&raw, out->max);
		if (buf_append(&raw, out->data + start, out->len - start) == -1) {
			buf_free(&raw);
			goto full;
		}
		buf_truncate(out, start);
		if (utf8_fallback(raw.data, raw.len, out, &replaced) == -1) {
			buf_free(&raw);
			goto full;
		}
		buf_free(&raw);
	}
	if (replaced && errstr_out != NULL)
		*errstr_out = "charset: invalid bytes replaced";
	return replaced;
full:
	buf_truncate(out, start);
	if (errstr_out != NULL)
		*errstr_out = "charset: output too large";
	return -1;
}
