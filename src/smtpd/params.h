/*
 * params.h: ESMTP parameters of MAIL FROM and RCPT TO (RFC 5321 §4.1.2).
 *
 * MAIL: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531), RET and
 * ENVID (RFC 3461 §4.3-4.4), AUTH (RFC 4954 §5). RCPT: NOTIFY and ORCPT
 * (RFC 3461 §4.1-4.2). Values are checked here and kept in their xtext
 * form, as the queue writes them and a relay passes them on unchanged; the
 * bounce code decodes them. Pure functions: no allocation, no I/O.
 */
#ifndef SMTPD_PARAMS_H
#define SMTPD_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#define SMTPD_ENVID_MAX	100	/* RFC 3461 §4.4 */
#define SMTPD_ORCPT_MAX	500	/* RFC 3461 §4.2 */
#define SMTPD_AUTHP_MAX	500	/* RFC 4954 §5, same bound as ORCPT */

enum smtpd_body {
	SMTPD_BODY_NONE,	/* not given */
	SMTPD_BODY_7BIT,
	SMTPD_BODY_8BITMIME,
};

enum smtpd_ret {
	SMTPD_RET_NONE,		/* not given */
	SMTPD_RET_FULL,
	SMTPD_RET_HDRS,
};

/* NOTIFY bits; 0 means the parameter was not given. */
#define SMTPD_NOTIFY_NEVER	0x01
#define SMTPD_NOTIFY_SUCCESS	0x02
#define SMTPD_NOTIFY_FAILURE	0x04
#define SMTPD_NOTIFY_DELAY	0x08

struct smtpd_mail_params {
	int		has_size;
	uint64_t	size;
	enum smtpd_body	body;
	int		smtputf8;
	enum smtpd_ret	ret;
	/* xtext as sent; "" when absent */
	char		envid[SMTPD_ENVID_MAX + 1];
	char		auth[SMTPD_AUTHP_MAX + 1];
};

struct smtpd_rcpt_params {
	unsigned	notify;
	char		orcpt[SMTPD_ORCPT_MAX + 1];	/* "type;xtext" or "" */
};

/*
 * Parse the text after the path: zero or more " KEY[=VALUE]" (s need not
 * be NUL-terminated). Returns 0 and fills *out, or -1 with *reply_out set
 * to a complete static reply line without CRLF ("501 5.5.4 ...", or
 * "555 5.5.4 ..." for an unknown or unsupported parameter, RFC 5321
 * §4.1.1.11).
 */
int smtpd_mail_params_parse(const char *s, size_t len,
    struct smtpd_mail_params *out, const char **reply_out);
int smtpd_rcpt_params_parse(const char *s, size_t len,
    struct smtpd_rcpt_params *out, const char **reply_out);

/* RFC 3461 §4: xtext = *( xchar / "+" 2HEXDIG ). */
int smtpd_xtext_valid(const char *s, size_t len);

#endif
