/*
 * mbox.c: opening a folder, its index (schema, meta, notification), and
 * keeping the index and the Maildir files in step: build, sync, reindex.
 * Runs in the queue (delivery), POP3, IMAP and posternctl.
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
#include <time.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/util.h"
#include "store/folder.h"

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

int
mbox_begin(struct store_mbox *mbox, const char **errstr_out)
{
	if (store_db_exec(mbox->db, "BEGIN IMMEDIATE") == -1)
		return store_dberr(mbox->err, errstr_out, mbox->db, mbox->dir);
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
	return 0;
}

void
mbox_rollback(struct store_mbox *mbox)
{
	if (!sqlite3_get_autocommit(mbox->db))
		store_db_exec(mbox->db, "ROLLBACK");
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
static int
build(struct store_mbox *mbox, int64_t old_uv, bool *renumbered_out,
    const char **errstr_out)
{
	struct mfile *v;
	sqlite3_stmt *ins = NULL;
	int64_t uv = 0, floor = 1, uidnext, modseq, now = time(NULL);
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
		uv = uv >= now ? uv + 1 : now;
		if (uv > UINT32_MAX)
			uv = 1;
		qsort(v, n, sizeof(*v), mfile_cmp_arrival);
		for (size_t i = 0; i < n; i++)
			if (retag(mbox, &v[i], (uint32_t)(i + 1)) == -1) {
				r = store_err(mbox->err, errstr_out, "%s: %s",
				    v[i].file, strerror(errno));
				goto out;
			}
		uidnext = (int64_t)n + 1;
	}
	/* MODSEQs only grow across rebuilds: see mbox.h. */
	modseq = now << 20;
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
store_mbox_open(struct store *store, const char *user, const char *folder,
    struct store_mbox **mbox_out, const char **errstr_out)
{
	struct store_mbox *mbox;
	const char *errstr = NULL;
	char *dir, *path;
	int64_t uv;
	int r;

	if ((r = store_folder_exists(store, user, folder, errstr_out)) != 1)
		return r;
	if (store_folder_path(store, user, folder, &dir, errstr_out) == -1)
		return -1;
	mbox = xcalloc(1, sizeof(*mbox));
	mbox->store = store;
	mbox->dir = dir;
	mbox->notify = xasprintf("%s/%s", dir, MBOX_NOTIFY_FILE);
	mbox->uvfile = xasprintf("%s/%s", dir, MBOX_UIDVALIDITY_FILE);
	mbox->host = safe_host(store->cfg->hostname);
	path = xasprintf("%s/%s", dir, MBOX_INDEX_FILE);
	r = store_db_open(path, index_schema, &mbox->db, mbox->err, &errstr);
	free(path);
	if (r == -1 || mbox_begin(mbox, &errstr) == -1)
		goto fail;
	/* Several processes may open a folder without an index at once:
	 * the write lock lets one build it and the others find it built. */
	r = mbox_meta_get(mbox, "uidvalidity", &uv);
	if (r == -1) {
		store_dberr(mbox->err, &errstr, mbox->db, "index");
		goto fail;
	}
	if (r == 0 && build(mbox, 0, NULL, &errstr) == -1)
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

void
store_mbox_close(struct store_mbox **mboxp)
{
	struct store_mbox *mbox = *mboxp;

	if (mbox == NULL)
		return;
	sqlite3_close(mbox->db);
	free(mbox->dir);
	free(mbox->notify);
	free(mbox->uvfile);
	free(mbox->host);
	free(mbox);
	*mboxp = NULL;
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
		mbox_rollback(mbox);
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
	mbox_rollback(mbox);
	if (rc != SQLITE_ROW)
		return store_dberr(mbox->err, errstr_out, mbox->db, "status");
	out->uidvalidity = (uint32_t)uv;
	out->uidnext = (uint32_t)un;
	out->highestmodseq = (uint64_t)hm;
	return 0;
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

int
store_mbox_sync(struct store_mbox *mbox, bool *changed_out,
    const char **errstr_out)
{
	bool changed = false;

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

int
store_mbox_reindex(struct store *store, const char *user, const char *folder,
    bool *uidvalidity_changed_out, const char **errstr_out)
{
	struct store_mbox *mbox;
	bool renumbered = false;
	int64_t uv = 0;
	int r;

	const char *errstr = NULL;

	if ((r = store_mbox_open(store, user, folder, &mbox, errstr_out)) != 1)
		return r;
	if (mbox_begin(mbox, &errstr) == -1)
		goto fail;
	if (mbox_meta_get(mbox, "uidvalidity", &uv) == -1 ||
	    store_db_exec(mbox->db, "DELETE FROM msgs") == -1 ||
	    store_db_exec(mbox->db, "DELETE FROM meta") == -1) {
		store_dberr(mbox->err, &errstr, mbox->db, "reindex");
		mbox_rollback(mbox);
		goto fail;
	}
	/* Expunge history keeps its old, smaller MODSEQs: still valid. */
	if (build(mbox, uv, &renumbered, &errstr) == -1) {
		mbox_rollback(mbox);
		goto fail;
	}
	if (mbox_commit(mbox, &errstr) == -1)
		goto fail;
	mbox_notify(mbox);
	if (uidvalidity_changed_out != NULL)
		*uidvalidity_changed_out = renumbered;
	store_mbox_close(&mbox);
	return 1;
fail:
	store_err(store->err, errstr_out, "%s", errstr);
	store_mbox_close(&mbox);
	return -1;
}
