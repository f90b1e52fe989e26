/*
 * store.c: opening the store and the SQLite plumbing its files share.
 * Runs in every process that reads or writes accounts or mail.
 */
#include "store/store-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/syncshare.h"
#include "lib/log.h"
#include "lib/util.h"

static const char accounts_schema[] =
    "CREATE TABLE IF NOT EXISTS users ("
    " address TEXT PRIMARY KEY,"	/* normalised: see addr.h */
    " hash TEXT NOT NULL,"		/* crypt(3) yescrypt "$y$..." */
    " enabled INTEGER NOT NULL DEFAULT 1,"
    " quota INTEGER NOT NULL DEFAULT 0,"	/* bytes; 0: none */
    " created INTEGER NOT NULL,"
    " pop3_leave_on_server INTEGER NOT NULL DEFAULT 0,"	/* account.h */
    /* SCRAM-SHA-256 (RFC 5802 §3): NULL for users from before it or
     * with a password our SASLprep refuses. Never the password. */
    " scram_salt BLOB, scram_iter INTEGER,"
    " scram_stored_key BLOB, scram_server_key BLOB);"
    "CREATE TABLE IF NOT EXISTS aliases ("
    " name TEXT NOT NULL,"		/* "local@domain" or bare "local" */
    " target TEXT NOT NULL,"
    " PRIMARY KEY (name, target));";

int
store_err(char *err, const char **errstr_out, const char *fmt, ...)
{
	char tmp[STORE_ERR_MAX];
	va_list ap;

	/* Through tmp: the arguments may point into err itself. */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(err, tmp, sizeof(tmp));
	if (errstr_out != NULL)
		*errstr_out = err;
	return -1;
}

int
store_dberr(char *err, const char **errstr_out, sqlite3 *db, const char *what)
{
	return store_err(err, errstr_out, "%s: %s", what, sqlite3_errmsg(db));
}

int
store_db_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/*
 * Keeps the WAL short. SQLite's own automatic checkpoint does not help
 * here: a process that opens the database first rebuilds the WAL index
 * and forgets what was checkpointed, so with short-lived handles the WAL
 * would never restart and every open would replay all of it. A TRUNCATE
 * checkpoint leaves an empty file instead. Never wait for readers here
 * (an IMAP FETCH may hold a snapshot): on BUSY, retry after a later
 * commit.
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
	(void)arg;
	if (nframes < STORE_WAL_PAGES)
		return SQLITE_OK;
	sqlite3_busy_timeout(db, 0);
	sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL,
	    NULL);
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	return SQLITE_OK;
}

#define STORE_OPEN_TRIES	50	/* ~3.5 s of retries at first open */

int
store_db_open(const char *path, const char *schema, sqlite3 **db_out,
    char *err, const char **errstr_out)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		store_err(err, errstr_out, "%s: %s", path,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	/*
	 * Delivery opens an index, appends and closes it, per message. By
	 * default the last close checkpoints the WAL and deletes it, which
	 * costs several fsyncs and file creations each time; keep the WAL
	 * and checkpoint it every STORE_WAL_PAGES pages (wal_hook).
	 */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	{
		int persist = 1;
		sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL,
		    &persist);
	}
	sqlite3_wal_hook(db, wal_hook, NULL);
	/*
	 * WAL lets readers (IMAP, POP3) run beside one writer. synchronous
	 * FULL: a committed UID or account survives power loss, so a UID
	 * handed to a client is never handed out again after a crash.
	 */
	/*
	 * Processes starting together (the roles, posternctl) race to switch
	 * a new database to WAL and create its schema; SQLite answers BUSY at
	 * once, without its busy handler, where waiting could deadlock. Such
	 * a loser simply tries again a little later.
	 */
	for (int tries = 0;; tries++) {
		if (store_db_exec(db, "PRAGMA journal_mode=WAL") == 0 &&
		    store_db_exec(db, "PRAGMA synchronous=FULL") == 0 &&
		    (schema == NULL || store_db_exec(db, schema) == 0))
			break;
		rc = sqlite3_errcode(db);
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
		    tries == STORE_OPEN_TRIES) {
			store_err(err, errstr_out, "%s: %s", path,
			    sqlite3_errmsg(db));
			sqlite3_close(db);
			return -1;
		}
		if (!sqlite3_get_autocommit(db))
			(void)store_db_exec(db, "ROLLBACK");
		usleep(20000 + (useconds_t)(tries * 10000));
	}
	*db_out = db;
	return 0;
}

/* Most files one sync waits for; past it, store_sync_add waits at once. */
#define STORE_WB_MAX	1024
#define STORE_COMMIT_FILE	"postern-commit"

/*
 * store_sync's two ways, as the spool's (src/queue/spool.c): on ext4 with
 * a journal (durable_fs_journaled) the files of a batch are written back
 * and waited for, then one change to mail/postern-commit joins the
 * journal's running transaction and fsyncing that file commits it and
 * every transaction before it, with one cache flush: all the batch's
 * renames, index pages and block allocations. Elsewhere, syncfs.
 */
static void
commit_open(struct store *store)
{
	char *path = xasprintf("%s/mail/%s", store->cfg->data_dir,
	    STORE_COMMIT_FILE);
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd == -1)
		return;		/* syncfs, then */
	if (!durable_fs_journaled(fd) || fstat(fd, &st) == -1) {
		close(fd);
		return;
	}
	store->commitfd = fd;
	store->commitdev = st.st_dev;
}

void
store_sync_add(struct store *store, int fd, dev_t dev)
{
	/* Decided at the first batch: most processes never stage. */
	if (!store->commit_checked) {
		commit_open(store);
		store->commit_checked = true;
	}
	if (store->commitfd == -1) {
		close(fd);
		return;
	}
	if (dev != store->commitdev)
		store->foreign = true;
	if (store->nwb == STORE_WB_MAX) {
		(void)durable_writeback_wait(fd); /* failures show at sync */
		close(fd);
		return;
	}
	(void)durable_writeback_start(fd);
	if (store->nwb == store->wbcap) {
		store->wbcap = store->wbcap ? store->wbcap * 2 : 64;
		store->wb = xreallocarray(store->wb, store->wbcap,
		    sizeof(*store->wb));
	}
	store->wb[store->nwb++] = fd;
}

/* Journal way: 0, or -1 with errno. Closes the kept files either way. */
static int
journal_sync(struct store *store)
{
	int r = 0, saved = 0;

	for (size_t i = 0; i < store->nwb; i++) {
		if (durable_writeback_wait(store->wb[i]) == -1 && r == 0) {
			r = -1;
			saved = errno;
		}
		close(store->wb[i]);
	}
	store->nwb = 0;
	/* After the waits: this change is in the newest transaction, so
	 * committing it commits every earlier one. */
	if (r == 0 && (futimens(store->commitfd, NULL) == -1 ||
	    fsync(store->commitfd) == -1)) {
		r = -1;
		saved = errno;
	}
	errno = saved;
	return r;
}

int
store_open(const struct config *cfg, struct store **store_out,
    char *err, size_t errlen)
{
	struct store *store;
	const char *errstr;
	char *path;
	int r;

	path = xasprintf("%s/mail", cfg->data_dir);
	r = durable_mkdirs(path, 0700);
	free(path);
	if (r == -1) {
		snprintf(err, errlen, "%s: %s", cfg->data_dir, strerror(errno));
		return -1;
	}
	store = xcalloc(1, sizeof(*store));
	store->cfg = cfg;
	store->commitfd = -1;
	path = xasprintf("%s/accounts.db", cfg->data_dir);
	r = store_db_open(path, accounts_schema, &store->db, store->err,
	    &errstr);
	free(path);
	if (r == 0 && (r = store_account_upgrade(store, &errstr)) == -1)
		sqlite3_close(store->db);
	if (r == -1) {
		snprintf(err, errlen, "%s", errstr);
		free(store);
		return -1;
	}
	*store_out = store;
	return 0;
}

void
store_close(struct store **storep)
{
	struct store *store = *storep;

	if (store == NULL)
		return;
	store_inbox_cache_free(store);
	sqlite3_finalize(store->q_alias);
	sqlite3_finalize(store->q_user);
	sqlite3_finalize(store->q_user_get);
	for (size_t i = 0; i < store->nwb; i++)
		close(store->wb[i]);
	free(store->wb);
	if (store->commitfd != -1)
		close(store->commitfd);
	if (store->reading)
		(void)store_db_exec(store->db, "COMMIT");
	sqlite3_close(store->db);
	free(store->dummy_hash);
	free(store);
	*storep = NULL;
}

int
store_read_begin(struct store *store, const char **errstr_out)
{
	if (store->reading)
		return 0;
	/* BEGIN is deferred: the first lookup takes the read lock and the
	 * snapshot, the lookups after it reuse both. */
	if (store_db_exec(store->db, "BEGIN") == -1)
		return store_dberr(store->err, errstr_out, store->db,
		    "read transaction");
	store->reading = true;
	return 0;
}

void
store_read_end(struct store *store)
{
	if (!store->reading)
		return;
	store->reading = false;
	/* A read-only transaction: COMMIT only releases the lock. */
	if (store_db_exec(store->db, "COMMIT") == -1)
		(void)store_db_exec(store->db, "ROLLBACK");
}

void *
store_thread_open(void *cfg)
{
	struct store *store = NULL;
	char err[512];

	if (store_open(cfg, &store, err, sizeof(err)) == -1)
		log_warnx("worker thread: store: %s", err);
	return store;
}

void
store_thread_close(void *ctx)
{
	struct store *store = ctx;

	store_close(&store);
}

const struct config *
store_config(const struct store *store)
{
	return store->cfg;
}

void
store_set_sync(struct store *store, struct syncshare *ss)
{
	store->sync = ss;
}

int
store_sync(struct store *store, const char **errstr_out)
{
	int fd, r, saved = 0;

	if (store->commitfd != -1 && !store->foreign) {
		if (journal_sync(store) == -1)
			return store_err(store->err, errstr_out, "journal "
			    "commit %s: %s", store->cfg->data_dir,
			    strerror(errno));
		return 0;
	}
	/* A kept file on another file system than data_dir's (a mailbox
	 * tree mounted elsewhere) gets an fsync of its own; syncfs covers
	 * the rest. */
	r = 0;
	for (size_t i = 0; i < store->nwb; i++) {
		if (r == 0 && fsync(store->wb[i]) == -1) {
			r = -1;
			saved = errno;
		}
		close(store->wb[i]);
	}
	store->nwb = 0;
	store->foreign = false;
	if (r == -1)
		return store_err(store->err, errstr_out, "fsync: %s",
		    strerror(saved));
	fd = open(store->cfg->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return store_err(store->err, errstr_out, "%s: %s",
		    store->cfg->data_dir, strerror(errno));
	r = syncshare_sync(store->sync, fd, true);
	saved = errno;
	close(fd);
	if (r == -1)
		return store_err(store->err, errstr_out, "syncfs %s: %s",
		    store->cfg->data_dir, strerror(saved));
	return 0;
}
