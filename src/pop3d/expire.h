/*
 * expire.h: when POP3 retrieved each message, for the server's expiry
 * policy (RFC 2449 §6.7 EXPIRE): with pop3_expire set, mail retrieved
 * that many days ago is deleted at the next login, whether or not the
 * client (fetchmail --keep, "leave on server") asked for it. The same
 * record marks the messages a pop3_leave_on_server user deleted over
 * POP3: "hidden", no longer listed to POP3 but kept in the INBOX.
 *
 * The record lives beside the folder's index in "postern-pop3-retrieved",
 * read and written only under the maildrop lock (maildrop.h), so it needs
 * no locking of its own. Its format is trivial text (STYLE §2: internal
 * formats stay trivial):
 *     postern-pop3-retrieved 2 UIDVALIDITY
 *     UID UNIXTIME          retrieved (or deleted) then
 *     UID UNIXTIME hidden   and deleted by POP3 in leave-on-server mode
 *     ...
 * Version 1 files (no "hidden") are read too. A record for another
 * UIDVALIDITY, or one that does not parse, counts as empty: the worst
 * outcome is mail kept longer, or listed to POP3 again, never mail lost.
 */
#ifndef POP3D_EXPIRE_H
#define POP3D_EXPIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POP3D_RETRIEVED_FILE	"postern-pop3-retrieved"
#define POP3D_RETRIEVED_MAX	(64u * 1024 * 1024)	/* bytes of the file */

struct pop3d_retrieved {
	uint32_t	 uid;
	int64_t		 when;		/* unix time of the first RETR */
	bool		 hidden;	/* POP3 DELE, leave on server */
};

/*
 * Parses a record for uidvalidity into *v_out (n_out entries sorted by
 * UID; the caller frees it). A UID listed twice keeps its earliest time,
 * and is hidden when either line says so. A wrong UIDVALIDITY or bad
 * text gives none. Pure.
 */
void pop3d_retrieved_parse(const char *text, size_t len, uint32_t uidvalidity,
    struct pop3d_retrieved **v_out, size_t *n_out);
/* Formats v (n entries) as the file's text into *text_out (the caller
 * frees it) and *len_out. Pure. */
void pop3d_retrieved_format(uint32_t uidvalidity,
    const struct pop3d_retrieved *v, size_t n, char **text_out,
    size_t *len_out);

/* Reads dir's record (absent: none). 0, or -1 when it cannot be read. */
int pop3d_retrieved_load(const char *dir, uint32_t uidvalidity,
    struct pop3d_retrieved **v_out, size_t *n_out);
/* Replaces dir's record durably (temp file, fsync, rename). 0 or -1. */
int pop3d_retrieved_save(const char *dir, uint32_t uidvalidity,
    const struct pop3d_retrieved *v, size_t n);

/* The entry for uid in v (sorted), or NULL. */
const struct pop3d_retrieved *pop3d_retrieved_find(
    const struct pop3d_retrieved *v, size_t n, uint32_t uid);

#endif
