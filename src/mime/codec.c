/*
 * codec.c: base64 (RFC 2045 §6.8) and quoted-printable (RFC 2045 §6.7,
 * RFC 2047 §4.2 "Q") encoders and decoders. Used by every process that
 * reads or writes message bodies; no I/O.
 *
 * The base64 decoder is table driven: a fast loop takes four alphabet
 * characters at a time and falls back to a per-byte loop for line breaks,
 * padding and junk.
 */
#include "lib/util.h"
#include "mime/codec.h"

#include <string.h>

#define B64_PAD	0xfe
#define B64_WS	0xfd
#define B64_BAD	0xff

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Sextet value of each byte, or B64_PAD / B64_WS / B64_BAD. */
static const unsigned char b64_value[256] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, 0xfd, 0xff,
	0xff, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3e, 0xff, 0xff, 0xff, 0x3f,
	0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0xff, 0xff,
	0xff, 0xfe, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
	0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
	0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
	0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
	0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff,
};

static const char hexdigits[] = "0123456789ABCDEF";

void
mime_b64_dec_init(struct mime_b64_dec *d, int flags)
{
	memset(d, 0, sizeof(*d));
	d->flags = flags;
}

static int
b64_fail(struct mime_b64_dec *d, const char *why, const char **errstr_out)
{
	d->bad = 1;
	if (errstr_out != NULL)
		*errstr_out = why;
	return -1;
}

int
mime_b64_dec_push(struct mime_b64_dec *d, const char *in, size_t len,
    struct buf *out, const char **errstr_out)
{
	const unsigned char *p = (const unsigned char *)in;
	const unsigned char *end = p + len;
	unsigned char *o;
	int strict = d->flags & MIME_B64_STRICT;

	if (d->bad)
		return b64_fail(d, "base64: earlier error", errstr_out);
	if (buf_reserve(out, len / 4 * 3 + 3) == -1)
		return b64_fail(d, "base64: output too large", errstr_out);
	o = (unsigned char *)out->data + out->len;

	while (p < end) {
		unsigned v;

		if (d->n == 0 && d->pad == 0) {
			/* Fast path: whole quanta of alphabet characters. */
			while (end - p >= 4) {
				unsigned a = b64_value[p[0]], b = b64_value[p[1]];
				unsigned c = b64_value[p[2]], e = b64_value[p[3]];

				if ((a | b | c | e) & 0xc0)
					break;
				v = a << 18 | b << 12 | c << 6 | e;
				o[0] = v >> 16;
				o[1] = v >> 8;
				o[2] = v;
				o += 3;
				p += 4;
			}
			if (p == end)
				break;
		}
		v = b64_value[*p++];
		if (v < 64) {
			if (d->pad) {
				if (strict) {
					out->len = (char *)o - out->data;
					return b64_fail(d,
					    "base64: data after padding",
					    errstr_out);
				}
				continue;	/* as binascii: stop at padding */
			}
			d->acc = d->acc << 6 | v;
			if (++d->n == 4) {
				o[0] = d->acc >> 16;
				o[1] = d->acc >> 8;
				o[2] = d->acc;
				o += 3;
				d->n = 0;
				d->acc = 0;
			}
		} else if (v == B64_PAD) {
			if (d->pad) {
				/* d->pad counts the '=' still owed, plus one. */
				if (d->pad > 1)
					d->pad--;
				else if (strict) {
					out->len = (char *)o - out->data;
					return b64_fail(d,
					    "base64: too much padding", errstr_out);
				}
				continue;
			}
			if (d->n < 2) {
				if (strict) {
					out->len = (char *)o - out->data;
					return b64_fail(d,
					    "base64: misplaced padding", errstr_out);
				}
				continue;
			}
			if (d->n == 2) {
				*o++ = d->acc >> 4;
				d->pad = 2;	/* one more '=' owed */
			} else {
				*o++ = d->acc >> 10;
				*o++ = d->acc >> 2;
				d->pad = 1;
			}
			d->n = 0;
			d->acc = 0;
		} else if (v == B64_BAD && strict) {
			out->len = (char *)o - out->data;
			return b64_fail(d, "base64: invalid character",
			    errstr_out);
		}
	}
	out->len = (char *)o - out->data;
	out->data[out->len] = '\0';
	return 0;
}

int
mime_b64_dec_finish(struct mime_b64_dec *d, struct buf *out,
    const char **errstr_out)
{
	unsigned char tail[2];
	size_t n = 0;

	if (d->bad)
		return b64_fail(d, "base64: earlier error", errstr_out);
	if (d->flags & MIME_B64_STRICT) {
		if (d->n != 0 || d->pad > 1)
			return b64_fail(d, "base64: truncated input",
			    errstr_out);
		return 0;
	}
	/* Lenient: decode a tail as if it were padded (Python's decode_b). */
	if (d->n == 2)
		tail[n++] = d->acc >> 4;
	else if (d->n == 3) {
		tail[n++] = d->acc >> 10;
		tail[n++] = d->acc >> 2;
	}
	d->n = 0;
	d->acc = 0;
	if (n > 0 && buf_append(out, tail, n) == -1)
		return b64_fail(d, "base64: output too large", errstr_out);
	return 0;
}

int
mime_b64_decode(const char *in, size_t len, int flags, struct buf *out,
    const char **errstr_out)
{
	struct mime_b64_dec d;
	size_t olen = out->len;

	mime_b64_dec_init(&d, flags);
	if (mime_b64_dec_push(&d, in, len, out, errstr_out) == -1 ||
	    mime_b64_dec_finish(&d, out, errstr_out) == -1) {
		buf_truncate(out, olen);
		return -1;
	}
	return 0;
}

size_t
mime_b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

int
mime_b64_encode(const void *in, size_t len, size_t line_len,
    struct buf *out)
{
	const unsigned char *p = in;
	size_t enc = mime_b64_encoded_len(len), need, col = 0;
	char *o;

	line_len -= line_len % 4;
	need = enc;
	if (line_len > 0)
		need += (enc / line_len + 1) * 2;
	if (buf_reserve(out, need) == -1)
		return -1;
	o = out->data + out->len;
	while (len > 0) {
		uint32_t v = (uint32_t)p[0] << 16;

		if (len > 1)
			v |= (uint32_t)p[1] << 8;
		if (len > 2)
			v |= p[2];
		o[0] = b64_alphabet[v >> 18 & 63];
		o[1] = b64_alphabet[v >> 12 & 63];
		o[2] = len > 1 ? b64_alphabet[v >> 6 & 63] : '=';
		o[3] = len > 2 ? b64_alphabet[v & 63] : '=';
		o += 4;
		p += len > 3 ? 3 : len;
		len -= len > 3 ? 3 : len;
		col += 4;
		if (line_len > 0 && col >= line_len && len > 0) {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
	}
	if (line_len > 0 && col > 0) {
		*o++ = '\r';
		*o++ = '\n';
	}
	out->len = o - out->data;
	out->data[out->len] = '\0';
	return 0;
}

/*
 * The decoder proper. final == 0 (streaming): a last line without its line
 * end may still change, so it stops before its trailing white space and
 * before an '=' with fewer than two characters after it; *used_out says
 * how far it got. Everything before that decodes as it will in the end.
 */
static int
qp_run(const char *in, size_t len, int header, int final, struct buf *out,
    size_t *used_out)
{
	const char *p = in, *end = in + len;
	char *o;

	*used_out = len;
	if (buf_reserve(out, len) == -1)
		return -1;
	o = out->data + out->len;
	while (p < end) {
		const char *nl = header ? NULL : memchr(p, '\n', end - p);
		const char *le = nl != NULL ? nl : end;	/* line content end */
		const char *q;
		int soft = 0, partial = nl == NULL && !final;

		if (nl != NULL && le > p && le[-1] == '\r')
			le--;
		/* RFC 2045 §6.7 (3): trailing white space is not data. */
		if (!header)
			while (le > p && (le[-1] == ' ' || le[-1] == '\t' ||
			    (partial && le[-1] == '\r')))
				le--;
		for (q = p; q < le; q++) {
			int h, l;

			if (*q == '_' && header) {
				*o++ = ' ';
				continue;
			}
			if (*q != '=') {
				*o++ = *q;
				continue;
			}
			if (partial && q + 2 >= le) {
				le = q;	/* wait for what follows */
				break;
			}
			if (q + 1 == le && !header) {
				soft = 1;	/* soft line break */
				break;
			}
			if (q + 2 < le && (h = hex_digit(q[1])) >= 0 &&
			    (l = hex_digit(q[2])) >= 0) {
				*o++ = (char)(h << 4 | l);
				q += 2;
				continue;
			}
			*o++ = '=';	/* stray '=': keep it (§6.7 note 1) */
		}
		if (partial)
			*used_out = (size_t)(le - in);
		if (nl == NULL)
			break;
		if (!soft) {
			/* Keep the line end as the input had it. */
			if (nl > p && nl[-1] == '\r')
				*o++ = '\r';
			*o++ = '\n';
		}
		p = nl + 1;
	}
	out->len = o - out->data;
	out->data[out->len] = '\0';
	return 0;
}

void
mime_b64_enc_init(struct mime_b64_enc *e, size_t line_len)
{
	memset(e, 0, sizeof(*e));
	e->line_len = line_len - line_len % 4;
}

/* Encodes whole groups of three, keeping the line position across calls. */
static int
b64_enc_groups(struct mime_b64_enc *e, const unsigned char *p, size_t n,
    struct buf *out)
{
	size_t groups = n / 3, need = groups * 4;
	char *o;

	if (e->line_len > 0)
		need += (need / e->line_len + 1) * 2;
	if (buf_reserve(out, need) == -1)
		return -1;
	o = out->data + out->len;
	for (; groups > 0; groups--, p += 3) {
		uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

		if (e->line_len > 0 && e->col >= e->line_len) {
			*o++ = '\r';
			*o++ = '\n';
			e->col = 0;
		}
		o[0] = b64_alphabet[v >> 18 & 63];
		o[1] = b64_alphabet[v >> 12 & 63];
		o[2] = b64_alphabet[v >> 6 & 63];
		o[3] = b64_alphabet[v & 63];
		o += 4;
		e->col += 4;
	}
	out->len = o - out->data;
	out->data[out->len] = '\0';
	return 0;
}

int
mime_b64_enc_push(struct mime_b64_enc *e, const void *in, size_t len,
    struct buf *out)
{
	const unsigned char *p = in;
	size_t whole;

	while (e->ncarry > 0 && e->ncarry < 3 && len > 0) {
		e->carry[e->ncarry++] = *p++;
		len--;
	}
	if (e->ncarry == 3) {
		if (b64_enc_groups(e, e->carry, 3, out) == -1)
			return -1;
		e->ncarry = 0;
	}
	whole = len - len % 3;
	if (b64_enc_groups(e, p, whole, out) == -1)
		return -1;
	memcpy(e->carry + e->ncarry, p + whole, len - whole);
	e->ncarry += len - whole;
	return 0;
}

int
mime_b64_enc_finish(struct mime_b64_enc *e, struct buf *out)
{
	int r = 0;

	if (e->ncarry > 0) {
		if (e->line_len > 0 && e->col >= e->line_len) {
			r |= buf_puts(out, "\r\n");
			e->col = 0;
		}
		r |= mime_b64_encode(e->carry, e->ncarry, 0, out);
		e->col += 4;
		e->ncarry = 0;
	}
	if (e->line_len > 0 && e->col > 0)
		r |= buf_puts(out, "\r\n");
	e->col = 0;
	return r;
}

int
mime_qp_decode(const char *in, size_t len, int header, struct buf *out,
    const char **errstr_out)
{
	size_t used;

	if (qp_run(in, len, header, 1, out, &used) == -1) {
		if (errstr_out != NULL)
			*errstr_out = "quoted-printable: output too large";
		return -1;
	}
	return 0;
}

void
mime_qp_dec_init(struct mime_qp_dec *d)
{
	d->ncarry = 0;
}

int
mime_qp_dec_push(struct mime_qp_dec *d, const char *in, size_t len,
    struct buf *out, const char **errstr_out)
{
	struct buf tmp;
	int r = 0;

	while (len > 0 && r == 0) {
		const char *nl = memchr(in, '\n', len), *src = in;
		size_t take = nl != NULL ? (size_t)(nl + 1 - in) : len;
		size_t n = take, used, rest;

		buf_init(&tmp, d->ncarry + take);
		if (d->ncarry > 0) {
			/* Cannot fail: tmp's max is exactly this. */
			buf_append(&tmp, d->carry, d->ncarry);
			buf_append(&tmp, in, take);
			src = tmp.data;
			n = tmp.len;
		}
		r = qp_run(src, n, 0, 0, out, &used);
		rest = n - used;
		if (r == 0 && rest > MIME_QP_CARRY_MAX) {
			/* A silly run of white space: take it as data. */
			r = buf_append(out, src + used, rest -
			    MIME_QP_CARRY_MAX);
			used += rest - MIME_QP_CARRY_MAX;
			rest = MIME_QP_CARRY_MAX;
		}
		memmove(d->carry, src + used, rest);
		d->ncarry = rest;
		buf_free(&tmp);
		in += take;
		len -= take;
	}
	if (r == -1 && errstr_out != NULL)
		*errstr_out = "quoted-printable: output too large";
	return r;
}

int
mime_qp_dec_finish(struct mime_qp_dec *d, struct buf *out,
    const char **errstr_out)
{
	int r = mime_qp_decode(d->carry, d->ncarry, 0, out, errstr_out);

	d->ncarry = 0;
	return r;
}

/* Appends one encoded or literal token to a QP line, breaking softly. */
static void
qp_put(char **op, size_t *col, const char *tok, size_t n)
{
	char *o = *op;

	if (*col + n > MIME_CODEC_LINE_MAX - 1) {
		*o++ = '=';
		*o++ = '\r';
		*o++ = '\n';
		*col = 0;
	}
	memcpy(o, tok, n);
	*op = o + n;
	*col += n;
}

int
mime_qp_encode(const void *in, size_t len, int flags, struct buf *out)
{
	const unsigned char *p = in, *end = p + len;
	size_t col = 0;
	char *o;

	/* Worst case: every byte as =XX, plus a soft break per 25 bytes. */
	if (len > (SIZE_MAX - 16) / 4 || buf_reserve(out, len * 4 + 16) == -1)
		return -1;
	o = out->data + out->len;
	for (; p < end; p++) {
		unsigned char c = *p;
		char tok[3];
		int lit;

		if (!(flags & MIME_QP_BINARY) && (c == '\n' ||
		    (c == '\r' && p + 1 < end && p[1] == '\n'))) {
			if (c == '\r')
				p++;
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			continue;
		}
		lit = (c >= 33 && c <= 126 && c != '=') || c == ' ' ||
		    c == '\t';
		if (c == ' ' || c == '\t') {
			/* Trailing white space must be encoded. */
			const unsigned char *n = p + 1;

			if (n == end || *n == '\n' || *n == '\r')
				lit = 0;
		}
		if (col == 0 && c == '.' && (p + 1 == end || p[1] == '\n' ||
		    p[1] == '\r'))
			lit = 0;	/* SMTP dot-stuffing hazard */
		if (col == 0 && c == 'F' && end - p >= 5 &&
		    memcmp(p, "From ", 5) == 0)
			lit = 0;	/* mbox "From " hazard */
		if (lit) {
			tok[0] = c;
			qp_put(&o, &col, tok, 1);
		} else {
			tok[0] = '=';
			tok[1] = hexdigits[c >> 4];
			tok[2] = hexdigits[c & 15];
			qp_put(&o, &col, tok, 3);
		}
	}
	out->len = o - out->data;
	out->data[out->len] = '\0';
	return 0;
}
