/*
 * mbox-private.h: what mbox.c (index, build, sync) and msg.c (message
 * operations) share.
 */
#ifndef STORE_MBOX_PRIVATE_H
#define STORE_MBOX_PRIVATE_H

#include <sqlite3.h>
#include <stdint.h>

#include "store/mbox.h"
#include "store/store-private.h"

#define MBOX_INDEX_FILE		"postern-index.db"
#define MBOX_NOTIFY_FILE	"postern-changed"
#define MBOX_UIDVALIDITY_FILE	"postern-uidvalidity"
#define MBOX_NAME_MAX		255	/* a Maildir file name */

struct store_mbox {
	struct store	*store;
	char		*dir;		/* the folder's directory */
	char		*notify;	/* dir/postern-changed */
	char		*uvfile;	/* dir/postern-uidvalidity */
	char		*host;		/* hostname safe in a file name */
	sqlite3		*db;
	char		 err[STORE_ERR_MAX];
};

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK on the index. 0 or -1 (with err). */
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

/* Length of the base (unique part) of a Maildir name: up to ':'. */
size_t mbox_name_base_len(const char *name);
/* The number after ",K=" in the base of name, or -1. */
int64_t mbox_name_field(const char *name, char key);
/* name with its ",U=" replaced by uid and info kept; the caller frees. */
char *mbox_name_with_uid(const char *name, uint32_t uid);
/* The name of base with the info of flags (cur/ form); caller frees. */
char *mbox_name_with_flags(const char *name, unsigned flags);

#endif
