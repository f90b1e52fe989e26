/*
 * pop3.h: the user agent's POP3 client session (RFC 1939, STLS RFC 2595,
 * CAPA RFC 2449): USER/PASS login, one command at a time.
 */
#ifndef UA_POP3_H
#define UA_POP3_H

#include <stddef.h>

#include "lib/buf.h"
#include "ua/account.h"

/* RFC 2449 §4: responses up to 512 octets; be lenient. */
#define UA_POP3_LINE_MAX	8192

struct ua_pop3;

/*
 * Parses a status line: 1 for "+OK", 0 for "-ERR", -1 for anything else;
 * *text_out points past the indicator and its space.
 */
int ua_pop3_status(const char *line, size_t len, const char **text_out);

struct ua_pop3 *ua_pop3_open(struct ua_account *a, char *err, size_t errlen);
/* QUIT (which commits DELEs, RFC 1939 §6) and close; -1 if QUIT failed. */
int ua_pop3_quit(struct ua_pop3 **sp);
/* Closes without QUIT: the server then deletes nothing. */
void ua_pop3_abort(struct ua_pop3 **sp);

/*
 * Sends a command and reads its status line; with multi, also the
 * dot-terminated body (dot-unstuffed, CRLF ends) into body.
 * 0 for +OK, -1 for -ERR or an error (ua_pop3_error).
 */
int ua_pop3_cmd(struct ua_pop3 *s, int multi, struct buf *body,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The text of the last status line. */
const char *ua_pop3_text(const struct ua_pop3 *s);
const char *ua_pop3_error(const struct ua_pop3 *s);

#endif
