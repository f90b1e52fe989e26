/*
 * msg.c: message operations on one folder: append (durable), iterate,
 * open, flags and keywords, expunge, copy and move, cached fields.
 * Runs in the queue (delivery), POP3 and IMAP processes.
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

/* Keywords: IMAP atoms (RFC 3501 §9 flag-keyword), space-separated. */
static bool
kw_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

static int
kw_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits s into words appended to *v. -1 for a malformed keyword. */
static int
kw_split(const char *s, char ***v, size_t *n)
{
	const char *p = s, *start;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (start = p; *p != '\0' && *p != ' '; p++)
			if (!kw_char_ok((unsigned char)*p))
				return -1;
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		(*v)[(*n)++] = xstrndup(start, (size_t)(p - start));
	}
	return 0;
}

/*
 * The keyword list after op: sorted, without duplicates. NULL when a
 * keyword is malformed or the list grows past STORE_KEYWORDS_MAX.
 */
static char *
kw_apply(const char *old, enum store_flag_op op, const char *arg)
{
	char **v = NULL, **del = NULL, *out;
	size_t n = 0, ndel = 0, len = 0, o = 0;
	int bad = 0;

	if (op != STORE_FLAGS_SET)
		bad |= kw_split(old, &v, &n);
	if (op == STORE_FLAGS_REMOVE)
		bad |= kw_split(arg, &del, &ndel);
	else
		bad |= kw_split(arg, &v, &n);
	if (n > 1)
		qsort(v, n, sizeof(*v), kw_cmp);
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	out = xmalloc(len + 1);
	for (size_t i = 0; i < n; i++) {
		bool skip = i > 0 && strcmp(v[i], v[i - 1]) == 0;
		for (size_t j = 0; !skip && j < ndel; j++)
			skip = strcmp(v[i], del[j]) == 0;
		if (!skip) {
			if (o > 0)
				out[o++] = ' ';
			memcpy(out + o, v[i], strlen(v[i]));
			o += strlen(v[i]);
		}
	}
	out[o] = '\0';
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	for (size_t i = 0; i < ndel; i++)
		free(del[i]);
	free(v);
	free(del);
	if (bad || o > STORE_KEYWORDS_MAX) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * A message written to the folder's tmp/ and not yet visible: phase one of
 * an append. Phase two (publish) gives it a UID and renames it into new/
 * or cur/ inside the index transaction.
 */
struct store_staged {
	char		*dir;		/* the folder's directory */
	char		*tmp;		/* full path in tmp/ */
	char		*base;		/* the Maildir unique name, with S= */
	size_t		 total;
	int64_t		 internaldate;
	unsigned	 flags;
	char		*kw;
	bool		 published;
};

/* Writes the pieces to a new file in tmp/, fsyncing it when sync; sets
 * its mtime to the internal date. Returns the tmp path (the caller frees)
 * or NULL. */
static char *
write_tmp(struct store_mbox *mbox, const struct iovec *iov, int iovcnt,
    size_t total, int64_t internaldate, bool sync, char **base_out)
{
	struct timespec ts[2];
	struct timeval tv;
	char *base, *path;
	int fd, saved;

	gettimeofday(&tv, NULL);
	/* The Maildir unique name: time, microseconds, pid, randomness,
	 * host; S= for Maildir++ readers. U= is added at the rename. */
	base = xasprintf("%lld.M%06ldP%ldR%08x.%s,S=%zu", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), arc4random(), mbox->host, total);
	path = xasprintf("%s/tmp/%s", mbox->dir, base);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	for (int i = 0; i < iovcnt; i++)
		if (durable_write_all(fd, iov[i].iov_base, iov[i].iov_len) == -1)
			goto fail_fd;
	ts[0].tv_sec = ts[1].tv_sec = internaldate;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (futimens(fd, ts) == -1 || (sync && fsync(fd) == -1))
		goto fail_fd;
	if (!sync) {
		/* Made durable by the caller's store_sync. */
		store_sync_add(mbox->store, fd, mbox->dev);
	} else if (close(fd) == -1) {
		fd = -1;
		goto fail_fd;
	}
	*base_out = base;
	return path;
fail_fd:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(path);
	errno = saved;
fail:
	free(path);
	free(base);
	return NULL;
}

static int
stage(struct store_mbox *mbox, const struct iovec *iov, int iovcnt,
    unsigned flags, const char *keywords, int64_t internaldate, bool sync,
    struct store_staged **out, const char **errstr_out)
{
	struct store_staged *st;
	size_t total = 0;
	char *kw;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total > STORE_MSG_MAX)
		return store_err(mbox->err, errstr_out, "message too large");
	if ((kw = kw_apply("", STORE_FLAGS_SET, keywords ? keywords : "")) ==
	    NULL)
		return store_err(mbox->err, errstr_out, "bad keyword list");
	st = xcalloc(1, sizeof(*st));
	st->dir = xstrdup(mbox->dir);
	st->total = total;
	st->flags = flags & STORE_FLAG_ALL;
	st->internaldate = internaldate > 0 ? internaldate : time(NULL);
	st->kw = kw;
	st->tmp = write_tmp(mbox, iov, iovcnt, total, st->internaldate, sync,
	    &st->base);
	if (st->tmp == NULL) {
		free(kw);
		free(st->dir);
		free(st);
		return store_err(mbox->err, errstr_out, "%s/tmp: %s",
		    mbox->dir, strerror(errno));
	}
	*out = st;
	return 0;
}

void
store_staged_free(struct store_staged **stp)
{
	struct store_staged *st = *stp;

	if (st == NULL)
		return;
	if (!st->published)
		unlink(st->tmp);
	free(st->dir);
	free(st->tmp);
	free(st->base);
	free(st->kw);
	free(st);
	*stp = NULL;
}

/*
 * Inside the folder's write transaction: gives st the next UID, indexes
 * it and renames it into place. *final_out (caller frees) is the new path,
 * so a caller that rolls back can rename it back.
 */
static int
publish_locked(struct store_mbox *mbox, struct store_staged *st,
    uint32_t *uid_out, char **final_out, const char **errstr_out)
{
	char *name = NULL, *final = NULL, *file = NULL;
	sqlite3_stmt *ins = NULL;
	int64_t uidnext, modseq;
	const char *sub;
	int rc;

	if (mbox_meta_get(mbox, "uidnext", &uidnext) != 1 ||
	    (modseq = mbox_modseq_next(mbox)) == -1)
		goto dberr;
	if (uidnext >= UINT32_MAX)
		return store_err(mbox->err, errstr_out, "UIDs exhausted: "
		    "reindex");
	/* Delivered mail goes to new/ (Maildir); mail with flags, e.g. an
	 * IMAP APPEND to Sent, straight to cur/ with its info. */
	name = xasprintf("%s,U=%" PRId64, st->base, uidnext);
	if (st->flags != 0) {
		char *n2 = mbox_name_with_flags(name, st->flags);
		free(name);
		name = n2;
		sub = "cur";
	} else
		sub = "new";
	file = xasprintf("%s/%s", sub, name);
	final = xasprintf("%s/%s", mbox->dir, file);
	if (sqlite3_prepare_v2(mbox->db, "INSERT INTO msgs (uid, base, file,"
	    " flags, keywords, internaldate, size, modseq) VALUES (?, ?, ?,"
	    " ?, ?, ?, ?, ?)", -1, &ins, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_int64(ins, 1, uidnext);
	sqlite3_bind_text(ins, 2, name, (int)mbox_name_base_len(name),
	    SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, file, -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 4, (int)st->flags);
	sqlite3_bind_text(ins, 5, st->kw, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 6, st->internaldate);
	sqlite3_bind_int64(ins, 7, (sqlite3_int64)st->total);
	sqlite3_bind_int64(ins, 8, modseq);
	rc = sqlite3_step(ins);
	sqlite3_finalize(ins);
	if (rc != SQLITE_DONE ||
	    mbox_meta_set(mbox, "uidnext", uidnext + 1) == -1)
		goto dberr;
	if (rename(st->tmp, final) == -1) {
		store_err(mbox->err, errstr_out, "%s: %s", final,
		    strerror(errno));
		goto fail;
	}
	st->published = true;
	if (uid_out != NULL)
		*uid_out = (uint32_t)uidnext;
	*final_out = final;
	free(name);
	free(file);
	return 0;
dberr:
	store_dberr(mbox->err, errstr_out, mbox->db, "append");
fail:
	free(name);
	free(file);
	free(final);
	return -1;
}

int
store_msg_append_iov(struct store_mbox *mbox, const struct iovec *iov,
    int iovcnt, unsigned flags, const char *keywords, int64_t internaldate,
    uint32_t *uid_out, const char **errstr_out)
{
	struct store_staged *st;
	char *final = NULL;

	if (stage(mbox, iov, iovcnt, flags, keywords, internaldate, true, &st,
	    errstr_out) == -1)
		return -1;
	/*
	 * TODO(mime): parse the header section here (bounded, before taking
	 * the lock) and store ENVELOPE and BODYSTRUCTURE in the INSERT, so
	 * FETCH never parses on the hot path. Until then the columns stay
	 * NULL and the IMAP server fills them with store_msg_cache_set.
	 */
	/* The lock: one writer per folder from here to COMMIT. */
	if (mbox_begin(mbox, errstr_out) == -1)
		goto fail;
	if (publish_locked(mbox, st, uid_out, &final, errstr_out) == -1) {
		mbox_rollback(mbox);
		goto fail;
	}
	if (mbox_commit(mbox, errstr_out) == -1) {
		/* Not indexed: do not leave it for a later sync to find. */
		unlink(final);
		goto fail;
	}
	/* Outside the lock: one directory fsync may cover several
	 * concurrent deliveries. Only after it does the caller hear 0. */
	if (durable_fsync_dir_of(final) == -1) {
		store_err(mbox->err, errstr_out, "fsync %s: %s", final,
		    strerror(errno));
		goto fail;
	}
	mbox_notify(mbox);
	free(final);
	store_staged_free(&st);
	return 0;
fail:
	free(final);
	store_staged_free(&st);
	return -1;
}

int
store_msg_stage_iov(struct store_mbox *mbox, const struct iovec *iov,
    int iovcnt, unsigned flags, int64_t internaldate,
    struct store_staged **out, const char **errstr_out)
{
	return stage(mbox, iov, iovcnt, flags, NULL, internaldate, false, out,
	    errstr_out);
}

/* With journal commits, the index's WAL frames just written (without an
 * fsync: synchronous=NORMAL) join the files the next store_sync waits
 * for. syncfs covers them without this. */
static void
wal_keep(struct store_mbox *mbox)
{
	char *path;
	int fd;

	if (mbox->store->commitfd == -1)
		return;
	path = xasprintf("%s/%s-wal", mbox->dir, MBOX_INDEX_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd != -1)
		store_sync_add(mbox->store, fd, mbox->dev);
}

int
store_msg_publish(struct store_mbox *mbox, struct store_staged **v, size_t n,
    uint32_t *uids_out, const char **errstr_out)
{
	char **finals;
	size_t done = 0;
	int r = -1;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->dir, mbox->dir) != 0 || v[i]->published)
			return store_err(mbox->err, errstr_out, "publish: "
			    "message staged elsewhere or published already");
	finals = xcalloc(n ? n : 1, sizeof(*finals));
	/* The caller syncs the file system afterwards (store_sync), so the
	 * commit need not wait for its own fsync: NORMAL in WAL mode. */
	if (store_db_exec(mbox->db, "PRAGMA synchronous=NORMAL") == -1 ||
	    mbox_begin(mbox, errstr_out) == -1)
		goto out;
	for (; done < n; done++)
		if (publish_locked(mbox, v[done], uids_out ? &uids_out[done] :
		    NULL, &finals[done], errstr_out) == -1)
			break;
	if (done < n || mbox_commit(mbox, errstr_out) == -1) {
		if (done < n)
			mbox_rollback(mbox);
		/* Undo the renames: nothing of the batch is published. */
		for (size_t i = 0; i < done; i++) {
			(void)rename(finals[i], v[i]->tmp);
			v[i]->published = false;
		}
		goto out;
	}
	wal_keep(mbox);
	mbox_notify(mbox);
	r = 0;
out:
	(void)store_db_exec(mbox->db, "PRAGMA synchronous=FULL");
	for (size_t i = 0; i < n; i++)
		free(finals[i]);
	free(finals);
	return r;
}

int
store_msg_append(struct store_mbox *mbox, const void *data, size_t len,
    unsigned flags, const char *keywords, int64_t internaldate,
    uint32_t *uid_out, const char **errstr_out)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };

	return store_msg_append_iov(mbox, &iov, 1, flags, keywords,
	    internaldate, uid_out, errstr_out);
}

struct store_msg_iter {
	struct store_mbox *mbox;
	sqlite3_stmt	*st;
	struct store_msg msg;
};

static const char msg_cols[] = "uid, flags, keywords, internaldate, size,"
    " modseq, file, envelope, bodystructure";

static void
msg_from_row(sqlite3_stmt *st, struct store_msg *m)
{
	m->uid = (uint32_t)sqlite3_column_int64(st, 0);
	m->flags = (unsigned)sqlite3_column_int(st, 1);
	m->keywords = (const char *)sqlite3_column_text(st, 2);
	m->internaldate = sqlite3_column_int64(st, 3);
	m->size = (uint64_t)sqlite3_column_int64(st, 4);
	m->modseq = (uint64_t)sqlite3_column_int64(st, 5);
	m->file = (const char *)sqlite3_column_text(st, 6);
	m->envelope = (const char *)sqlite3_column_text(st, 7);
	m->bodystructure = (const char *)sqlite3_column_text(st, 8);
}

int
store_msg_iter_new(struct store_mbox *mbox, uint32_t first, uint32_t last,
    uint64_t changedsince, struct store_msg_iter **it_out,
    const char **errstr_out)
{
	struct store_msg_iter *it;
	char *sql;

	it = xcalloc(1, sizeof(*it));
	it->mbox = mbox;
	sql = xasprintf("SELECT %s FROM msgs WHERE uid >= ? AND uid <= ? AND"
	    " modseq > ? ORDER BY uid", msg_cols);
	if (sqlite3_prepare_v2(mbox->db, sql, -1, &it->st, NULL) !=
	    SQLITE_OK) {
		free(sql);
		free(it);
		return store_dberr(mbox->err, errstr_out, mbox->db, "fetch");
	}
	free(sql);
	sqlite3_bind_int64(it->st, 1, first);
	sqlite3_bind_int64(it->st, 2, last == 0 ? UINT32_MAX : last);
	sqlite3_bind_int64(it->st, 3, (sqlite3_int64)changedsince);
	*it_out = it;
	return 0;
}

int
store_msg_iter_next(struct store_msg_iter *it,
    const struct store_msg **msg_out, const char **errstr_out)
{
	int rc = sqlite3_step(it->st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return store_dberr(it->mbox->err, errstr_out, it->mbox->db,
		    "fetch");
	msg_from_row(it->st, &it->msg);
	*msg_out = &it->msg;
	return 1;
}

void
store_msg_iter_free(struct store_msg_iter **itp)
{
	struct store_msg_iter *it = *itp;

	if (it == NULL)
		return;
	sqlite3_finalize(it->st);
	free(it);
	*itp = NULL;
}

/* The row of uid: 1 and its file and flags and keywords (caller frees),
 * 0 none, -1 error. */
static int
row_get(struct store_mbox *mbox, uint32_t uid, char **file, char **base,
    unsigned *flags, char **keywords)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(mbox->db, "SELECT file, base, flags, keywords"
	    " FROM msgs WHERE uid = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, uid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*file = xstrdup((const char *)sqlite3_column_text(st, 0));
		*base = xstrdup((const char *)sqlite3_column_text(st, 1));
		*flags = (unsigned)sqlite3_column_int(st, 2);
		if (keywords != NULL)
			*keywords = xstrdup((const char *)
			    sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Finds the file with base in new/ or cur/ when the index's name is
 * stale (another tool, or a crash between rename and commit): the
 * relative path (caller frees) or NULL.
 */
static char *
find_base(struct store_mbox *mbox, const char *base)
{
	static const char *const subs[] = { "cur", "new" };
	size_t bl = strlen(base);
	struct dirent *de;
	char *found = NULL, *path;
	DIR *d;

	for (size_t s = 0; s < nitems(subs) && found == NULL; s++) {
		path = xasprintf("%s/%s", mbox->dir, subs[s]);
		if ((d = opendir(path)) != NULL) {
			while ((de = readdir(d)) != NULL)
				if (strncmp(de->d_name, base, bl) == 0 &&
				    (de->d_name[bl] == '\0' ||
				    de->d_name[bl] == ':')) {
					found = xasprintf("%s/%s", subs[s],
					    de->d_name);
					break;
				}
			closedir(d);
		}
		free(path);
	}
	return found;
}

int
store_msg_open(struct store_mbox *mbox, uint32_t uid, int *fd_out,
    const char **errstr_out)
{
	char *file, *base, *path, *other;
	unsigned flags;
	int r, fd;

	if ((r = row_get(mbox, uid, &file, &base, &flags, NULL)) != 1) {
		if (r == -1)
			store_dberr(mbox->err, errstr_out, mbox->db, "open");
		return r;
	}
	path = xasprintf("%s/%s", mbox->dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT &&
	    (other = find_base(mbox, base)) != NULL) {
		free(path);
		path = xasprintf("%s/%s", mbox->dir, other);
		free(other);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd == -1) {
		/* ENOENT: expunged under us; the next sync says so. */
		r = errno == ENOENT ? 0 : store_err(mbox->err, errstr_out,
		    "%s: %s", path, strerror(errno));
	} else {
		*fd_out = fd;
		r = 1;
	}
	free(path);
	free(file);
	free(base);
	return r;
}

int
store_msg_flags(struct store_mbox *mbox, uint32_t uid, enum store_flag_op op,
    unsigned flags, const char *keywords, uint64_t *modseq_out,
    const char **errstr_out)
{
	char *file = NULL, *base = NULL, *kw = NULL, *newkw = NULL;
	char *newname = NULL, *newfile = NULL, *from = NULL, *to = NULL;
	sqlite3_stmt *st = NULL;
	unsigned old = 0, nf;
	int64_t modseq = 0;
	bool changed = false;
	int r;

	flags &= STORE_FLAG_ALL;
	if (mbox_begin(mbox, errstr_out) == -1)
		return -1;
	if ((r = row_get(mbox, uid, &file, &base, &old, &kw)) != 1) {
		if (r == -1)
			goto dberr;
		goto done;
	}
	nf = op == STORE_FLAGS_SET ? flags : op == STORE_FLAGS_ADD ?
	    old | flags : old & ~flags;
	if (keywords == NULL)
		newkw = xstrdup(kw);
	else if ((newkw = kw_apply(kw, op, keywords)) == NULL) {
		r = store_err(mbox->err, errstr_out, "bad keyword list");
		goto done;
	}
	if (nf == old && strcmp(newkw, kw) == 0) {
		/* Nothing changes: no new MODSEQ (RFC 7162 §3.2). */
		if (sqlite3_prepare_v2(mbox->db, "SELECT modseq FROM msgs"
		    " WHERE uid = ?", -1, &st, NULL) != SQLITE_OK)
			goto dberr;
		sqlite3_bind_int64(st, 1, uid);
		if (sqlite3_step(st) != SQLITE_ROW)
			goto dberr;
		modseq = sqlite3_column_int64(st, 0);
		goto done;
	}
	if ((modseq = mbox_modseq_next(mbox)) == -1)
		goto dberr;
	newfile = xstrdup(file);
	if (nf != old) {
		/* Mirror the flags in the name; the message leaves new/. */
		newname = mbox_name_with_flags(strchr(file, '/') + 1, nf);
		free(newfile);
		newfile = xasprintf("cur/%s", newname);
		from = xasprintf("%s/%s", mbox->dir, file);
		to = xasprintf("%s/%s", mbox->dir, newfile);
		if (rename(from, to) == -1) {
			char *other = errno == ENOENT ? find_base(mbox, base) :
			    NULL;
			if (other != NULL) {
				free(from);
				from = xasprintf("%s/%s", mbox->dir, other);
				free(other);
			}
			if (other == NULL || rename(from, to) == -1) {
				r = store_err(mbox->err, errstr_out, "%s: %s",
				    from, strerror(errno));
				goto done;
			}
		}
	}
	if (sqlite3_prepare_v2(mbox->db, "UPDATE msgs SET flags = ?, keywords"
	    " = ?, file = ?, modseq = ? WHERE uid = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		goto dberr;
	sqlite3_bind_int(st, 1, (int)nf);
	sqlite3_bind_text(st, 2, newkw, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, newfile, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, modseq);
	sqlite3_bind_int64(st, 5, uid);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto dberr;
	changed = true;
	goto done;
dberr:
	r = store_dberr(mbox->err, errstr_out, mbox->db, "store flags");
done:
	sqlite3_finalize(st);
	if (r == 1 && changed) {
		if (mbox_commit(mbox, errstr_out) == -1)
			r = -1;
		else
			mbox_notify(mbox);
	} else
		mbox_rollback(mbox);
	if (r == 1 && modseq_out != NULL)
		*modseq_out = (uint64_t)modseq;
	free(file);
	free(base);
	free(kw);
	free(newkw);
	free(newname);
	free(newfile);
	free(from);
	free(to);
	return r;
}

/* Removes one message inside a transaction: 1, 0 none, -1 db error,
 * -2 the file could not be removed (message in mbox->err). */
static int
expunge_locked(struct store_mbox *mbox, uint32_t uid)
{
	char *file, *base, *path, *other;
	sqlite3_stmt *st = NULL;
	unsigned flags;
	int64_t modseq;
	int r, rc;

	if ((r = row_get(mbox, uid, &file, &base, &flags, NULL)) != 1)
		return r;
	path = xasprintf("%s/%s", mbox->dir, file);
	r = unlink(path);
	if (r == -1 && errno == ENOENT &&
	    (other = find_base(mbox, base)) != NULL) {
		free(path);
		path = xasprintf("%s/%s", mbox->dir, other);
		free(other);
		r = unlink(path);
	}
	/* A file that stays would come back as a new message at the next
	 * sync: fail instead (ENOENT: already gone, which is fine). */
	if (r == -1 && errno != ENOENT) {
		store_err(mbox->err, NULL, "%s: %s", path, strerror(errno));
		r = -2;
	} else
		r = 1;
	free(path);
	free(file);
	free(base);
	if (r == -2)
		return -2;
	if ((modseq = mbox_modseq_next(mbox)) == -1 ||
	    sqlite3_prepare_v2(mbox->db, "DELETE FROM msgs WHERE uid = ?", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, uid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || mbox_expunged(mbox, uid, modseq) == -1)
		return -1;
	return 1;
}

int
store_msg_expunge(struct store_mbox *mbox, uint32_t uid,
    const char **errstr_out)
{
	int r;

	if (mbox_begin(mbox, errstr_out) == -1)
		return -1;
	r = expunge_locked(mbox, uid);
	if (r < 0) {
		if (r == -1)
			store_dberr(mbox->err, errstr_out, mbox->db, "expunge");
		else if (errstr_out != NULL)
			*errstr_out = mbox->err;
		mbox_rollback(mbox);
		return -1;
	}
	if (r == 0) {
		mbox_rollback(mbox);
		return 0;
	}
	if (mbox_commit(mbox, errstr_out) == -1)
		return -1;
	mbox_notify(mbox);
	return 1;
}

/* The UIDs a query returns (one integer column). 0 or -1. */
static int
uid_query(struct store_mbox *mbox, const char *sql, int64_t arg,
    uint32_t **uids_out, size_t *n_out)
{
	sqlite3_stmt *st = NULL;
	uint32_t *v = NULL;
	size_t n = 0;
	int rc;

	if (sqlite3_prepare_v2(mbox->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, arg);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return -1;
	}
	*uids_out = v;
	*n_out = n;
	return 0;
}

int
store_mbox_expunge_deleted(struct store_mbox *mbox, uint32_t **uids_out,
    size_t *n_out, const char **errstr_out)
{
	uint32_t *v = NULL;
	size_t n = 0;

	if (mbox_begin(mbox, errstr_out) == -1)
		return -1;
	if (uid_query(mbox, "SELECT uid FROM msgs WHERE flags & ? ORDER BY"
	    " uid", STORE_FLAG_DELETED, &v, &n) == -1)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		int r = expunge_locked(mbox, v[i]);
		if (r == -2) {
			if (errstr_out != NULL)
				*errstr_out = mbox->err;
			mbox_rollback(mbox);
			free(v);
			return -1;
		}
		if (r == -1)
			goto fail;
	}
	if (mbox_commit(mbox, errstr_out) == -1) {
		free(v);
		return -1;
	}
	if (n > 0)
		mbox_notify(mbox);
	*uids_out = v;
	*n_out = n;
	return 0;
fail:
	store_dberr(mbox->err, errstr_out, mbox->db, "expunge");
	mbox_rollback(mbox);
	free(v);
	return -1;
}

int
store_mbox_vanished(struct store_mbox *mbox, uint64_t since,
    uint32_t **uids_out, size_t *n_out, const char **errstr_out)
{
	if (uid_query(mbox, "SELECT uid FROM expunged WHERE modseq > ? ORDER"
	    " BY uid", (int64_t)since, uids_out, n_out) == -1)
		return store_dberr(mbox->err, errstr_out, mbox->db,
		    "vanished");
	return 0;
}

int
store_msg_copy(struct store_mbox *src, uint32_t uid, struct store_mbox *dst,
    uint32_t *uid_out, const char **errstr_out)
{
	struct store_msg_iter *it;
	const struct store_msg *m;
	struct iovec iov;
	struct stat st;
	void *data = NULL;
	char *keywords;
	unsigned flags;
	int64_t idate;
	int fd, r;

	/* Read the row and the bytes, then append as a new message: the
	 * copy gets its own file, so later flag renames stay per folder. */
	if (store_msg_iter_new(src, uid, uid, 0, &it, errstr_out) == -1)
		return -1;
	r = store_msg_iter_next(it, &m, errstr_out);
	if (r != 1) {
		store_msg_iter_free(&it);
		return r;
	}
	flags = m->flags;
	keywords = xstrdup(m->keywords);
	idate = m->internaldate;
	store_msg_iter_free(&it);
	if ((r = store_msg_open(src, uid, &fd, errstr_out)) != 1) {
		free(keywords);
		return r;
	}
	r = -1;
	if (fstat(fd, &st) == -1 || (uint64_t)st.st_size > STORE_MSG_MAX) {
		store_err(src->err, errstr_out, "copy: %s", strerror(errno));
		goto out;
	}
	data = xmalloc((size_t)st.st_size + 1);
	for (size_t off = 0; off < (size_t)st.st_size; ) {
		ssize_t n = read(fd, (char *)data + off,
		    (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			store_err(src->err, errstr_out, "copy: short read");
			goto out;
		}
		off += (size_t)n;
	}
	iov.iov_base = data;
	iov.iov_len = (size_t)st.st_size;
	if (store_msg_append_iov(dst, &iov, 1, flags, keywords, idate, uid_out,
	    errstr_out) == 0)
		r = 1;
out:
	close(fd);
	free(data);
	free(keywords);
	return r;
}

int
store_msg_move(struct store_mbox *src, uint32_t uid, struct store_mbox *dst,
    uint32_t *uid_out, const char **errstr_out)
{
	int r;

	/* Copy first: a crash between the two leaves two copies, never
	 * none (RFC 6851 §4.1 allows that order). */
	if ((r = store_msg_copy(src, uid, dst, uid_out, errstr_out)) != 1)
		return r;
	return store_msg_expunge(src, uid, errstr_out) == -1 ? -1 : 1;
}

int
store_msg_cache_set(struct store_mbox *mbox, uint32_t uid,
    const char *envelope, const char *bodystructure,
    const char **errstr_out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(mbox->db, "UPDATE msgs SET envelope = ?,"
	    " bodystructure = ? WHERE uid = ?", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(mbox->err, errstr_out, mbox->db, "cache");
	sqlite3_bind_text(st, 1, envelope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bodystructure, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, uid);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_dberr(mbox->err, errstr_out, mbox->db, "cache");
	return sqlite3_changes(mbox->db) > 0 ? 1 : 0;
}
