/*
 * data.h: the message content scanner for DATA and BDAT (RFC 5321 §4.1.4,
 * §4.5.2; RFC 3030).
 *
 * Takes the bytes after "354" (DATA) or of a BDAT chunk, removes dot
 * stuffing, finds the end of DATA, and checks what the session must refuse
 * after the end: bare CR or LF, text lines over 1000 octets, and too many
 * Received: header fields (a mail loop). No allocation beyond the caller's
 * buffer, no I/O.
 *
 * SMTP smuggling (CVE-2023-51764/5/6): only <CRLF>.<CRLF> ends DATA. A dot
 * line after a bare LF ("\n.\r\n", "\n.\n") or ended by a bare LF
 * ("\r\n.\n") is content, and the bare LF marks the whole message for
 * rejection, so no byte sequence can end the message here at a place where
 * a lenient peer saw none, or the reverse.
 */
#ifndef SMTPD_DATA_H
#define SMTPD_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

/* RFC 5321 §4.5.3.1.6: a text line, CRLF included. */
#define SMTPD_TEXT_LINE_MAX	1000
#define SMTPD_MAX_HOPS		100	/* RFC 5321 §6.3: Received: fields */

/* Problems found in the content (smtpd_data.problems). */
#define SMTPD_DATA_BARE_LF	0x01
#define SMTPD_DATA_BARE_CR	0x02
#define SMTPD_DATA_LONG_LINE	0x04

struct smtpd_data {
	int		 dot;		/* DATA (dot-terminated) vs BDAT */
	int		 state;
	size_t		 linelen;	/* octets of the current line */
	int		 in_header;	/* still in the header section */
	int		 hstate;	/* Received: matcher */
	unsigned	 hops;		/* Received: fields seen */
	unsigned	 problems;	/* SMTPD_DATA_* */
	uint64_t	 size;		/* content octets produced */
	int		 done;		/* DATA: the final dot was read */
};

/* Starts a message; dot is 1 for DATA, 0 for BDAT. */
void smtpd_data_init(struct smtpd_data *d, int dot);

/*
 * Scans up to len bytes of input and appends the content to out, which
 * must have room for len + 2 more bytes (the scanner may hold back a CR
 * and release it with the next call). Returns the bytes consumed: all of
 * them, or fewer when DATA ended (d->done set; the rest is the next
 * command). Calling it after d->done is a bug.
 */
size_t smtpd_data_scan(struct smtpd_data *d, const char *in, size_t len,
    struct buf *out);

/* Ends a BDAT message (BDAT LAST): a CR held back is a bare CR. */
void smtpd_data_finish(struct smtpd_data *d, struct buf *out);

#endif
