/*
 * sent.h: copying a sent message to the account's Sent folder over IMAP
 * (`save_sent = yes | no | FOLDER` in the account config).
 */
#ifndef UA_SENT_H
#define UA_SENT_H

#include <stddef.h>

#include "ua/account.h"

/*
 * APPENDs msg[0..len) (CRLF lines) flagged \Seen to the folder with the
 * \Sent attribute (RFC 6154), else "Sent" (created when missing), or the
 * folder save_sent names (created when missing). Returns 1 with the
 * folder's name in where, 0 when there is nothing to do (no IMAP server,
 * save_sent = no), or -1 with a message in err.
 */
int ua_sent_save(struct ua_account *a, const char *msg, size_t len,
    char *where, size_t wlen, char *err, size_t errlen);

#endif
