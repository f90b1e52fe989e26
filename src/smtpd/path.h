/*
 * path.h: RFC 5321 reverse-path and forward-path parsing (§4.1.2).
 *
 * One small parser for "<local@domain>" as it appears after MAIL FROM: and
 * RCPT TO:, kept behind smtpd_path_parse() so the general address API of the
 * MIME library can replace it later. Pure function: no allocation, no I/O.
 */
#ifndef SMTPD_PATH_H
#define SMTPD_PATH_H

#include <stddef.h>

/* RFC 5321 §4.5.3.1.1-3: octets in a local part, a domain, a path (with
 * its angle brackets). */
#define SMTPD_LOCAL_MAX		64
#define SMTPD_DOMAIN_MAX	255
#define SMTPD_PATH_MAX		256

/* Flags for smtpd_path_parse. */
#define SMTPD_PATH_NULL_OK	0x01	/* "<>" is allowed (MAIL FROM) */
#define SMTPD_PATH_UTF8		0x02	/* UTF-8 allowed (RFC 6531 SMTPUTF8) */
#define SMTPD_PATH_POSTMASTER	0x04	/* "<Postmaster>" allowed (RCPT TO) */

enum smtpd_path_err {
	SMTPD_PATH_OK = 0,
	SMTPD_PATH_SYNTAX,	/* not a path */
	SMTPD_PATH_TOOLONG,	/* past a §4.5.3.1 limit */
	SMTPD_PATH_8BIT,	/* non-ASCII, no SMTPUTF8 (RFC 6531 §3.5) */
};

struct smtpd_path {
	/* The mailbox without brackets or source route ("" for "<>");
	 * NUL-terminated. */
	char	mailbox[SMTPD_PATH_MAX + 1];
	size_t	local_len;	/* bytes of the local part in mailbox */
	/* Offset of the domain in mailbox, or 0 for "<>" / "<Postmaster>". */
	size_t	domain_off;
	int	utf8;		/* mailbox holds non-ASCII octets */
};

/*
 * Parses a path at the start of s (len bytes, need not be NUL-terminated).
 * On SMTPD_PATH_OK, fills *out and sets *consumed_out to the bytes used
 * (the closing '>' included); the caller parses what follows (parameters).
 * A source route ("<@a,@b:user@d>", §4.1.2 and Appendix C) is accepted and
 * dropped. Returns an error code and leaves *out undefined otherwise.
 */
enum smtpd_path_err smtpd_path_parse(const char *s, size_t len,
    unsigned flags, struct smtpd_path *out, size_t *consumed_out);

/* A short English description of err, for replies. */
const char *smtpd_path_strerror(enum smtpd_path_err err);

#endif
