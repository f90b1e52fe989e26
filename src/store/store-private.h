/*
 * store-private.h: what the files of src/store share and nobody else sees.
 */
#ifndef STORE_STORE_PRIVATE_H
#define STORE_STORE_PRIVATE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdarg.h>

#include "store/store.h"

#define STORE_ERR_MAX	512
#define STORE_WAL_PAGES	64	/* WAL frames between checkpoints */

#define STORE_INBOX_CACHE	8	/* open INBOX handles kept for delivery */

struct store_mbox;

struct store {
	const struct config *cfg;
	struct syncshare *sync;		/* store_sync's, or NULL */
	sqlite3		*db;		/* accounts.db: users, aliases */
	sqlite3_stmt	*q_alias;	/* alias targets of a name (alias.c) */
	sqlite3_stmt	*q_user;	/* is an address a user (alias.c) */
	sqlite3_stmt	*q_user_get;	/* a user's row (account.c) */
	bool		 reading;	/* in store_read_begin's snapshot */
	/* Journal commits for store_sync (store.c): */
	bool		 commit_checked; /* commit_open has run */
	int		 commitfd;	/* mail/postern-commit, or -1: syncfs */
	dev_t		 commitdev;	/* its file system */
	bool		 foreign;	/* a write elsewhere: syncfs this time */
	int		*wb;		/* files written since the last sync */
	size_t		 nwb, wbcap;
	struct store_mbox *inbox[STORE_INBOX_CACHE];	/* store_inbox_get */
	unsigned	 inbox_next;	/* the slot to reuse next */
	char		*dummy_hash;	/* for timing-safe unknown users */
	/* Keys SCRAM stand-in credentials of unknown users are made from
	 * (account.c store_user_scram_get); random per process. */
	unsigned char	 scram_secret[32];
	bool		 scram_secret_set;
	char		 err[STORE_ERR_MAX];
};

/* Formats into err (STORE_ERR_MAX bytes), points *errstr_out at it when
 * errstr_out is not NULL, and returns -1. */
int store_err(char *err, const char **errstr_out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with ": sqlite message" appended. */
int store_dberr(char *err, const char **errstr_out, sqlite3 *db,
    const char *what);

/* Opens (creating) an SQLite file in WAL mode with the busy timeout, and
 * runs schema (may be NULL). 0 or -1 with the message in err. */
int store_db_open(const char *path, const char *schema, sqlite3 **db_out,
    char *err, const char **errstr_out);
/* Closes the INBOX handles store_inbox_get keeps (mbox.c). */
void store_inbox_cache_free(struct store *store);

/* Brings an accounts.db made by an older version up to the current
 * users table (account.c). 0 or -1. */
int store_account_upgrade(struct store *store, const char **errstr_out);

/*
 * A file whose bytes the next store_sync must make durable (fd, on
 * device dev): with journal commits its write-back starts now and the
 * store keeps fd until the sync; otherwise fd is just closed. Takes fd.
 */
void store_sync_add(struct store *store, int fd, dev_t dev);

/* Runs one statement with no result rows. 0 or -1. */
int store_db_exec(sqlite3 *db, const char *sql);

#endif
