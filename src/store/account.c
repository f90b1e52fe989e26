/*
 * account.c: users in accounts.db, password hashing with libxcrypt
 * (yescrypt), and the path of each user's mail tree. Runs in posternctl
 * (changes) and in the SMTP, POP3 and IMAP processes (lookups, logins).
 */
#include "store/account.h"

#include <crypt.h>
#include <errno.h>
#include <stdint.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/util.h"
#include "store/addr.h"
#include "store/folder.h"
#include "store/store-private.h"

/* crypt_gensalt's default cost for yescrypt. */
#define HASH_PREFIX	"$y$"

static int
norm(struct store *store, const char *address, char *out,
    const char **errstr_out)
{
	const char *errstr, *def = NULL;

	if (store->cfg->domains.n > 0)
		def = store->cfg->domains.items[0];
	if (store_addr_normalize(address, def, out, STORE_ADDR_MAX + 1,
	    &errstr) == -1)
		return store_err(store->err, errstr_out, "%s: %s", address,
		    errstr);
	return 0;
}

static int
password_check(struct store *store, const char *pw, const char **errstr_out)
{
	size_t len = strlen(pw);

	if (len == 0)
		return store_err(store->err, errstr_out, "empty password");
	if (len > STORE_PASSWORD_MAX)
		return store_err(store->err, errstr_out, "password too long");
	if (strpbrk(pw, "\r\n") != NULL)
		return store_err(store->err, errstr_out,
		    "password holds a line break");
	return 0;
}

/* A fresh yescrypt hash of pw; the caller frees it. NULL on failure. */
static char *
hash_make(const char *pw)
{
	struct crypt_data *cd;
	char *salt, *h, *out = NULL;

	salt = crypt_gensalt_ra(HASH_PREFIX, 0, NULL, 0);
	if (salt == NULL)
		return NULL;
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(pw, salt, cd);
	if (h != NULL && h[0] != '*')
		out = xstrdup(h);
	free(salt);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return out;
}

char *
store_user_dir(const struct store *store, const char *address)
{
	char addr[STORE_ADDR_MAX + 1], enc[STORE_LOCAL_MAX * 3 + 1];
	const char *errstr, *at;

	/* Normalised again: a caller's spelling never picks another tree. */
	if (store_addr_normalize(address, NULL, addr, sizeof(addr),
	    &errstr) == -1)
		return NULL;
	at = strrchr(addr, '@');
	if (store_path_encode(addr, (size_t)(at - addr), enc,
	    sizeof(enc)) == -1)
		return NULL;
	return xasprintf("%s/mail/%s/%s", store->cfg->data_dir, at + 1, enc);
}

int
store_user_add(struct store *store, const char *address,
    const char *password, const char **errstr_out)
{
	char addr[STORE_ADDR_MAX + 1];
	sqlite3_stmt *st = NULL;
	char *hash;
	int rc;

	if (norm(store, address, addr, errstr_out) == -1 ||
	    password_check(store, password, errstr_out) == -1)
		return -1;
	if (!store_addr_is_local_domain(store->cfg, store_addr_domain(addr)))
		return store_err(store->err, errstr_out,
		    "%s: domain is not one of the local domains", addr);
	if ((hash = hash_make(password)) == NULL)
		return store_err(store->err, errstr_out,
		    "crypt: cannot hash password: %s", strerror(errno));
	if (sqlite3_prepare_v2(store->db, "INSERT INTO users (address, hash,"
	    " enabled, quota, created) VALUES (?, ?, 1, 0, ?)", -1, &st,
	    NULL) != SQLITE_OK) {
		free(hash);
		return store_dberr(store->err, errstr_out, store->db,
		    "user add");
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(hash);
	if (rc == SQLITE_CONSTRAINT) {
		errno = EEXIST;
		return store_err(store->err, errstr_out,
		    "%s: user already exists", addr);
	}
	if (rc != SQLITE_DONE)
		return store_dberr(store->err, errstr_out, store->db,
		    "user add");
	/* The account exists first, so a failed tree can be retried by any
	 * later open (store_folder_tree_init is idempotent). */
	if (store_folder_tree_init(store, addr, errstr_out) == -1)
		return -1;
	return 0;
}

int
store_user_del(struct store *store, const char *address,
    const char **errstr_out)
{
	char addr[STORE_ADDR_MAX + 1], *dir, *dest, *parent;
	sqlite3_stmt *st = NULL;
	int rc;

	if (norm(store, address, addr, errstr_out) == -1)
		return -1;
	if (sqlite3_prepare_v2(store->db, "DELETE FROM users WHERE address"
	    " = ?", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(store->err, errstr_out, store->db,
		    "user del");
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_dberr(store->err, errstr_out, store->db,
		    "user del");
	if (sqlite3_changes(store->db) == 0)
		return 0;
	if ((dir = store_user_dir(store, addr)) == NULL)
		abort();	/* addr is in normal form */
	parent = xasprintf("%s/deleted/%s", store->cfg->data_dir,
	    store_addr_domain(addr));
	dest = xasprintf("%s/%s.%lld", parent, strrchr(dir, '/') + 1,
	    (long long)time(NULL));
	rc = 0;
	if (access(dir, F_OK) == 0 && (durable_mkdirs(parent, 0700) == -1 ||
	    rename(dir, dest) == -1))
		rc = store_err(store->err, errstr_out, "user removed, but"
		    " moving %s aside failed: %s", dir, strerror(errno));
	free(dir);
	free(dest);
	free(parent);
	return rc == -1 ? -1 : 1;
}

int
store_user_passwd(struct store *store, const char *address,
    const char *password, const char **errstr_out)
{
	char addr[STORE_ADDR_MAX + 1], *hash;
	sqlite3_stmt *st = NULL;
	int rc;

	if (norm(store, address, addr, errstr_out) == -1 ||
	    password_check(store, password, errstr_out) == -1)
		return -1;
	if ((hash = hash_make(password)) == NULL)
		return store_err(store->err, errstr_out,
		    "crypt: cannot hash password: %s", strerror(errno));
	if (sqlite3_prepare_v2(store->db, "UPDATE users SET hash = ? WHERE"
	    " address = ?", -1, &st, NULL) != SQLITE_OK) {
		free(hash);
		return store_dberr(store->err, errstr_out, store->db,
		    "user passwd");
	}
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(hash);
	if (rc != SQLITE_DONE)
		return store_dberr(store->err, errstr_out, store->db,
		    "user passwd");
	return sqlite3_changes(store->db) > 0 ? 1 : 0;
}

int
store_user_verify(struct store *store, const char *address,
    const char *password, char *canon_out, const char **errstr_out)
{
	char addr[STORE_ADDR_MAX + 1], *stored = NULL;
	const char *errstr, *def = NULL, *h;
	struct crypt_data *cd;
	sqlite3_stmt *st = NULL;
	int rc, enabled = 0, ok = 0;
	size_t hlen, slen;

	if (store->cfg->domains.n > 0)
		def = store->cfg->domains.items[0];
	if (store_addr_normalize(address, def, addr, sizeof(addr),
	    &errstr) == 0) {
		if (sqlite3_prepare_v2(store->db, "SELECT hash, enabled FROM"
		    " users WHERE address = ?", -1, &st, NULL) != SQLITE_OK)
			return store_dberr(store->err, errstr_out, store->db,
			    "user verify");
		sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			stored = xstrdup((const char *)
			    sqlite3_column_text(st, 0));
			enabled = sqlite3_column_int(st, 1);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			free(stored);
			return store_dberr(store->err, errstr_out, store->db,
			    "user verify");
		}
	}
	if (stored == NULL) {
		/* Spend the same time on an unknown user. */
		if (store->dummy_hash == NULL)
			store->dummy_hash = hash_make("postern-dummy");
		if (store->dummy_hash == NULL)
			return store_err(store->err, errstr_out,
			    "crypt: %s", strerror(errno));
		stored = xstrdup(store->dummy_hash);
		enabled = 0;
	}
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(password, stored, cd);
	if (h != NULL && h[0] != '*') {
		hlen = strlen(h);
		slen = strlen(stored);
		ok = hlen == slen && CRYPTO_memcmp(h, stored, slen) == 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	free(stored);
	if (!ok || !enabled)
		return 0;
	if (canon_out != NULL)
		memcpy(canon_out, addr, strlen(addr) + 1);
	return 1;
}

static int
set_column(struct store *store, const char *address, const char *sql,
    int64_t v, const char **errstr_out)
{
	char addr[STORE_ADDR_MAX + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	if (norm(store, address, addr, errstr_out) == -1)
		return -1;
	if (sqlite3_prepare_v2(store->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_dberr(store->err, errstr_out, store->db, "user");
	sqlite3_bind_int64(st, 1, v);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_dberr(store->err, errstr_out, store->db, "user");
	return sqlite3_changes(store->db) > 0 ? 1 : 0;
}

int
store_user_set_quota(struct store *store, const char *address,
    uint64_t quota, const char **errstr_out)
{
	if (quota > INT64_MAX)
		return store_err(store->err, errstr_out, "quota too large");
	return set_column(store, address, "UPDATE users SET quota = ? WHERE"
	    " address = ?", (int64_t)quota, errstr_out);
}

int
store_user_set_enabled(struct store *store, const char *address,
    bool enabled, const char **errstr_out)
{
	return set_column(store, address, "UPDATE users SET enabled = ? WHERE"
	    " address = ?", enabled ? 1 : 0, errstr_out);
}

int
store_user_set_pop3_leave(struct store *store, const char *address,
    bool leave, const char **errstr_out)
{
	return set_column(store, address, "UPDATE users SET"
	    " pop3_leave_on_server = ? WHERE address = ?", leave ? 1 : 0,
	    errstr_out);
}

/* Whether the users table has the pop3_leave_on_server column. */
static bool
has_pop3_leave(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_prepare_v2(db, "SELECT pop3_leave_on_server FROM"
	    " users LIMIT 0", -1, &st, NULL) == SQLITE_OK;

	sqlite3_finalize(st);
	return ok;
}

int
store_account_upgrade(struct store *store, const char **errstr_out)
{
	sqlite3 *db = store->db;

	if (has_pop3_leave(db))
		return 0;
	/* A database from before the POP3 keep policy. Every process opens
	 * the store at start, so several may race here: the write lock
	 * decides, and the losers find the column there. */
	if (store_db_exec(db, "BEGIN IMMEDIATE") == -1)
		return store_dberr(store->err, errstr_out, db,
		    "accounts upgrade");
	if (!has_pop3_leave(db) && store_db_exec(db, "ALTER TABLE users ADD"
	    " COLUMN pop3_leave_on_server INTEGER NOT NULL DEFAULT 0") == -1) {
		store_dberr(store->err, errstr_out, db, "accounts upgrade");
		(void)store_db_exec(db, "ROLLBACK");
		return -1;
	}
	if (store_db_exec(db, "COMMIT") == -1) {
		store_dberr(store->err, errstr_out, db, "accounts upgrade");
		(void)store_db_exec(db, "ROLLBACK");
		return -1;
	}
	return 0;
}

#define USER_COLUMNS \
	"address, enabled, quota, created, pop3_leave_on_server"

static void
user_from_row(sqlite3_stmt *st, struct store_user *u)
{
	u->address = xstrdup((const char *)sqlite3_column_text(st, 0));
	u->enabled = sqlite3_column_int(st, 1) != 0;
	u->quota = (uint64_t)sqlite3_column_int64(st, 2);
	u->created = sqlite3_column_int64(st, 3);
	u->pop3_leave_on_server = sqlite3_column_int(st, 4) != 0;
}

int
store_user_get(struct store *store, const char *address,
    struct store_user *user_out, const char **errstr_out)
{
	char addr[STORE_ADDR_MAX + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	if (norm(store, address, addr, errstr_out) == -1)
		return -1;
	/* Prepared once: every local delivery reads its user's quota. */
	if (store->q_user_get == NULL && sqlite3_prepare_v3(store->db,
	    "SELECT " USER_COLUMNS " FROM users WHERE address = ?", -1,
	    SQLITE_PREPARE_PERSISTENT, &store->q_user_get, NULL) != SQLITE_OK)
		return store_dberr(store->err, errstr_out, store->db,
		    "user get");
	st = store->q_user_get;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && user_out != NULL)
		user_from_row(st, user_out);
	/* Reset, so that no read transaction stays open between calls. */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_dberr(store->err, errstr_out, store->db, "user get");
}

int
store_user_list(struct store *store, struct store_user **users_out,
    size_t *n_out, const char **errstr_out)
{
	struct store_user *v = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc;

	if (sqlite3_prepare_v2(store->db, "SELECT " USER_COLUMNS " FROM users"
	    " ORDER BY address", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_dberr(store->err, errstr_out, store->db,
		    "user list");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		user_from_row(st, &v[n++]);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_user_list_free(v, n);
		return store_dberr(store->err, errstr_out, store->db,
		    "user list");
	}
	*users_out = v;
	*n_out = n;
	return 0;
}

void
store_user_clear(struct store_user *user)
{
	free(user->address);
	user->address = NULL;
}

void
store_user_list_free(struct store_user *users, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_user_clear(&users[i]);
	free(users);
}
