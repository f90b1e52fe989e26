/*
 * store.h: the handle on Postern's data layer (accounts, aliases, mailboxes).
 *
 * One struct store per process (the SMTP server, the queue, POP3, IMAP and
 * posternctl each open one). It holds the config (borrowed, read-only) and
 * the accounts database data_dir/accounts.db (SQLite, WAL mode, busy
 * timeout), which keeps users and aliases. See account.h, alias.h,
 * folder.h and mbox.h for the operations; docs live in each header.
 *
 * Error convention for the whole store: functions return -1 on error and
 * set *errstr_out (when errstr_out is not NULL) to a message that stays
 * valid until the next call on the same store (or mailbox) handle.
 * Lookups return -1/0/1: error, absent, found.
 *
 * Not thread-safe: one handle per thread.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stddef.h>

#include "lib/config.h"

struct syncshare;

struct store;

/*
 * Subaddressing: with the config's recipient_delimiter (default "+"),
 * "bob+lists@example.org" reaches bob@example.org when no user or alias
 * "bob+lists" exists; an empty delimiter turns it off.
 */

/* How long SQLite waits for another process's write lock, in ms. */
#define STORE_BUSY_TIMEOUT_MS	30000

/*
 * Opens the store under cfg->data_dir, creating data_dir, data_dir/mail and
 * the accounts database when missing. cfg is borrowed and must outlive the
 * store. 0 and *store_out, or -1 with a message in err (errlen bytes).
 */
int store_open(const struct config *cfg, struct store **store_out,
    char *err, size_t errlen);
/* Closes the store and sets *storep to NULL. NULL is a no-op. */
void store_close(struct store **storep);

const struct config *store_config(const struct store *store);

/*
 * A worker thread's own store (lib/workq.h workq_settings thread_init and
 * thread_fini): opens one for cfg (a const struct config *), logging
 * why not and returning NULL when it cannot; closes it.
 */
void *store_thread_open(void *cfg);
void store_thread_close(void *store);

/*
 * Makes everything written under data_dir durable with one syncfs(2):
 * step 2 and 4 of a batched append (mbox.h). 0, or -1 with *errstr_out.
 */
int store_sync(struct store *store, const char **errstr_out);

/*
 * A run of account lookups (users, aliases) under one read transaction:
 * one lock and one snapshot for all of them instead of one per statement.
 * For a burst such as a queue turn's deliveries; keep it short (it holds
 * back WAL checkpoints) and write nothing to the accounts in between.
 * Does nothing when one is open already. 0 or -1.
 */
int store_read_begin(struct store *store, const char **errstr_out);
/* Ends store_read_begin's transaction, if one is open. */
void store_read_end(struct store *store);
/* Lets store_sync share syncs with other processes (lib/syncshare.h),
 * patiently: for background commits such as the queue's deliveries. */
void store_set_sync(struct store *store, struct syncshare *ss);

#endif
