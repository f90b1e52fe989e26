/*
 * codec.h: base64 (RFC 2045 §6.8) and quoted-printable (RFC 2045 §6.7).
 *
 * Pure functions on bytes in memory; no I/O. Decoders append to a struct buf
 * and fail with -1 only when the buffer's max would be passed or, in strict
 * mode, when the input is not valid. Streaming decoders keep their carry in a
 * small state struct whose fields are private to codec.c.
 */
#ifndef MIME_CODEC_H
#define MIME_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* RFC 2045 §6.8 and §6.7: encoded lines are at most 76 characters. */
#define MIME_CODEC_LINE_MAX	76

enum mime_b64_flags {
	MIME_B64_LENIENT = 0,	/* skip bad characters, ignore a dangling tail */
	MIME_B64_STRICT = 1,	/* only the alphabet, line breaks and padding */
};

/* Streaming base64 decoder state; fields are private. */
struct mime_b64_dec {
	uint32_t	acc;
	unsigned	n;	/* sextets held in acc */
	unsigned	pad;	/* '=' seen */
	int		flags;
	int		bad;	/* strict mode saw an error */
};

void mime_b64_dec_init(struct mime_b64_dec *d, int flags);
/*
 * Decodes len bytes of input and appends what they complete to out. Any
 * chunking gives the same result. Returns 0, or -1 with *errstr_out set
 * (strict mode: a byte outside the alphabet or data after padding; any
 * mode: out is full).
 */
int mime_b64_dec_push(struct mime_b64_dec *d, const char *in, size_t len,
    struct buf *out, const char **errstr_out);
/* Ends the input: 0, or -1 in strict mode for a truncated final quantum. */
int mime_b64_dec_finish(struct mime_b64_dec *d, struct buf *out,
    const char **errstr_out);
/* One-shot decode; same contract as push + finish. */
int mime_b64_decode(const char *in, size_t len, int flags, struct buf *out,
    const char **errstr_out);

/*
 * Appends the base64 encoding of in to out, a CRLF after every line_len
 * output characters (line_len 0: one unbroken line; otherwise rounded down
 * to a multiple of 4) and after the last line when line_len != 0.
 * Returns 0, or -1 when out would pass its max (out is then unchanged).
 */
int mime_b64_encode(const void *in, size_t len, size_t line_len,
    struct buf *out);
/* Streaming base64 encoder, same output as mime_b64_encode on the whole. */
struct mime_b64_enc {
	unsigned char	carry[3];
	size_t		ncarry;
	size_t		col;
	size_t		line_len;
};

void mime_b64_enc_init(struct mime_b64_enc *e, size_t line_len);
/* 0, or -1 when out is full (out may then hold part of the output). */
int mime_b64_enc_push(struct mime_b64_enc *e, const void *in, size_t len,
    struct buf *out);
int mime_b64_enc_finish(struct mime_b64_enc *e, struct buf *out);

/* Length of the base64 encoding of n bytes, without line breaks. */
size_t mime_b64_encoded_len(size_t n);

/*
 * Quoted-printable decode (lenient, as RFC 2045 §6.7 note 1 suggests):
 * "=XX" (either case) becomes a byte, "=" before a line end is a soft break,
 * trailing white space on a line is dropped, a stray "=" is kept as is.
 * Line ends are kept as they appear in the input. With header != 0 it is
 * the RFC 2047 "Q" variant: "_" means a space and there are no lines.
 * Returns 0, or -1 when out is full.
 */
int mime_qp_decode(const char *in, size_t len, int header, struct buf *out,
    const char **errstr_out);

/*
 * Streaming quoted-printable body decoder: any chunking gives the result of
 * mime_qp_decode on the whole. It holds back only what the next bytes may
 * change (trailing white space, an '=' and up to two characters after it),
 * at most MIME_QP_CARRY_MAX bytes; a longer run of trailing white space is
 * decoded as data. Fields are private.
 */
#define MIME_QP_CARRY_MAX	1024

struct mime_qp_dec {
	char	carry[MIME_QP_CARRY_MAX + 3];
	size_t	ncarry;
};

void mime_qp_dec_init(struct mime_qp_dec *d);
/* 0, or -1 when out is full. */
int mime_qp_dec_push(struct mime_qp_dec *d, const char *in, size_t len,
    struct buf *out, const char **errstr_out);
int mime_qp_dec_finish(struct mime_qp_dec *d, struct buf *out,
    const char **errstr_out);

enum mime_qp_flags {
	MIME_QP_TEXT = 0,	/* input line breaks (LF or CRLF) become CRLF */
	MIME_QP_BINARY = 1,	/* CR and LF are encoded as =0D =0A */
};
/*
 * Quoted-printable encode. Output lines are at most 76 characters
 * (soft breaks "=" CRLF), trailing white space is encoded, "From " and a
 * lone "." at a line start are protected. Output ends without a final
 * CRLF unless the input ended with a line break. 0, or -1 when out is full.
 */
int mime_qp_encode(const void *in, size_t len, int flags, struct buf *out);

#endif
