/*
 * mbox.c: opening a folder and its index (schema, locking, meta rows,
 * notification, Maildir names), the cached INBOX handles for delivery,
 * and STATUS. The files side (build, sync, reindex) is mbox-sync.c.
 * Runs in the queue (delivery), POP3, IMAP and posternctl.
 */
#include "store/mbox-private.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/account.h"
#include "store/folder.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

static const char index_schema[] =
    "CREATE TABLE IF NOT EXISTS meta ("
    " k TEXT PRIMARY KEY, v INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS msgs ("
    " uid INTEGER PRIMARY KEY,"
    " base TEXT NOT NULL UNIQUE,"	/* Maildir unique name, with U= */
    " file TEXT NOT NULL,"		/* "new/NAME" or "cur/NAME:2,FS" */
    " flags INTEGER NOT NULL,"
    " keywords TEXT NOT NULL DEFAULT '',"
    " internaldate INTEGER NOT NULL,"
    " size INTEGER NOT NULL,"
    " modseq INTEGER NOT NULL,"
    " envelope TEXT,"			/* filled by the IMAP server */
    " bodystructure TEXT);"
    "CREATE INDEX IF NOT EXISTS msgs_modseq ON msgs (modseq);"
    "CREATE TABLE IF NOT EXISTS expunged ("
    " uid INTEGER PRIMARY KEY, modseq INTEGER NOT NULL);";

/* Flags in Maildir info order (ASCII): D F P R S T. */
static const struct {
	char		letter;
	unsigned	flag;
} info_letters[] = {
	{ 'D', STORE_FLAG_DRAFT },
	{ 'F', STORE_FLAG_FLAGGED },
	{ 'P', STORE_FLAG_FORWARDED },
	{ 'R', STORE_FLAG_ANSWERED },
	{ 'S', STORE_FLAG_SEEN },
	{ 'T', STORE_FLAG_DELETED },
};

void
store_flags_to_info(unsigned flags, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < nitems(info_letters); i++)
		if (flags & info_letters[i].flag)
			out[n++] = info_letters[i].letter;
	out[n] = '\0';
}

unsigned
store_flags_from_info(const char *info)
{
	unsigned flags = 0;

	for (; *info != '\0'; info++)
		for (size_t i = 0; i < nitems(info_letters); i++)
			if (*info == info_letters[i].letter)
				flags |= info_letters[i].flag;
	return flags;
}

size_t
mbox_name_base_len(const char *name)
{
	const char *c = strchr(name, ':');

	return c ? (size_t)(c - name) : strlen(name);
}

int64_t
mbox_name_field(const char *name, char key)
{
	size_t blen = mbox_name_base_len(name);
	const char *p = name;
	int64_t v = 0;

	while ((p = memchr(p, ',', blen - (size_t)(p - name))) != NULL) {
		p++;
		if ((size_t)(p - name) + 2 > blen || p[0] != key || p[1] != '=')
			continue;
		p += 2;
		if (!(*p >= '0' && *p <= '9'))
			return -1;
		for (; (size_t)(p - name) < blen && *p >= '0' && *p <= '9'; p++) {
			if (v > (INT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (*p - '0');
		}
		return v;
	}
	return -1;
}

char *
mbox_name_with_uid(const char *name, uint32_t uid)
{
	size_t blen = mbox_name_base_len(name), cut = blen, end = blen;
	const char *u = NULL;

	for (const char *p = name; (p = memchr(p, ',', blen -
	    (size_t)(p - name))) != NULL; p++)
		if ((size_t)(p - name) + 3 <= blen && p[1] == 'U' &&
		    p[2] == '=')
			u = p;
	if (u != NULL) {
		cut = (size_t)(u - name);
		for (end = cut + 1; end < blen && name[end] != ','; end++)
			;
	}
	return xasprintf("%.*s%.*s,U=%" PRIu32 "%s", (int)cut, name,
	    (int)(blen - end), name + end, uid, name + blen);
}

char *
mbox_name_with_flags(const char *name, unsigned flags)
{
	char info[8];

	store_flags_to_info(flags, info);
	return xasprintf("%.*s:2,%s", (int)mbox_name_base_len(name), name,
	    info);
}

static void
unlock(struct store_mbox *mbox)
{
	if (mbox->locked) {
		flock(mbox->lockfd, LOCK_UN);
		mbox->locked = false;
	}
}

int
mbox_begin(struct store_mbox *mbox, const char **errstr_out)
{
	char *path;

	if (mbox->lockfd == -1) {
		path = xasprintf("%s/%s", mbox->dir, MBOX_LOCK_FILE);
		mbox->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		free(path);
		if (mbox->lockfd == -1)
			return store_err(mbox->err, errstr_out, "%s/%s: %s",
			    mbox->dir, MBOX_LOCK_FILE, strerror(errno));
	}
	assert(!mbox->locked);	/* no nested write transactions */
	while (flock(mbox->lockfd, LOCK_EX) == -1)
		if (errno != EINTR)
			return store_err(mbox->err, errstr_out, "flock %s: %s",
			    mbox->dir, strerror(errno));
	mbox->locked = true;
	if (store_db_exec(mbox->db, "BEGIN IMMEDIATE") == -1) {
		store_dberr(mbox->err, errstr_out, mbox->db, mbox->dir);
		unlock(mbox);
		return -1;
	}
	return 0;
}

int
mbox_commit(struct store_mbox *mbox, const char **errstr_out)
{
	if (store_db_exec(mbox->db, "COMMIT") == -1) {
		store_dberr(mbox->err, errstr_out, mbox->db, mbox->dir);
		mbox_rollback(mbox);
		return -1;
	}
	unlock(mbox);
	return 0;
}

void
mbox_rollback(struct store_mbox *mbox)
{
	if (!sqlite3_get_autocommit(mbox->db))
		store_db_exec(mbox->db, "ROLLBACK");
	unlock(mbox);
}

int
mbox_meta_get(struct store_mbox *mbox, const char *key, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(mbox->db, "SELECT v FROM meta WHERE k = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
mbox_meta_set(struct store_mbox *mbox, const char *key, int64_t v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(mbox->db, "INSERT OR REPLACE INTO meta (k, v)"
	    " VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int64_t
mbox_modseq_next(struct store_mbox *mbox)
{
	int64_t m;

	if (mbox_meta_get(mbox, "highestmodseq", &m) != 1 ||
	    mbox_meta_set(mbox, "highestmodseq", m + 1) == -1)
		return -1;
	return m + 1;
}

void
mbox_notify(struct store_mbox *mbox)
{
	int fd;

	if (utimensat(AT_FDCWD, mbox->notify, NULL, 0) == 0)
		return;
	if ((fd = open(mbox->notify, O_WRONLY | O_CREAT | O_CLOEXEC,
	    0600)) != -1)
		close(fd);
}

static char *
safe_host(const char *h)
{
	char *out = xmalloc(strlen(h) * 4 + 1), *o = out;

	/* Maildir: '/' and ':' in the host part become \057 and \072;
	 * ',' would confuse the S= and U= fields. */
	for (; *h != '\0'; h++) {
		if (*h == '/' || *h == ':' || *h == ',' || *h == '\\') {
			snprintf(o, 5, "\\%03o", (unsigned char)*h);
			o += 4;
		} else
			*o++ = *h;
	}
	*o = '\0';
	return out;
}

int
mbox_open_ex(struct store *store, const char *user, const char *folder,
    struct store_mbox **mbox_out, bool *renumbered_out,
    const char **errstr_out)
{
	struct store_mbox *mbox;
	const char *errstr = NULL;
	char *dir, *path, *root;
	int64_t uv;
	int r;

	*mbox_out = NULL;	/* callers may close it whatever we return */
	if ((r = store_folder_exists(store, user, folder, errstr_out)) != 1)
		return r;
	if (store_folder_path(store, user, folder, &dir, errstr_out) == -1)
		return -1;
	mbox = xcalloc(1, sizeof(*mbox));
	mbox->lockfd = -1;
	mbox->store = store;
	mbox->dir = dir;
	mbox->notify = xasprintf("%s/%s", dir, MBOX_NOTIFY_FILE);
	mbox->uvfile = xasprintf("%s/%s", dir, MBOX_UIDVALIDITY_FILE);
	root = store_user_dir(store, user);	/* valid: the path was */
	mbox->lastuv = xasprintf("%s/%s", root, MBOX_LAST_UV_FILE);
	free(root);
	mbox->host = safe_host(store->cfg->hostname);
	path = xasprintf("%s/%s", dir, MBOX_INDEX_FILE);
	r = store_db_open(path, index_schema, &mbox->db, mbox->err, &errstr);
	free(path);
	if (r == -1)
		goto fail;
	mbox->user = xstrdup(user);
	{
		struct stat st;
		path = xasprintf("%s/%s", dir, MBOX_INDEX_FILE);
		if (stat(path, &st) == 0) {
			mbox->dev = st.st_dev;
			mbox->ino = st.st_ino;
		}
		free(path);
	}
	/* Small caches: an IMAP process holds thousands of these. */
	sqlite3_exec(mbox->db, "PRAGMA cache_size=-" STR(MBOX_CACHE_KIB),
	    NULL, NULL, NULL);
	/* The common case needs no write lock: the index is built. */
	if ((r = mbox_meta_get(mbox, "uidvalidity", &uv)) == 1) {
		*mbox_out = mbox;
		return 1;
	}
	/* Several processes may open a folder without an index at once:
	 * the write lock lets one build it and the others find it built. */
	if (mbox_begin(mbox, &errstr) == -1)
		goto fail;
	r = mbox_meta_get(mbox, "uidvalidity", &uv);
	if (r == -1) {
		store_dberr(mbox->err, &errstr, mbox->db, "index");
		goto fail;
	}
	if (r == 0 && mbox_build(mbox, 0, 0, renumbered_out, &errstr) == -1)
		goto fail;
	if (mbox_commit(mbox, &errstr) == -1)
		goto fail;
	if (r == 0)
		mbox_notify(mbox);
	*mbox_out = mbox;
	return 1;
fail:
	if (mbox->db != NULL)
		mbox_rollback(mbox);
	/* The message lives in the handle being freed: move it. */
	store_err(store->err, errstr_out, "%s", errstr ? errstr : "index");
	store_mbox_close(&mbox);
	return -1;
}

int
store_mbox_open(struct store *store, const char *user, const char *folder,
    struct store_mbox **mbox_out, const char **errstr_out)
{
	return mbox_open_ex(store, user, folder, mbox_out, NULL, errstr_out);
}

void
store_mbox_close(struct store_mbox **mboxp)
{
	struct store_mbox *mbox = *mboxp;

	if (mbox == NULL)
		return;
	sqlite3_close(mbox->db);
	if (mbox->lockfd != -1)
		close(mbox->lockfd);
	free(mbox->dir);
	free(mbox->notify);
	free(mbox->uvfile);
	free(mbox->lastuv);
	free(mbox->host);
	free(mbox->user);
	free(mbox);
	*mboxp = NULL;
}

/* Whether a cached handle still points at the folder's index file. */
static bool
mbox_current(struct store_mbox *mbox)
{
	struct stat st;
	char *path = xasprintf("%s/%s", mbox->dir, MBOX_INDEX_FILE);
	int r = stat(path, &st);

	free(path);
	return r == 0 && st.st_dev == mbox->dev && st.st_ino == mbox->ino;
}

int
store_inbox_get(struct store *store, const char *user,
    struct store_mbox **mbox_out, const char **errstr_out)
{
	struct store_mbox **slot = NULL;
	int r;

	for (size_t i = 0; i < STORE_INBOX_CACHE; i++) {
		struct store_mbox *m = store->inbox[i];
		if (m == NULL || strcmp(m->user, user) != 0)
			continue;
		if (mbox_current(m)) {
			*mbox_out = m;
			return 1;
		}
		store_mbox_close(&store->inbox[i]);
		slot = &store->inbox[i];
		break;
	}
	if (slot == NULL) {
		slot = &store->inbox[store->inbox_next];
		store->inbox_next = (store->inbox_next + 1) % STORE_INBOX_CACHE;
		store_mbox_close(slot);
	}
	if ((r = store_mbox_open(store, user, "INBOX", slot, errstr_out)) != 1)
		return r;
	*mbox_out = *slot;
	return 1;
}

void
store_inbox_cache_free(struct store *store)
{
	for (size_t i = 0; i < STORE_INBOX_CACHE; i++)
		store_mbox_close(&store->inbox[i]);
}

const char *
store_mbox_dir(const struct store_mbox *mbox)
{
	return mbox->dir;
}

const char *
store_mbox_notify_path(const struct store_mbox *mbox)
{
	return mbox->notify;
}

int
store_mbox_status(struct store_mbox *mbox, struct store_mbox_status *out,
    const char **errstr_out)
{
	sqlite3_stmt *st = NULL;
	int64_t uv = 0, un = 0, hm = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	/* One read transaction: a consistent snapshot. */
	if (store_db_exec(mbox->db, "BEGIN") == -1)
		return store_dberr(mbox->err, errstr_out, mbox->db, "status");
	if (mbox_meta_get(mbox, "uidvalidity", &uv) != 1 ||
	    mbox_meta_get(mbox, "uidnext", &un) != 1 ||
	    mbox_meta_get(mbox, "highestmodseq", &hm) != 1 ||
	    sqlite3_prepare_v2(mbox->db, "SELECT count(*),"
	    " coalesce(sum((flags & 1) = 0), 0),"
	    " coalesce(sum((flags & 8) != 0), 0), coalesce(sum(size), 0)"
	    " FROM msgs", -1, &st, NULL) != SQLITE_OK) {
		store_dberr(mbox->err, errstr_out, mbox->db, "status");
		store_db_exec(mbox->db, "ROLLBACK");
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->exists = (uint32_t)sqlite3_column_int64(st, 0);
		out->unseen = (uint32_t)sqlite3_column_int64(st, 1);
		out->deleted = (uint32_t)sqlite3_column_int64(st, 2);
		out->bytes = (uint64_t)sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	store_db_exec(mbox->db, "ROLLBACK");	/* a read: nothing to keep */
	if (rc != SQLITE_ROW)
		return store_dberr(mbox->err, errstr_out, mbox->db, "status");
	out->uidvalidity = (uint32_t)uv;
	out->uidnext = (uint32_t)un;
	out->highestmodseq = (uint64_t)hm;
	return 0;
}
