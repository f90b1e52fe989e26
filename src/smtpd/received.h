/*
 * received.h: the Received: trace field the server prepends to every
 * message it accepts (RFC 5321 §4.4, protocol names of RFC 3848 and
 * RFC 6531 §3.7.3). Pure formatting: the caller supplies the time.
 */
#ifndef SMTPD_RECEIVED_H
#define SMTPD_RECEIVED_H

#include <time.h>

#include "lib/buf.h"

struct smtpd_received {
	const char	*helo;		/* the HELO/EHLO argument */
	const char	*peer_name;	/* verified reverse name, or NULL */
	const char	*peer_addr;	/* "192.0.2.1" or "2001:db8::1" */
	const char	*hostname;	/* ours */
	const char	*protocol;	/* "ESMTPSA" ... */
	const char	*queue_id;	/* NULL or "" to leave out */
	const char	*rcpt;		/* the only recipient, or NULL */
	time_t		 when;
};

/* Appends the field, folded, ending in CRLF. 0, or -1 when out is full. */
int smtpd_received_format(struct buf *out, const struct smtpd_received *r);

/* Appends an RFC 5322 §3.3 date in UTC ("Fri, 27 Nov 2026 02:33:11 +0000"). */
int smtpd_date_format(struct buf *out, time_t when);

#endif
