/*
 * maildrop.h: a POP3 session's view of the store: the user's INBOX,
 * locked for the session, listed once at login (RFC 1939 §8: the
 * maildrop is fixed for the session), read by UID, and changed at QUIT.
 *
 * Locking: flock(2) on "postern-pop3.lock" in the folder's directory, so
 * a second POP3 session for the same maildrop, in this or any process,
 * gets 0 (-ERR [IN-USE]). IMAP sessions and deliveries are not held off:
 * message numbers still never shift, because the list is a snapshot, and
 * a message expunged meanwhile reads as gone.
 *
 * Sizes: POP3 counts the CRLF form (msgout.h), which equals the file size
 * only when every line ends in CRLF, so each message is scanned once;
 * a per-process cache keyed by the message's unique Maildir name (which
 * never changes content) makes later logins cheap.
 *
 * Runs in the pop3 role process; does blocking file and SQLite I/O.
 */
#ifndef POP3D_MAILDROP_H
#define POP3D_MAILDROP_H

#include <stddef.h>
#include <stdint.h>

#include "pop3d/session.h"

struct store;
struct pop3d_maildrop;
struct pop3d_sizecache;

#define POP3D_LOCK_FILE		"postern-pop3.lock"
#define POP3D_SIZECACHE_SLOTS	65536	/* direct-mapped, ~1.5 MB */

struct pop3d_sizecache *pop3d_sizecache_new(void);
void pop3d_sizecache_free(struct pop3d_sizecache **cp);

/*
 * Opens, locks and lists the INBOX of user (normal form). 1 and
 * *md_out, *msgs_out (n_out entries in UID order; the caller frees it)
 * and *uidvalidity_out; 0 when another session holds the lock; -1 on
 * store trouble (*errstr_out). cache may be NULL. expire_days >= 0
 * first expunges mail POP3 retrieved that many days ago or more
 * (expire.h); -1 keeps everything.
 */
int pop3d_maildrop_open(struct store *store, struct pop3d_sizecache *cache,
    const char *user, int expire_days, struct pop3d_maildrop **md_out,
    struct pop3d_msginfo **msgs_out, size_t *n_out,
    uint32_t *uidvalidity_out, const char **errstr_out);

/* Copies to out (n entries of room) the UIDs of uids that were not
 * \Seen at login: only those need the flag set at QUIT. Returns how
 * many. */
size_t pop3d_maildrop_unseen(const struct pop3d_maildrop *md,
    const uint32_t *uids, size_t n, uint32_t *out);

/* The message file of uid, read-only: 1 and *fd_out (the caller closes
 * it), 0 expunged meanwhile, -1 error. */
int pop3d_maildrop_msg_open(struct pop3d_maildrop *md, uint32_t uid,
    int *fd_out, const char **errstr_out);

/*
 * The UPDATE state (RFC 1939 §6): expunges dele, sets \Seen on seen,
 * and with expiry on records when seen were first retrieved.
 * Messages already gone count as done. 0, or -1 when any change failed
 * (the others are still made).
 */
int pop3d_maildrop_update(struct pop3d_maildrop *md, const uint32_t *dele,
    size_t ndele, const uint32_t *seen, size_t nseen,
    const char **errstr_out);

/*
 * The store half of UPDATE, for a worker thread with its own store
 * handle: opens user's INBOX, sets \Seen on seen, expunges dele, closes.
 * Messages already gone count as done. 0, or -1 when any change failed.
 */
int pop3d_maildrop_apply(struct store *store, const char *user,
    const uint32_t *dele, size_t ndele, const uint32_t *seen, size_t nseen,
    const char **errstr_out);

/* The maildrop's half of UPDATE after apply: with expiry on, records
 * when seen were first retrieved. 0, or -1 (logged; mail then stays
 * longer, nothing is lost). */
int pop3d_maildrop_record(struct pop3d_maildrop *md, const uint32_t *seen,
    size_t nseen);

/* Unlocks and closes; sets *mdp to NULL. NULL is a no-op. */
void pop3d_maildrop_close(struct pop3d_maildrop **mdp);

#endif
