/*
 * mbox-private.h: what mbox.c (index, build, sync) and msg.c (message
 * operations) share.
 */
#ifndef STORE_MBOX_PRIVATE_H
#define STORE_MBOX_PRIVATE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/mbox.h"
#include "store/store-private.h"

#define MBOX_INDEX_FILE		"postern-index.db"
#define MBOX_NOTIFY_FILE	"postern-changed"
#define MBOX_UIDVALIDITY_FILE	"postern-uidvalidity"
#define MBOX_LOCK_FILE		"postern-index.lock"
#define MBOX_LAST_UV_FILE	"postern-uidvalidity-last"	/* user root */
#define MBOX_CACHE_KIB		256	/* SQLite page cache per handle */
#define MBOX_NAME_MAX		255	/* a Maildir file name */
#define MBOX_TMP_MAX_AGE	(36 * 3600)	/* stale tmp/ files, seconds */

struct store_mbox {
	struct store	*store;
	char		*dir;		/* the folder's directory */
	char		*notify;	/* dir/postern-changed */
	char		*uvfile;	/* dir/postern-uidvalidity */
	char		*lastuv;	/* root/postern-uidvalidity-last */
	char		*host;		/* hostname safe in a file name */
	char		*user;		/* as opened */
	dev_t		 dev;		/* of the index file at open: a */
	ino_t		 ino;		/* cached handle checks it is current */
	sqlite3		*db;
	int		 lockfd;	/* dir/postern-index.lock, or -1 */
	bool		 locked;	/* holding lockfd's flock */
	char		 err[STORE_ERR_MAX];
};

/*
 * BEGIN IMMEDIATE / COMMIT / ROLLBACK on the index. 0 or -1 (with err).
 * Writers first queue on flock(2) of postern-index.lock: the kernel wakes
 * the next one as soon as the lock is free, where SQLite's busy handler
 * would poll with growing sleeps (20 writers on one INBOX).
 */
int mbox_begin(struct store_mbox *mbox, const char **errstr_out);
int mbox_commit(struct store_mbox *mbox, const char **errstr_out);
void mbox_rollback(struct store_mbox *mbox);

/* meta rows: "uidvalidity", "uidnext", "highestmodseq". 1/0/-1. */
int mbox_meta_get(struct store_mbox *mbox, const char *key, int64_t *v);
int mbox_meta_set(struct store_mbox *mbox, const char *key, int64_t v);
/* Takes the next MODSEQ inside a transaction: the new value, or -1. */
int64_t mbox_modseq_next(struct store_mbox *mbox);
/* Touches postern-changed so watchers wake up. */
void mbox_notify(struct store_mbox *mbox);
/* Records an expunge (inside a transaction), keeping the UIDNEXT floor
 * file right. 0 or -1. */
int mbox_expunged(struct store_mbox *mbox, uint32_t uid, int64_t modseq);

/* store_mbox_open, also telling whether the index had to be built with
 * new UIDs (renumbered_out may be NULL). */
int mbox_open_ex(struct store *store, const char *user, const char *folder,
    struct store_mbox **mbox_out, bool *renumbered_out,
    const char **errstr_out);
/*
 * Builds the index from the files inside a transaction, into empty
 * tables; old_uv and old_modseq (0: unknown) are what the index held.
 * 0 or -1.
 */
int mbox_build(struct store_mbox *mbox, int64_t old_uv, int64_t old_modseq,
    bool *renumbered_out, const char **errstr_out);

/* Length of the base (unique part) of a Maildir name: up to ':'. */
size_t mbox_name_base_len(const char *name);
/* The number after ",K=" in the base of name, or -1. */
int64_t mbox_name_field(const char *name, char key);
/* name with its ",U=" replaced by uid and info kept; the caller frees. */
char *mbox_name_with_uid(const char *name, uint32_t uid);
/* The name of base with the info of flags (cur/ form); caller frees. */
char *mbox_name_with_flags(const char *name, unsigned flags);

#endif
