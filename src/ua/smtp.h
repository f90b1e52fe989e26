/*
 * smtp.h: the user agent's small blocking submission client (RFC 6409,
 * RFC 5321, RFC 3207 STARTTLS, RFC 4954 AUTH PLAIN/LOGIN).
 *
 * TODO: move onto the shared SMTP client engine in src/smtpc once it
 * lands; this one exists because the UA needed to send before it did.
 */
#ifndef UA_SMTP_H
#define UA_SMTP_H

#include <stddef.h>

#include "ua/account.h"

/* RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; be lenient. */
#define UA_SMTP_LINE_MAX	4096
#define UA_SMTP_REPLY_LINES_MAX	200

enum ua_smtp_result {
	UA_SMTP_OK = 0,
	UA_SMTP_TEMPFAIL = 1,	/* unreachable, 4xx, broken connection */
	UA_SMTP_PERMFAIL = 2,	/* 5xx, authentication refused, TLS policy */
};

/*
 * Parses one reply line: 0 with *code_out and *last_out (no '-' after the
 * code), or -1 when it is not "DDD", "DDD text" or "DDD-text".
 */
int ua_smtp_reply_line(const char *line, size_t len, int *code_out,
    int *last_out);

/*
 * Submits msg[0..len) from the envelope sender to nrcpt recipients.
 * Returns an enum ua_smtp_result with a message in err.
 */
enum ua_smtp_result ua_smtp_submit(struct ua_account *a, const char *from,
    char *const *rcpts, size_t nrcpt, const char *msg, size_t len,
    char *err, size_t errlen);

#endif
