/*
 * imap.h: the user agent's IMAP4rev1 client session (RFC 3501): connect,
 * implicit TLS or STARTTLS (§6.2.1), LOGIN, then one command at a time
 * with its untagged responses kept for the caller to walk.
 */
#ifndef UA_IMAP_H
#define UA_IMAP_H

#include <stddef.h>

#include "lib/buf.h"
#include "ua/account.h"
#include "ua/imapresp.h"

#define UA_IMAP_LINE_MAX	(1024 * 1024)
/* RFC 2177 §3: re-issue IDLE at least every 29 minutes. */
#define UA_IMAP_PROGRESS_STEP	(64 * 1024)
#define UA_IMAP_IDLE_MAX_S	(25 * 60)

struct ua_imap;

/* Connects and logs in. NULL with a message in err. */
struct ua_imap *ua_imap_open(struct ua_account *a, char *err, size_t errlen);
/*
 * Reports the progress of literals of UA_IMAP_PROGRESS_STEP bytes or more
 * as "progress DONE TOTAL" lines on fd (-1: off, the default).
 */
void ua_imap_set_progress(struct ua_imap *s, int fd);
/* LOGOUT and close. */
void ua_imap_close(struct ua_imap **sp);

/*
 * Sends "TAG <command>" and reads until the tagged reply. Returns 0 for
 * OK, -1 for NO, BAD or a broken connection (ua_imap_error says which).
 * The untagged responses stay available until the next command.
 */
int ua_imap_cmd(struct ua_imap *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * APPEND (RFC 3501 §6.3.11) of msg[0..len) (CRLF lines) to mailbox_arg,
 * an IMAP mailbox argument (ua_imap_mailbox_arg), with flags such as
 * "\\Seen". 0, or -1 (ua_imap_error says why).
 */
int ua_imap_append(struct ua_imap *s, const char *mailbox_arg,
    const char *flags, const char *msg, size_t len);
size_t ua_imap_nresp(const struct ua_imap *s);
const struct ua_imap_resp *ua_imap_resp_at(const struct ua_imap *s,
    size_t i);
const char *ua_imap_error(const struct ua_imap *s);
/* True when the server announced the capability (e.g. "IDLE", "MOVE"). */
int ua_imap_has_cap(const struct ua_imap *s, const char *cap);

/*
 * Selects a folder given as a UA path ("Lists/postern", NULL: INBOX),
 * read-only with EXAMINE. *exists_out: messages in it. 0 or -1.
 */
int ua_imap_select(struct ua_imap *s, const char *folder, int readonly,
    size_t *exists_out);
/* Appends the folder's IMAP quoted name (delimiter mapped from "/"). */
int ua_imap_mailbox_arg(struct ua_imap *s, const char *folder,
    struct buf *out);
/* The hierarchy delimiter the server reported ('\0' for flat). */
char ua_imap_delimiter(const struct ua_imap *s);
/* Appends s as an IMAP quoted string. */
int ua_imap_quote(const char *s, struct buf *out);

/*
 * IDLE (RFC 2177) for at most seconds: returns 1 when the server reported
 * new messages (EXISTS), 0 after the time ran out, -1 on error. The caller
 * checks ua_imap_has_cap(s, "IDLE") first.
 */
int ua_imap_idle(struct ua_imap *s, int seconds);

/* The "* N FETCH (...)" responses: 1 with the number and the list. */
int ua_imap_fetch_resp(const struct ua_imap_resp *r, size_t *num_out,
    const struct ua_imap_node **list_out);

#endif
