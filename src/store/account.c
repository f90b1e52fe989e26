/*
 * account.c: users in accounts.db, password hashing with libxcrypt
 * (yescrypt) and SCRAM-SHA-256 credentials (RFC 5802 §3, RFC 7677), and the path of each user's mail tree. Runs in posternctl
 * (changes) and in the SMTP, POP3 and IMAP processes (lookups, logins).
 */
#include "store/account.h"

#include <crypt.h>
#include <errno.h>
#include <stdint.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/scram.h"
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

/*
 * SCRAM-SHA-256 credentials for pw (RFC 7677), or NULL when our SASLprep
 * refuses it (not printable ASCII): that user logs in with PLAIN/LOGIN
 * only. The caller frees the result (wipe first).
 */
static struct scram_creds *
scram_make(const char *pw)
{
	struct scram_creds *cr = xcalloc(1, sizeof(*cr));
	const char *err;

	if (scram_creds_make(pw, NULL, 0, SCRAM_ITERATIONS, cr, &err) == 0)
		return cr;
	free(cr);
	return NULL;
}

static void
scram_free(struct scram_creds *cr)
{
	if (cr == NULL)
		return;
	explicit_bzero(cr, sizeof(*cr));
	free(cr);
}

/* Binds the four SCRAM columns from parameter first on (NULL: NULLs). */
static void
scram_bind(sqlite3_stmt *st, int first, const struct scram_creds *cr)
{
	if (cr == NULL) {
		for (int i = 0; i < 4; i++)
			sqlite3_bind_null(st, first + i);
		return;
	}
	sqlite3_bind_blob(st, first, cr->salt, (int)cr->salt_len,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, first + 1, cr->iter);
	sqlite3_bind_blob(st, first + 2, cr->stored_key, SCRAM_KEY_LEN,
	    SQLITE_STATIC);
	sqlite3_bind_blob(st, first + 3, cr->server_key, SCRAM_KEY_LEN,
	    SQLITE_STATIC);
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
	struct scram_creds *cr;
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
	cr = scram_make(password);
	if (sqlite3_prepare_v2(store->db, "INSERT INTO users (address, hash,"
	    " enabled, quota, created, scram_salt, scram_iter,"
	    " scram_stored_key, scram_server_key) VALUES (?, ?, 1, 0, ?,"
	    " ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		free(hash);
		scram_free(cr);
		return store_dberr(store->err, errstr_out, store->db,
		    "user add");
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	scram_bind(st, 4, cr);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(hash);
	scram_free(cr);
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
	struct scram_creds *cr;
	sqlite3_stmt *st = NULL;
	int rc;

	if (norm(store, address, addr, errstr_out) == -1 ||
	    password_check(store, password, errstr_out) == -1)
		return -1;
	if ((hash = hash_make(password)) == NULL)
		return store_err(store->err, errstr_out,
		    "crypt: cannot hash password: %s", strerror(errno));
	/* Both kinds of credentials change together: old SCRAM keys must
	 * not outlive the password they were made from. */
	cr = scram_make(password);
	if (sqlite3_prepare_v2(store->db, "UPDATE users SET hash = ?,"
	    " scram_salt = ?, scram_iter = ?, scram_stored_key = ?,"
	    " scram_server_key = ? WHERE address = ?", -1, &st, NULL) !=
	    SQLITE_OK) {
		free(hash);
		scram_free(cr);
		return store_dberr(store->err, errstr_out, store->db,
		    "user passwd");
	}
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	scram_bind(st, 2, cr);
	sqlite3_bind_text(st, 6, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	free(hash);
	scram_free(cr);
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

/*
 * Stand-in credentials for a user without any: salt and keys are HMACs
 * of the address under a per-process random secret, so asking twice
 * gives the same salt, as for a real user.
 */
static int
scram_standin(struct store *store, const char *addr, struct scram_creds *cr)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n;
	char *in;
	int rc = 0;

	if (!store->scram_secret_set) {
		if (RAND_bytes(store->scram_secret,
		    sizeof(store->scram_secret)) != 1)
			return -1;
		store->scram_secret_set = true;
	}
	memset(cr, 0, sizeof(*cr));
	cr->iter = SCRAM_ITERATIONS;
	cr->salt_len = SCRAM_SALT_LEN;
	for (int i = 0; i < 3 && rc == 0; i++) {
		in = xasprintf("%d:%s", i, addr);
		if (HMAC(EVP_sha256(), store->scram_secret,
		    sizeof(store->scram_secret), (unsigned char *)in,
		    strlen(in), mac, &n) == NULL || n < SCRAM_KEY_LEN)
			rc = -1;
		else if (i == 0)
			memcpy(cr->salt, mac, SCRAM_SALT_LEN);
		else
			memcpy(i == 1 ? cr->stored_key : cr->server_key, mac,
			    SCRAM_KEY_LEN);
		free(in);
	}
	return rc;
}

int
store_user_scram_get(struct store *store, const char *address,
    struct scram_creds *creds_out, char *canon_out, const char **errstr_out)
{
	char addr[STORE_ADDR_MAX + 1];
	const char *errstr, *def = NULL;
	sqlite3_stmt *st = NULL;
	int rc, found = 0;

	if (store->cfg->domains.n > 0)
		def = store->cfg->domains.items[0];
	if (store_addr_normalize(address, def, addr, sizeof(addr),
	    &errstr) == -1)
		strlcpy_(addr, "", sizeof(addr));
	else {
		if (sqlite3_prepare_v2(store->db, "SELECT scram_salt,"
		    " scram_iter, scram_stored_key, scram_server_key FROM"
		    " users WHERE address = ? AND enabled != 0", -1, &st,
		    NULL) != SQLITE_OK)
			return store_dberr(store->err, errstr_out, store->db,
			    "user scram");
		sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW &&
		    sqlite3_column_type(st, 0) == SQLITE_BLOB &&
		    sqlite3_column_bytes(st, 0) > 0 &&
		    sqlite3_column_bytes(st, 0) <= SCRAM_SALT_MAX &&
		    sqlite3_column_int64(st, 1) > 0 &&
		    sqlite3_column_int64(st, 1) <= SCRAM_ITERATIONS_MAX &&
		    sqlite3_column_bytes(st, 2) == SCRAM_KEY_LEN &&
		    sqlite3_column_bytes(st, 3) == SCRAM_KEY_LEN) {
			struct scram_creds *cr = creds_out;

			cr->salt_len = (size_t)sqlite3_column_bytes(st, 0);
			memcpy(cr->salt, sqlite3_column_blob(st, 0),
			    cr->salt_len);
			cr->iter = (unsigned)sqlite3_column_int64(st, 1);
			memcpy(cr->stored_key, sqlite3_column_blob(st, 2),
			    SCRAM_KEY_LEN);
			memcpy(cr->server_key, sqlite3_column_blob(st, 3),
			    SCRAM_KEY_LEN);
			found = 1;
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_dberr(store->err, errstr_out, store->db,
			    "user scram");
	}
	if (!found) {
		if (scram_standin(store, addr, creds_out) == -1)
			return store_err(store->err, errstr_out,
			    "SCRAM stand-in credentials failed");
		return 0;
	}
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

/* Columns added to users after its first version, oldest first. */
static const struct {
	const char	*name;
	const char	*decl;
} added_columns[] = {
	{ "pop3_leave_on_server",
	  "pop3_leave_on_server INTEGER NOT NULL DEFAULT 0" },
	{ "scram_salt", "scram_salt BLOB" },
	{ "scram_iter", "scram_iter INTEGER" },
	{ "scram_stored_key", "scram_stored_key BLOB" },
	{ "scram_server_key", "scram_server_key BLOB" },
};

/* Whether the users table has the column. */
static bool
has_column(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	char *sql = xasprintf("SELECT %s FROM users LIMIT 0", name);
	bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;

	sqlite3_finalize(st);
	free(sql);
	return ok;
}

static bool
has_all_columns(sqlite3 *db)
{
	for (size_t i = 0; i < nitems(added_columns); i++)
		if (!has_column(db, added_columns[i].name))
			return false;
	return true;
}

int
store_account_upgrade(struct store *store, const char **errstr_out)
{
	sqlite3 *db = store->db;

	if (has_all_columns(db))
		return 0;
	/* A database from an older version (before the POP3 keep policy,
	 * before SCRAM). Every process opens the store at start, so several
	 * may race here: the write lock decides, and the losers find the
	 * columns there. Users keep NULL SCRAM credentials until their
	 * password is set again. */
	if (store_db_exec(db, "BEGIN IMMEDIATE") == -1)
		return store_dberr(store->err, errstr_out, db,
		    "accounts upgrade");
	for (size_t i = 0; i < nitems(added_columns); i++) {
		char *sql;
		int r;

		if (has_column(db, added_columns[i].name))
			continue;
		sql = xasprintf("ALTER TABLE users ADD COLUMN %s",
		    added_columns[i].decl);
		r = store_db_exec(db, sql);
		free(sql);
		if (r == -1) {
			store_dberr(store->err, errstr_out, db,
			    "accounts upgrade");
			(void)store_db_exec(db, "ROLLBACK");
			return -1;
		}
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
