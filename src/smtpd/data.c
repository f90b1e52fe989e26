/*
 * data.c: DATA/BDAT content scanning (see data.h). Runs in the smtp role
 * process, on every message byte: the common case (text inside a line
 * after the header) is copied in runs, not byte by byte.
 */
#include "smtpd/data.h"

#include <string.h>

#include "lib/buf.h"

enum {
	S_BOL,		/* at the start of a line (after CRLF) */
	S_DOT,		/* "." at the start of a line */
	S_DOTCR,	/* ".\r" at the start of a line */
	S_TEXT,		/* inside a line */
	S_CR,		/* a CR inside a line, held back */
};

enum {
	H_START,	/* at the start of a header line */
	H_CR,		/* a CR at the start of a line: maybe the empty line */
	H_SKIP,		/* rest of a line that cannot be Received: */
	H_MATCH,	/* matching "received:"; hmatch bytes so far */
};

static const char received[] = "received:";

void
smtpd_data_init(struct smtpd_data *d, int dot)
{
	memset(d, 0, sizeof(*d));
	d->dot = dot;
	d->state = S_BOL;
	d->in_header = 1;
	d->hstate = H_START;
}

/* Tracks header lines to count Received: fields (RFC 5321 §6.3). The
 * matched prefix length lives in the upper bits of hstate. */
static void
header_byte(struct smtpd_data *d, unsigned char c)
{
	int st = d->hstate & 0xff, k = d->hstate >> 8;

	switch (st) {
	case H_START:
		if (c == '\r') {
			d->hstate = H_CR;
			return;
		}
		if (c == '\n')
			return;
		k = 0;
		/* FALLTHROUGH */
	case H_MATCH:
		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) ==
		    (unsigned char)received[k]) {
			if (++k == (int)sizeof(received) - 1) {
				d->hops++;
				d->hstate = H_SKIP;
			} else
				d->hstate = H_MATCH | (k << 8);
			return;
		}
		d->hstate = c == '\n' ? H_START : H_SKIP;
		return;
	case H_CR:
		if (c == '\n') {
			d->in_header = 0;	/* the empty line */
			return;
		}
		d->hstate = H_SKIP;
		return;
	default:
		if (c == '\n')
			d->hstate = H_START;
		return;
	}
}

static void
emit(struct smtpd_data *d, struct buf *out, const char *p, size_t n)
{
	size_t i;

	/* Room was reserved by the caller's contract (len + 2). */
	memcpy(out->data + out->len, p, n);
	out->len += n;
	out->data[out->len] = '\0';
	d->size += n;
	if (d->in_header)
		for (i = 0; i < n && d->in_header; i++)
			header_byte(d, (unsigned char)p[i]);
}

/* Counts octets of a line, CRLF excluded (the limit includes it). */
static void
line_grow(struct smtpd_data *d, size_t n)
{
	d->linelen += n;
	if (d->linelen > SMTPD_TEXT_LINE_MAX - 2)
		d->problems |= SMTPD_DATA_LONG_LINE;
}

size_t
smtpd_data_scan(struct smtpd_data *d, const char *in, size_t len,
    struct buf *out)
{
	size_t i = 0;

	if (buf_reserve(out, len + 2) == -1)
		return 0;	/* caller broke the contract; consume nothing */
	while (i < len) {
		char c = in[i];

		switch (d->state) {
		case S_BOL:
			if (d->dot && c == '.') {
				/* §4.5.2: a leading dot is removed. */
				d->state = S_DOT;
				i++;
				continue;
			}
			d->state = S_TEXT;
			continue;
		case S_DOT:
			if (c == '\r') {
				d->state = S_DOTCR;
				i++;
				continue;
			}
			d->state = S_TEXT;
			continue;
		case S_DOTCR:
			if (c == '\n') {
				/* <CRLF>.<CRLF>: the end (§4.1.1.4). */
				d->done = 1;
				return i + 1;
			}
			/* ".\r" then something else: the CR is held back as
			 * if it were inside the line. */
			d->state = S_CR;
			continue;
		case S_CR:
			if (c == '\n') {
				emit(d, out, "\r\n", 2);
				d->linelen = 0;
				d->state = S_BOL;
				i++;
				continue;
			}
			d->problems |= SMTPD_DATA_BARE_CR;
			emit(d, out, "\r", 1);
			line_grow(d, 1);
			d->state = S_TEXT;
			continue;
		case S_TEXT: {
			size_t j = i;

			while (j < len && in[j] != '\r' && in[j] != '\n')
				j++;
			if (j > i) {
				emit(d, out, in + i, j - i);
				line_grow(d, j - i);
				i = j;
				continue;
			}
			if (c == '\r') {
				d->state = S_CR;
				i++;
				continue;
			}
			/* A bare LF: content, never a line start for the
			 * end-of-data rule (see data.h). */
			d->problems |= SMTPD_DATA_BARE_LF;
			emit(d, out, "\n", 1);
			d->linelen = 0;
			i++;
			continue;
		}
		}
	}
	return len;
}

void
smtpd_data_finish(struct smtpd_data *d, struct buf *out)
{
	if (d->state == S_CR) {
		d->problems |= SMTPD_DATA_BARE_CR;
		if (buf_reserve(out, 1) == 0)
			emit(d, out, "\r", 1);
		d->state = S_TEXT;
	}
}
