/*
 * rfc2047.c: decode and encode RFC 2047 encoded words (header text in a
 * charset other than us-ascii). Pure computation, used by the IMAP server
 * (SEARCH), the queue (bounces) and the user agent (display, compose).
 */
#include "mime/rfc2047.h"

#include <string.h>

#include "mime/charset.h"
#include "mime/codec.h"

struct word {
	const char	*charset;	/* not NUL-terminated */
	size_t		 charset_len;
	int		 enc;		/* 'B' or 'Q' */
	const char	*text;
	size_t		 text_len;
	size_t		 len;		/* whole word, "=?" to "?=" */
};

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * RFC 2047 §2: encoded-word = "=?" charset "?" encoding "?" text "?=".
 * When the text has no end, *skip_out is where the search stopped: no
 * later word can start before it, which keeps decoding linear on input
 * such as "=?a?q?=?a?q?=?a?q?..." with no "?=" anywhere.
 */
static int
parse_word(const char *p, const char *end, struct word *w,
    const char **skip_out)
{
	const char *q, *cs, *t;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	cs = p + 2;
	for (q = cs; q < end && *q != '?'; q++)
		if (is_wsp(*q) || (unsigned char)*q < 33 || *q == '=')
			return 0;
	if (q == cs || end - q < 5 || q[2] != '?')
		return 0;
	w->charset = cs;
	w->charset_len = q - cs;
	/* RFC 2231 §5: charset*language; the language is dropped. */
	if ((t = memchr(cs, '*', q - cs)) != NULL)
		w->charset_len = t - cs;
	if (w->charset_len == 0 || w->charset_len > MIME_CHARSET_NAME_MAX)
		return 0;
	if (q[1] == 'B' || q[1] == 'b')
		w->enc = 'B';
	else if (q[1] == 'Q' || q[1] == 'q')
		w->enc = 'Q';
	else
		return 0;
	t = q + 3;
	for (q = t; q + 1 < end; q++) {
		if (is_wsp(*q)) {
			*skip_out = q;
			return 0;
		}
		if (q[0] == '?' && q[1] == '=')
			break;
	}
	if (q + 1 >= end) {
		*skip_out = end;
		return 0;
	}
	w->text = t;
	w->text_len = q - t;
	w->len = q + 2 - p;
	return 1;
}

/* Converts the pending decoded bytes from their charset and empties them. */
static int
flush(struct buf *pending, char *charset, struct buf *out)
{
	int r = 0;

	if (pending->len > 0)
		r = mime_charset_to_utf8(charset, pending->data, pending->len,
		    out, NULL);
	buf_reset(pending);
	charset[0] = '\0';
	return r == -1 ? -1 : 0;
}

/* Appends raw text with folding line ends removed. */
static int
put_text(const char *p, size_t n, struct buf *out)
{
	const char *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *stop = nl != NULL ? nl : end;

		if (stop > p && stop[-1] == '\r' && nl != NULL)
			stop--;
		if (mime_charset_to_utf8("utf-8", p, stop - p, out, NULL) == -1)
			return -1;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

int
mime_rfc2047_decode(const char *in, size_t len, struct buf *out,
    const char **errstr_out)
{
	const char *p = in, *end = in + len, *text = in;
	char charset[MIME_CHARSET_NAME_MAX + 1] = "";
	size_t start = out->len;
	struct buf pending;
	struct word w;
	int prev_word = 0;

	buf_init(&pending, out->max);
	while (p < end) {
		const char *q = memchr(p, '=', end - p);
		const char *ws, *skip = NULL;

		if (q == NULL)
			break;
		if (!parse_word(q, end, &w, &skip)) {
			p = skip != NULL && skip > q ? skip : q + 1;
			continue;
		}
		/* Text before the word: only white space joins two words. */
		for (ws = text; ws < q && is_wsp(*ws); ws++)
			;
		if (!(prev_word && ws == q)) {
			if (flush(&pending, charset, out) == -1 ||
			    put_text(text, q - text, out) == -1)
				goto full;
		}
		if (strlen(charset) != w.charset_len ||
		    strncasecmp(charset, w.charset, w.charset_len) != 0) {
			if (flush(&pending, charset, out) == -1)
				goto full;
			memcpy(charset, w.charset, w.charset_len);
			charset[w.charset_len] = '\0';
		}
		if (w.enc == 'B') {
			if (mime_b64_decode(w.text, w.text_len, MIME_B64_LENIENT,
			    &pending, NULL) == -1)
				goto full;
		} else if (mime_qp_decode(w.text, w.text_len, 1, &pending,
		    NULL) == -1)
			goto full;
		p = text = q + w.len;
		prev_word = 1;
	}
	if (flush(&pending, charset, out) == -1 ||
	    put_text(text, end - text, out) == -1)
		goto full;
	buf_free(&pending);
	return 0;
full:
	buf_free(&pending);
	buf_truncate(out, start);
	if (errstr_out != NULL)
		*errstr_out = "rfc2047: output too large";
	return -1;
}

static int
is_plain_ascii(const char *s, size_t len)
{
	size_t i, run = 0, wsp = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c < 32 || c > 126)
			if (c != '\t')
				return 0;
		if (c == '=' && i + 1 < len && s[i + 1] == '?')
			return 0;	/* would read back as an encoded word */
		if (c == ' ' || c == '\t') {
			run = 0;
			wsp++;
		} else {
			run++;
			wsp = 0;
		}
		/* Words and white space runs that could not fold under 998. */
		if (run > 900 || wsp > 100)
			return 0;
	}
	return 1;
}

static int
fold_ascii(const char *s, size_t len, size_t col, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		/* One white space run plus the following word. */
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		while (j < len && s[j] != ' ' && s[j] != '\t')
			j++;
		if (col + (j - i) > MIME_HDR_LINE_SOFT && i > 0 &&
		    (s[i] == ' ' || s[i] == '\t')) {
			if (buf_append(out, "\r\n", 2) == -1)
				return -1;
			col = 0;
		}
		if (buf_append(out, s + i, j - i) == -1)
			return -1;
		col += j - i;
		i = j;
	}
	return 0;
}

int
mime_rfc2047_encode(const char *utf8, size_t len, size_t col,
    struct buf *out)
{
	static const char pre[] = "=?UTF-8?B?";
	const unsigned char *s = (const unsigned char *)utf8;
	size_t start = out->len, i = 0;
	/* 75 - strlen("=?UTF-8?B??=") = 63 base64 chars = 45 bytes. */
	const size_t word_bytes = (MIME_RFC2047_WORD_MAX - 12) / 4 * 3;

	if (is_plain_ascii(utf8, len)) {
		if (fold_ascii(utf8, len, col, out) == -1)
			goto full;
		return 0;
	}
	while (i < len) {
		size_t room = word_bytes, n = 0, k;

		if (i == 0 && col + 12 + 8 <= MIME_HDR_LINE_SOFT &&
		    (MIME_HDR_LINE_SOFT - col - 12) / 4 * 3 < room)
			room = (MIME_HDR_LINE_SOFT - col - 12) / 4 * 3;
		/* Whole characters only (RFC 2047 §5 (3)). */
		while (i + n < len) {
			k = mime_utf8_seq_len(s + i + n, len - i - n);
			if (k == 0)
				k = 1;	/* invalid byte: keep it, it decodes to U+FFFD */
			if (n + k > room)
				break;
			n += k;
		}
		if (n == 0)
			n = len - i < 4 ? len - i : 4;
		if (i > 0 && buf_append(out, "\r\n ", 3) == -1)
			goto full;
		if (buf_append(out, pre, sizeof(pre) - 1) == -1 ||
		    mime_b64_encode(s + i, n, 0, out) == -1 ||
		    buf_append(out, "?=", 2) == -1)
			goto full;
		i += n;
	}
	return 0;
full:
	buf_truncate(out, start);
	return -1;
}
