/*
 * summary.c: summary lines and header helpers of `postern` (summary.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "mime/addr.h"
#include "mime/date.h"
#include "mime/hdr.h"
#include "mime/rfc2047.h"
#include "ua/summary.h"

#define FIELD_MAX	(64 * 1024)

int
ua_header_get(const char *hdr, size_t hdrlen, const char *name, int decode,
    struct buf *out)
{
	struct mime_hdr_field f;
	struct buf tmp;
	size_t pos = 0;
	const char *es;

	while (mime_hdr_scan(hdr, hdrlen, &pos, &f) == 1) {
		if (!mime_hdr_field_is(&f, name))
			continue;
		if (!decode)
			return mime_hdr_unfold(f.raw, f.raw_len, out) == 0;
		buf_init(&tmp, FIELD_MAX);
		if (mime_hdr_unfold(f.raw, f.raw_len, &tmp) == 0)
			(void)mime_rfc2047_decode(buf_cstr(&tmp), tmp.len,
			    out, &es);
		buf_free(&tmp);
		return 1;
	}
	return 0;
}

void
ua_sender_text(const char *from, size_t len, struct buf *out)
{
	struct mime_addr_parser *p = mime_addr_parser_new(from, len);
	struct mime_addr a;
	const char *es;

	while (mime_addr_next(p, &a, &es) == 1) {
		if (a.kind != MIME_ADDR_MAILBOX)
			continue;
		if (a.name != NULL && *a.name != '\0')
			(void)mime_rfc2047_decode(a.name, strlen(a.name), out,
			    &es);
		else
			(void)mime_addr_spec_format(&a, out);
		break;
	}
	mime_addr_parser_free(&p);
}

/*
 * Terminal safety: mail must not drive the user's terminal. C0 controls
 * (ESC above all), DEL and the C1 controls U+0080-U+009F (which UTF-8
 * terminals may take as CSI) become spaces, or are dropped in text where
 * keep_lines keeps LF and TAB.
 */
static void
clean(struct buf *b, int keep_lines)
{
	size_t i, w = 0;

	for (i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];

		if (c == 0xc2 && i + 1 < b->len &&
		    (unsigned char)b->data[i + 1] >= 0x80 &&
		    (unsigned char)b->data[i + 1] <= 0x9f) {
			i++;
			c = ' ';
		} else if (keep_lines && (c == '\n' || c == '\t'))
			;
		else if (c < 0x20 || c == 0x7f) {
			if (keep_lines)
				continue;
			c = ' ';
		}
		b->data[w++] = (char)c;
	}
	buf_truncate(b, w);
}

void
ua_sanitize(struct buf *b)
{
	clean(b, 0);
}

void
ua_sanitize_text(struct buf *b)
{
	clean(b, 1);
}

/* Cuts b to at most width display columns (UTF-8 aware, roughly). */
static void
cut(struct buf *b, size_t width)
{
	size_t i, cols = 0;

	for (i = 0; i < b->len; i++) {
		if (((unsigned char)b->data[i] & 0xc0) == 0x80)
			continue;
		if (cols++ == width) {
			buf_truncate(b, i);
			return;
		}
	}
}

void
ua_summary_print(size_t num, unsigned flags, const char *hdr, size_t hdrlen,
    uint64_t size)
{
	struct buf from, subj, raw;
	char date[32] = "-", fl[4];
	time_t t;
	int tz;
	struct tm tm;
	const char *es;

	buf_init(&from, FIELD_MAX);
	buf_init(&subj, FIELD_MAX);
	buf_init(&raw, FIELD_MAX);
	if (ua_header_get(hdr, hdrlen, "Date", 0, &raw) == 1 &&
	    mime_date_parse(raw.data, raw.len, &t, &tz, &es) == 0 &&
	    localtime_r(&t, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	buf_reset(&raw);
	if (ua_header_get(hdr, hdrlen, "From", 0, &raw) == 1)
		ua_sender_text(raw.data, raw.len, &from);
	(void)ua_header_get(hdr, hdrlen, "Subject", 1, &subj);
	ua_sanitize(&from);
	ua_sanitize(&subj);
	fl[0] = flags & UA_MSG_NEW ? 'N' : '-';
	fl[1] = flags & UA_MSG_ANSWERED ? 'R' : '-';
	fl[2] = flags & UA_MSG_FLAGGED ? 'F' : '-';
	fl[3] = '\0';
	if (isatty(STDOUT_FILENO)) {
		struct winsize ws;
		size_t w = 80, fixed = 5 + 4 + 17 + 21 + 8, rest;

		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_col > 0)
			w = ws.ws_col;
		rest = w > fixed + 10 ? w - fixed : 10;
		cut(&from, 20);
		cut(&subj, rest);
		printf("%4zu %s %-16s %-20s %-*s %7llu\n", num, fl, date,
		    buf_cstr(&from), (int)rest, buf_cstr(&subj),
		    (unsigned long long)size);
	} else
		printf("%zu\t%s\t%s\t%s\t%s\t%llu\n", num, fl, date,
		    buf_cstr(&from), buf_cstr(&subj),
		    (unsigned long long)size);
	buf_free(&from);
	buf_free(&subj);
	buf_free(&raw);
}
