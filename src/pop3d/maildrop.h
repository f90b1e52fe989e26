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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pop3d/session.h"

struct store;
struct pop3d_retrieved;
struct pop3d_maildrop;
struct pop3d_sizecache;

#define POP3D_LOCK_FILE		"postern-pop3.lock"
#define POP3D_SIZECACHE_SLOTS	65536	/* direct-mapped, ~1.5 MB */

struct pop3d_sizecache *pop3d_sizecache_new(void);
void pop3d_sizecache_free(struct pop3d_sizecache **cp);

/* What a session's user gets (the config and the account). */
struct pop3d_maildrop_opts {
	int		 expire_days;	/* >= 0: pop3_expire; -1: never */
	bool		 leave_on_server;	/* account.h */
	unsigned	 login_delay_s;	/* pop3_login_delay; 0: none */
};

/*
 * Opens, locks and lists the INBOX of user (normal form):
 * POP3D_AUTH_OK and *md_out, *msgs_out (n_out entries in UID order; the
 * caller frees it) and *uidvalidity_out; POP3D_AUTH_INUSE when another
 * session holds the lock; POP3D_AUTH_DELAY when the user last logged in
 * less than opts->login_delay_s ago (RFC 2449 §8.1.2; the time of each
 * login is kept in the lock file); POP3D_AUTH_TEMP on store trouble
 * (*errstr_out). cache may be NULL.
 *
 * Not listed: messages hidden by an earlier leave-on-server DELE, and,
 * with expire_days >= 0, mail POP3 retrieved (or deleted while leaving
 * it on the server) that many days ago or more, which is expunged here
 * (expire.h). Hidden messages are never listed again, whatever the
 * account says later.
 */
enum pop3d_auth_result pop3d_maildrop_open(struct store *store,
    struct pop3d_sizecache *cache, const char *user,
    const struct pop3d_maildrop_opts *opts, struct pop3d_maildrop **md_out,
    struct pop3d_msginfo **msgs_out, size_t *n_out,
    uint32_t *uidvalidity_out, const char **errstr_out);

/* The message file of uid, read-only: 1 and *fd_out (the caller closes
 * it), 0 expunged meanwhile, -1 error. */
int pop3d_maildrop_msg_open(struct pop3d_maildrop *md, uint32_t uid,
    int *fd_out, const char **errstr_out);

/*
 * The UPDATE state (RFC 1939 §6) in two halves: the changes are worked
 * out on the loop's thread (the maildrop knows the flags at login and
 * the record), then carried out with a store handle, on a worker thread
 * if need be, while the maildrop stays locked.
 *
 * Deleted messages (DELE) are expunged; for a leave-on-server user they
 * are set \Seen and marked hidden in the record instead. Retrieved ones
 * (RETR) are set \Seen unless they were at login, and with expiry on
 * their first retrieval goes into the record.
 */
struct pop3d_changes {
	char			*dir;		/* the folder: the record */
	uint32_t		 uidvalidity;
	uint32_t		*dele;		/* to expunge */
	size_t			 ndele;
	uint32_t		*seen;		/* to set \Seen */
	size_t			 nseen;
	size_t			 nhidden;	/* deleted, left on server */
	struct pop3d_retrieved	*rec;		/* new record; NULL: same */
	size_t			 nrec;
};

void pop3d_maildrop_changes(const struct pop3d_maildrop *md,
    const uint32_t *dele, size_t ndele, const uint32_t *seen, size_t nseen,
    struct pop3d_changes *ch_out);
/* Whether ch changes nothing at all. */
bool pop3d_changes_empty(const struct pop3d_changes *ch);
/*
 * Carries ch out on user's INBOX through store (\Seen first, so a failure
 * there never costs a deletion; the record last). Messages already gone
 * count as done. 0, or -1 when a change failed (the others are still
 * made); a record that cannot be written only counts when it hides
 * messages (else mail merely stays longer; logged).
 */
int pop3d_changes_apply(struct store *store, const char *user,
    const struct pop3d_changes *ch, const char **errstr_out);
void pop3d_changes_free(struct pop3d_changes *ch);

/* Both halves at once on the maildrop's own store handle (tests, and
 * the role when it has no worker threads). */
int pop3d_maildrop_update(struct pop3d_maildrop *md, const uint32_t *dele,
    size_t ndele, const uint32_t *seen, size_t nseen,
    const char **errstr_out);

/* Unlocks and closes; sets *mdp to NULL. NULL is a no-op. */
void pop3d_maildrop_close(struct pop3d_maildrop **mdp);

#endif
