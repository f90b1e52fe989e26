/*
 * smtp.h: the user agent's message submission (RFC 6409) through the
 * shared SMTP client engine (src/smtpc/client.h) over the UA's blocking
 * connection (conn.h): STARTTLS (RFC 3207) or implicit TLS as the account
 * says, AUTH PLAIN (RFC 4954).
 */
#ifndef UA_SMTP_H
#define UA_SMTP_H

#include <stddef.h>

#include "ua/account.h"

/* Longest server line read (the engine itself allows 1024 octets). */
#define UA_SMTP_LINE_MAX	4096

enum ua_smtp_result {
	UA_SMTP_OK = 0,
	UA_SMTP_TEMPFAIL = 1,	/* unreachable, 4xx, broken connection */
	UA_SMTP_PERMFAIL = 2,	/* 5xx, authentication refused, TLS policy */
	UA_SMTP_PARTIAL = 3,	/* accepted for some recipients, refused
				 * for others: do not send it again */
};

/*
 * Submits msg[0..len) from the envelope sender to nrcpt recipients.
 * Returns an enum ua_smtp_result with a message in err: the server's
 * final reply when OK, else what went wrong (for each refused recipient).
 * The password (a->user set) is fetched before connecting.
 */
enum ua_smtp_result ua_smtp_submit(struct ua_account *a, const char *from,
    char *const *rcpts, size_t nrcpt, const char *msg, size_t len,
    char *err, size_t errlen);

#endif
