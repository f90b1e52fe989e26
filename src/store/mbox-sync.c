/*
 * mbox-sync.c: the Maildir side of a folder's index: scanning the files,
 * building an index from them (UIDVALIDITY kept or renewed, see mbox.h),
 * following changes other tools made (store_mbox_sync) and rebuilding on
 * demand (store_mbox_reindex). Runs wherever mbox.c does.
 */
#include "store/mbox-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/util.h"
#include "store/folder.h"

/* Reads postern-uidvalidity: 1 and the values, 0 none, -1 unreadable. */
static int
uvfile_read(struct store_mbox *mbox, int64_t *uidvalidity, int64_t *floor)
{
	char text[64];
	ssize_t n;
	int fd;

	if ((fd = open(mbox->uvfile, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	if (sscanf(text, "%" SCNd64 " %" SCNd64, uidvalidity, floor) != 2 ||
	    *uidvalidity <= 0 || *uidvalidity > UINT32_MAX || *floor < 1)
		return 0;
	return 1;
}

/*
 * A new UIDVALIDITY for a folder: the time, but always above the last one
 * given to any folder of this user, so a folder deleted and created again
 * within a second still gets a new one (RFC 3501 §2.3.1.1). -1 on error.
 */
static int64_t
uidvalidity_new(struct store_mbox *mbox, int64_t old)
{
	int64_t uv = time(NULL), last = 0;
	char text[32];
	ssize_t n;
	int fd, len;

	if ((fd = open(mbox->lastuv, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n > 0) {
			text[n] = '\0';
			last = strtoll(text, NULL, 10);
		}
	}
	if (uv <= old)
		uv = old + 1;
	if (uv <= last)
		uv = last + 1;
	if (uv > UINT32_MAX)
		uv = 1;		/* after 2106, or 4 billion renumberings */
	len = snprintf(text, sizeof(text), "%" PRId64 "\n", uv);
	if (durable_write(mbox->lastuv, text, (size_t)len, 0600) == -1)
		return -1;
	return uv;
}

static int
uvfile_write(struct store_mbox *mbox, int64_t uidvalidity, int64_t floor)
{
	char text[64];
	int n;

	n = snprintf(text, sizeof(text), "%" PRId64 " %" PRId64 "\n",
	    uidvalidity, floor);
	return durable_write(mbox->uvfile, text, (size_t)n, 0600);
}

int
mbox_expunged(struct store_mbox *mbox, uint32_t uid, int64_t modseq)
{
	sqlite3_stmt *st = NULL;
	int64_t uv, uidnext, maxuid = 0;
	int rc;

	if (sqlite3_prepare_v2(mbox->db, "INSERT OR REPLACE INTO expunged"
	    " (uid, modseq) VALUES (?, ?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, uid);
	sqlite3_bind_int64(st, 2, modseq);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	/* When no file carries the highest UID any more, a rebuild could
	 * not see UIDNEXT: keep it in postern-uidvalidity. */
	if (sqlite3_prepare_v2(mbox->db, "SELECT max(uid) FROM msgs", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		maxuid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (maxuid > uid)
		return 0;
	if (mbox_meta_get(mbox, "uidvalidity", &uv) != 1 ||
	    mbox_meta_get(mbox, "uidnext", &uidnext) != 1)
		return -1;
	return uvfile_write(mbox, uv, uidnext);
}

/* One file found in new/ or cur/. */
struct mfile {
	char	*file;		/* "new/NAME" */
	char	*name;		/* points into file */
	size_t	 blen;
	int64_t	 uidtag;	/* U=, or -1 */
	int64_t	 mtime;
	int64_t	 size;
};

static void
mfiles_free(struct mfile *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].file);
	free(v);
}

static int
mfile_cmp_base(const void *a, const void *b)
{
	const struct mfile *x = a, *y = b;
	size_t l = x->blen < y->blen ? x->blen : y->blen;
	int c = memcmp(x->name, y->name, l);

	if (c != 0)
		return c;
	return (x->blen > y->blen) - (x->blen < y->blen);
}

/* Lists new/ and cur/ sorted by base. 0 or -1. */
static int
scan(struct store_mbox *mbox, struct mfile **out, size_t *n_out)
{
	static const char *const subs[] = { "new", "cur" };
	struct mfile *v = NULL;
	struct dirent *de;
	struct stat st;
	size_t n = 0;
	char *path;
	DIR *d;

	for (size_t s = 0; s < nitems(subs); s++) {
		path = xasprintf("%s/%s", mbox->dir, subs[s]);
		d = opendir(path);
		if (d == NULL) {
			free(path);
			mfiles_free(v, n);
			return -1;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' ||
			    strlen(de->d_name) > MBOX_NAME_MAX)
				continue;
			char *full = xasprintf("%s/%s", path, de->d_name);
			int r = stat(full, &st);
			free(full);
			if (r == -1 || !S_ISREG(st.st_mode))
				continue;
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n].file = xasprintf("%s/%s", subs[s], de->d_name);
			v[n].name = v[n].file + 4;
			v[n].blen = mbox_name_base_len(v[n].name);
			v[n].uidtag = mbox_name_field(v[n].name, 'U');
			v[n].mtime = st.st_mtime;
			v[n].size = st.st_size;
			n++;
		}
		closedir(d);
		free(path);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), mfile_cmp_base);
	*out = v;
	*n_out = n;
	return 0;
}

static int
mfile_cmp_arrival(const void *a, const void *b)
{
	const struct mfile *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return mfile_cmp_base(a, b);
}

static int
mfile_cmp_uidtag(const void *a, const void *b)
{
	const struct mfile *x = a, *y = b;

	return (x->uidtag > y->uidtag) - (x->uidtag < y->uidtag);
}

/* Renames f to carry U=uid (same directory). 0 or -1. */
static int
retag(struct store_mbox *mbox, struct mfile *f, uint32_t uid)
{
	char *newname = mbox_name_with_uid(f->name, uid);
	char sub[4];
	char *from, *to;
	int r;

	memcpy(sub, f->file, 3);
	sub[3] = '\0';
	from = xasprintf("%s/%s", mbox->dir, f->file);
	to = xasprintf("%s/%s/%s", mbox->dir, sub, newname);
	r = rename(from, to);
	free(from);
	free(to);
	if (r == 0) {
		free(f->file);
		f->file = xasprintf("%s/%s", sub, newname);
		f->name = f->file + 4;
		f->blen = mbox_name_base_len(f->name);
		f->uidtag = uid;
	}
	free(newname);
	return r;
}

static int
insert_file(struct store_mbox *mbox, sqlite3_stmt *ins, const struct mfile *f,
    uint32_t uid, int64_t modseq)
{
	const char *info = strchr(f->name, ':');
	unsigned flags = 0;

	if (info != NULL && strncmp(info, ":2,", 3) == 0)
		flags = store_flags_from_info(info + 3);
	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, uid);
	sqlite3_bind_text(ins, 2, f->name, (int)f->blen, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, f->file, -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 4, (int)flags);
	sqlite3_bind_int64(ins, 5, f->mtime);
	sqlite3_bind_int64(ins, 6, f->size);
	sqlite3_bind_int64(ins, 7, modseq);
	return sqlite3_step(ins) == SQLITE_DONE ? 0 : -1;
}

static const char insert_sql[] = "INSERT INTO msgs (uid, base, file, flags,"
    " internaldate, size, modseq) VALUES (?, ?, ?, ?, ?, ?, ?)";

/*
 * Builds the index from the files, inside a transaction, into empty
 * tables (see mbox.h for the UIDVALIDITY rules). *renumbered_out tells
 * whether a new UIDVALIDITY was chosen. 0 or -1.
 */
int
mbox_build(struct store_mbox *mbox, int64_t old_uv, int64_t old_modseq,
    bool *renumbered_out, const char **errstr_out)
{
	struct timeval tv;
	struct mfile *v;
	sqlite3_stmt *ins = NULL;
	int64_t uv = 0, floor = 1, uidnext, modseq;
	bool keep;
	size_t n;
	int r = 0;

	if (scan(mbox, &v, &n) == -1)
		return store_err(mbox->err, errstr_out, "%s: %s", mbox->dir,
		    strerror(errno));
	if (uvfile_read(mbox, &uv, &floor) != 1) {
		uv = 0;
		floor = 1;
	}
	if (old_uv > uv)
		uv = old_uv;
	/* Keep the UIDs when every file has its own valid U= tag. */
	if (n > 1)
		qsort(v, n, sizeof(*v), mfile_cmp_uidtag);
	keep = uv > 0;
	for (size_t i = 0; keep && i < n; i++)
		if (v[i].uidtag < 1 || v[i].uidtag > UINT32_MAX - 1 ||
		    (i > 0 && v[i].uidtag == v[i - 1].uidtag))
			keep = false;
	if (keep) {
		uidnext = n > 0 ? v[n - 1].uidtag + 1 : 1;
		if (uidnext < floor)
			uidnext = floor;
	} else {
		if ((uv = uidvalidity_new(mbox, uv)) == -1) {
			r = store_err(mbox->err, errstr_out, "%s: %s",
			    mbox->lastuv, strerror(errno));
			goto out;
		}
		if (n > 1)
			qsort(v, n, sizeof(*v), mfile_cmp_arrival);
		for (size_t i = 0; i < n; i++)
			if (retag(mbox, &v[i], (uint32_t)(i + 1)) == -1) {
				r = store_err(mbox->err, errstr_out, "%s: %s",
				    v[i].file, strerror(errno));
				goto out;
			}
		uidnext = (int64_t)n + 1;
	}
	/*
	 * MODSEQs only grow across rebuilds, even when the old index is
	 * lost: they start at the time in microseconds, and every change
	 * costs a committed transaction (far more than a microsecond).
	 */
	gettimeofday(&tv, NULL);
	modseq = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	if (modseq <= old_modseq)
		modseq = old_modseq + 1;
	if (sqlite3_prepare_v2(mbox->db, insert_sql, -1, &ins, NULL) !=
	    SQLITE_OK) {
		r = store_dberr(mbox->err, errstr_out, mbox->db, "index build");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (insert_file(mbox, ins, &v[i], (uint32_t)v[i].uidtag,
		    modseq) == -1) {
			r = store_dberr(mbox->err, errstr_out, mbox->db,
			    "index build");
			goto out;
		}
	if (mbox_meta_set(mbox, "uidvalidity", uv) == -1 ||
	    mbox_meta_set(mbox, "uidnext", uidnext) == -1 ||
	    mbox_meta_set(mbox, "highestmodseq", modseq) == -1) {
		r = store_dberr(mbox->err, errstr_out, mbox->db, "index build");
		goto out;
	}
	if (uvfile_write(mbox, uv, uidnext) == -1) {
		r = store_err(mbox->err, errstr_out, "%s: %s", mbox->uvfile,
		    strerror(errno));
		goto out;
	}
	if (renumbered_out != NULL)
		*renumbered_out = !keep;
out:
	sqlite3_finalize(ins);
	mfiles_free(v, n);
	return r;
}

/* The index rows, sorted by base, for sync. */
struct mrow {
	uint32_t uid;
	char	*base;
	char	*file;
	unsigned flags;
};

static int
mrow_cmp(const void *a, const void *b)
{
	const struct mrow *x = a, *y = b;

	return strcmp(x->base, y->base);
}

/* Compares a file's base with a row's base like mfile_cmp_base. */
static int
base_cmp(const struct mfile *f, const char *base)
{
	size_t bl = strlen(base), l = f->blen < bl ? f->blen : bl;
	int c = memcmp(f->name, base, l);

	if (c != 0)
		return c;
	return (f->blen > bl) - (f->blen < bl);
}

static int
sync_locked(struct store_mbox *mbox, bool *changed, const char **errstr_out)
{
	struct mfile *v = NULL;
	struct mrow *rows = NULL;
	sqlite3_stmt *st = NULL, *ins = NULL;
	size_t n = 0, nrows = 0, i = 0, j = 0;
	int64_t uidnext, m;
	int r = -1;

	if (scan(mbox, &v, &n) == -1) {
		store_err(mbox->err, errstr_out, "%s: %s", mbox->dir,
		    strerror(errno));
		return -1;
	}
	if (sqlite3_prepare_v2(mbox->db, "SELECT uid, base, file, flags FROM"
	    " msgs", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	while (sqlite3_step(st) == SQLITE_ROW) {
		rows = xreallocarray(rows, nrows + 1, sizeof(*rows));
		rows[nrows].uid = (uint32_t)sqlite3_column_int64(st, 0);
		rows[nrows].base = xstrdup((const char *)
		    sqlite3_column_text(st, 1));
		rows[nrows].file = xstrdup((const char *)
		    sqlite3_column_text(st, 2));
		rows[nrows].flags = (unsigned)sqlite3_column_int(st, 3);
		nrows++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (nrows > 1)
		qsort(rows, nrows, sizeof(*rows), mrow_cmp);
	if (mbox_meta_get(mbox, "uidnext", &uidnext) != 1 ||
	    sqlite3_prepare_v2(mbox->db, insert_sql, -1, &ins, NULL) !=
	    SQLITE_OK)
		goto dberr;
	while (i < n || j < nrows) {
		int c = i == n ? 1 : j == nrows ? -1 :
		    base_cmp(&v[i], rows[j].base);
		if (c > 0) {
			/* Indexed, but the file is gone: expunged. */
			if ((m = mbox_modseq_next(mbox)) == -1)
				goto dberr;
			sqlite3_stmt *del = NULL;
			if (sqlite3_prepare_v2(mbox->db, "DELETE FROM msgs"
			    " WHERE uid = ?", -1, &del, NULL) != SQLITE_OK)
				goto dberr;
			sqlite3_bind_int64(del, 1, rows[j].uid);
			int rc = sqlite3_step(del);
			sqlite3_finalize(del);
			if (rc != SQLITE_DONE ||
			    mbox_expunged(mbox, rows[j].uid, m) == -1)
				goto dberr;
			*changed = true;
			j++;
		} else if (c < 0) {
			/* A file nobody indexed: give it a UID. */
			uint32_t uid = (uint32_t)uidnext;
			if (v[i].uidtag >= uidnext && v[i].uidtag < UINT32_MAX)
				uid = (uint32_t)v[i].uidtag;
			else if (retag(mbox, &v[i], uid) == -1) {
				store_err(mbox->err, errstr_out, "%s: %s",
				    v[i].file, strerror(errno));
				goto out;
			}
			uidnext = (int64_t)uid + 1;
			if ((m = mbox_modseq_next(mbox)) == -1 ||
			    insert_file(mbox, ins, &v[i], uid, m) == -1)
				goto dberr;
			*changed = true;
			i++;
		} else {
			/* Both: follow a rename (flags by another tool). */
			if (strcmp(v[i].file, rows[j].file) != 0) {
				const char *info = strchr(v[i].name, ':');
				unsigned fl = rows[j].flags;
				if (info != NULL && strncmp(info, ":2,", 3) == 0)
					fl = (fl & ~STORE_FLAG_ALL) |
					    store_flags_from_info(info + 3);
				if ((m = mbox_modseq_next(mbox)) == -1)
					goto dberr;
				sqlite3_stmt *up = NULL;
				if (sqlite3_prepare_v2(mbox->db, "UPDATE msgs"
				    " SET file = ?, flags = ?, modseq ="
				    " CASE WHEN flags = ? THEN modseq ELSE ?"
				    " END WHERE uid = ?", -1, &up, NULL) !=
				    SQLITE_OK)
					goto dberr;
				sqlite3_bind_text(up, 1, v[i].file, -1,
				    SQLITE_STATIC);
				sqlite3_bind_int(up, 2, (int)fl);
				sqlite3_bind_int(up, 3, (int)fl);
				sqlite3_bind_int64(up, 4, m);
				sqlite3_bind_int64(up, 5, rows[j].uid);
				int rc = sqlite3_step(up);
				sqlite3_finalize(up);
				if (rc != SQLITE_DONE)
					goto dberr;
				*changed = true;
			}
			i++;
			j++;
		}
	}
	if (mbox_meta_set(mbox, "uidnext", uidnext) == -1)
		goto dberr;
	r = 0;
	goto out;
dberr:
	store_dberr(mbox->err, errstr_out, mbox->db, "sync");
out:
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	for (size_t k = 0; k < nrows; k++) {
		free(rows[k].base);
		free(rows[k].file);
	}
	free(rows);
	mfiles_free(v, n);
	return r;
}

/*
 * Removes files left in tmp/ by deliveries that died, once they are
 * older than MBOX_TMP_MAX_AGE (the Maildir convention: 36 hours, far
 * longer than any delivery takes).
 */
static void
tmp_clean(struct store_mbox *mbox)
{
	char *path = xasprintf("%s/tmp", mbox->dir);
	time_t limit = time(NULL) - MBOX_TMP_MAX_AGE;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	if ((d = opendir(path)) == NULL) {
		free(path);
		return;
	}
	fd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < limit)
			unlinkat(fd, de->d_name, 0);
	}
	closedir(d);
	free(path);
}

int
store_mbox_sync(struct store_mbox *mbox, bool *changed_out,
    const char **errstr_out)
{
	bool changed = false;

	tmp_clean(mbox);
	if (mbox_begin(mbox, errstr_out) == -1)
		return -1;
	if (sync_locked(mbox, &changed, errstr_out) == -1) {
		mbox_rollback(mbox);
		return -1;
	}
	if (mbox_commit(mbox, errstr_out) == -1)
		return -1;
	if (changed)
		mbox_notify(mbox);
	if (changed_out != NULL)
		*changed_out = changed;
	return 0;
}

/*
 * When the folder's index file is damaged (not a database, or failing
 * SQLite's quick_check), moves it aside as postern-index.db.corrupt and
 * drops its WAL, so the next open rebuilds it from the files. 1 moved,
 * 0 not damaged (or absent), -1 error.
 */
static int
quarantine_corrupt(struct store *store, const char *user, const char *folder)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *errstr;
	char *dir, *path, *aside;
	int rc, bad = 0, r = 0;

	if (store_folder_path(store, user, folder, &dir, &errstr) == -1)
		return -1;
	path = xasprintf("%s/%s", dir, MBOX_INDEX_FILE);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st,
		    NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && strcmp((const char *)
		    sqlite3_column_text(st, 0), "ok") != 0)
			bad = 1;
	}
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
		bad = 1;
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (bad) {
		aside = xasprintf("%s.corrupt", path);
		r = rename(path, aside) == 0 ? 1 : -1;
		free(aside);
		aside = xasprintf("%s-wal", path);
		unlink(aside);
		free(aside);
		aside = xasprintf("%s-shm", path);
		unlink(aside);
		free(aside);
	}
	free(path);
	free(dir);
	return r;
}

int
store_mbox_reindex(struct store *store, const char *user, const char *folder,
    bool *uidvalidity_changed_out, const char **errstr_out)
{
	struct store_mbox *mbox;
	bool renumbered = false, at_open = false;
	int64_t uv = 0, hm = 0;
	const char *errstr = NULL;
	int r;

	r = mbox_open_ex(store, user, folder, &mbox, &at_open, errstr_out);
	if (r == -1 && quarantine_corrupt(store, user, folder) == 1)
		r = mbox_open_ex(store, user, folder, &mbox, &at_open,
		    errstr_out);
	if (r != 1)
		return r;
	if (mbox_begin(mbox, &errstr) == -1)
		goto fail;
	if (mbox_meta_get(mbox, "uidvalidity", &uv) == -1 ||
	    mbox_meta_get(mbox, "highestmodseq", &hm) == -1 ||
	    store_db_exec(mbox->db, "DELETE FROM msgs") == -1 ||
	    store_db_exec(mbox->db, "DELETE FROM meta") == -1) {
		store_dberr(mbox->err, &errstr, mbox->db, "reindex");
		mbox_rollback(mbox);
		goto fail;
	}
	/* Expunge history keeps its old, smaller MODSEQs: still valid. */
	if (mbox_build(mbox, uv, hm, &renumbered, &errstr) == -1) {
		mbox_rollback(mbox);
		goto fail;
	}
	if (mbox_commit(mbox, &errstr) == -1)
		goto fail;
	mbox_notify(mbox);
	if (uidvalidity_changed_out != NULL)
		*uidvalidity_changed_out = renumbered || at_open;
	store_mbox_close(&mbox);
	return 1;
fail:
	store_err(store->err, errstr_out, "%s", errstr);
	store_mbox_close(&mbox);
	return -1;
}
