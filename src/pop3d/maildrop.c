/*
 * maildrop.c: lock, list, read and update a user's INBOX for POP3
 * (RFC 1939 §8, §6). Run by the pop3 role process.
 */
#include "pop3d/maildrop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "pop3d/expire.h"
#include "pop3d/msgout.h"
#include "store/mbox.h"

#define READ_CHUNK	65536
#define DAY_S		86400
#define STAMP_MAX	32	/* the lock file: last login time */

/* An entry listed from the index, before its size is known. */
struct entry {
	uint32_t	 uid;
	unsigned	 flags;		/* at login */
	uint64_t	 filesize;
	char		*file;
};

struct pop3d_maildrop {
	struct store_mbox	*mbox;
	int			 dirfd;		/* the folder: RETR opens at it */
	int			 lockfd;
	struct pop3d_maildrop_opts opts;
	uint32_t		 uidvalidity;
	struct pop3d_retrieved	*ret;		/* the record (expire.h) */
	size_t			 nret;
	struct entry		*files;		/* as listed */
	size_t			 nfiles;
};

struct sizeslot {
	uint64_t	 key;		/* 0: empty */
	uint64_t	 filesize;	/* checked on a hit */
	uint64_t	 size;		/* CRLF form */
};

struct pop3d_sizecache {
	struct sizeslot	 slot[POP3D_SIZECACHE_SLOTS];
};


struct pop3d_sizecache *
pop3d_sizecache_new(void)
{
	return xcalloc(1, sizeof(struct pop3d_sizecache));
}

void
pop3d_sizecache_free(struct pop3d_sizecache **cp)
{
	free(*cp);
	*cp = NULL;
}

/* FNV-1a of the unique Maildir name: "cur/NAME:2,FS" less dir and flags. */
static uint64_t
name_key(const char *file)
{
	const char *p = strchr(file, '/');
	uint64_t h = 0xcbf29ce484222325ULL;

	for (p = p != NULL ? p + 1 : file; *p != '\0' && *p != ':'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h != 0 ? h : 1;
}

/* Reads fd to the end, counting its CRLF-form size. 0 or -1. */
static int
scan_size(int fd, uint64_t *size_out)
{
	struct pop3d_msgsize ms;
	char *chunk = xmalloc(READ_CHUNK);
	ssize_t n;

	pop3d_msgsize_init(&ms);
	while ((n = read(fd, chunk, READ_CHUNK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(chunk);
			return -1;
		}
		pop3d_msgsize_push(&ms, chunk, (size_t)n);
	}
	free(chunk);
	*size_out = pop3d_msgsize_end(&ms);
	return 0;
}

/* The CRLF-form size of e: 1 and *size_out, 0 gone, -1 error. */
static int
msg_size(struct pop3d_maildrop *md, struct pop3d_sizecache *cache,
    const struct entry *e, uint64_t *size_out, const char **errstr_out)
{
	uint64_t key = name_key(e->file);
	struct sizeslot *sl = cache ? &cache->slot[key %
	    POP3D_SIZECACHE_SLOTS] : NULL;
	int fd, r;

	if (sl != NULL && sl->key == key && sl->filesize == e->filesize) {
		*size_out = sl->size;
		return 1;
	}
	fd = openat(md->dirfd, e->file, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		/* Renamed (flags) or expunged since we listed it. */
		if ((r = store_msg_open(md->mbox, e->uid, &fd,
		    errstr_out)) != 1)
			return r;
	}
	r = scan_size(fd, size_out);
	close(fd);
	if (r == -1) {
		*errstr_out = "cannot read a message";
		return -1;
	}
	if (sl != NULL) {
		sl->key = key;
		sl->filesize = e->filesize;
		sl->size = *size_out;
	}
	return 1;
}

static int
lock(struct pop3d_maildrop *md, const char **errstr_out)
{
	/* The folder by descriptor: opening a message at it costs no walk
	 * down data_dir's path for every RETR. */
	md->dirfd = open(store_mbox_dir(md->mbox), O_PATH | O_DIRECTORY |
	    O_CLOEXEC);
	if (md->dirfd == -1) {
		*errstr_out = "cannot open the maildrop folder";
		return -1;
	}
	md->lockfd = openat(md->dirfd, POP3D_LOCK_FILE, O_RDWR | O_CREAT |
	    O_CLOEXEC, 0600);
	if (md->lockfd == -1) {
		*errstr_out = "cannot open the maildrop lock";
		return -1;
	}
	if (flock(md->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK)
			return 0;
		*errstr_out = "cannot lock the maildrop";
		return -1;
	}
	return 1;
}

/*
 * RFC 2449 §8.1.2 LOGIN-DELAY: the lock file holds the time of the last
 * login as text (not synced: after a crash a login may come early, which
 * is harmless). 1 go ahead (the time is updated), 0 too soon. Called
 * with the lock held.
 */
static int
login_delay_ok(struct pop3d_maildrop *md)
{
	char text[STAMP_MAX];
	int64_t now = time(NULL), last = 0;
	ssize_t n;
	int len;

	if (md->opts.login_delay_s == 0)
		return 1;
	n = pread(md->lockfd, text, sizeof(text) - 1, 0);
	if (n > 0) {
		text[n] = '\0';
		last = strtoll(text, NULL, 10);
	}
	/* A time ahead of ours (the clock stepped back) does not count. */
	if (last > 0 && last <= now && now - last <
	    (int64_t)md->opts.login_delay_s)
		return 0;
	len = snprintf(text, sizeof(text), "%lld\n", (long long)now);
	if (pwrite(md->lockfd, text, (size_t)len, 0) != len ||
	    ftruncate(md->lockfd, len) == -1)
		log_warn("%s: %s", store_mbox_dir(md->mbox), POP3D_LOCK_FILE);
	return 1;
}

/* The index's messages in UID order. 0 or -1. */
static int
list(struct pop3d_maildrop *md, struct entry **v_out, size_t *n_out,
    const char **errstr_out)
{
	struct store_msg_iter *it;
	const struct store_msg *m;
	struct entry *v = NULL;
	size_t n = 0;
	int r;

	if (store_msg_iter_new(md->mbox, 1, 0, 0, &it, errstr_out) == -1)
		return -1;
	while ((r = store_msg_iter_next(it, &m, errstr_out)) == 1) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].uid = m->uid;
		v[n].filesize = m->size;
		v[n].file = xstrdup(m->file);
		v[n].flags = m->flags;
		n++;
	}
	store_msg_iter_free(&it);
	*v_out = v;
	*n_out = n;
	return r;
}

/*
 * Applies the record to the listing v (n entries, UID order): expunges
 * what was retrieved expire_days ago or more (RFC 2449 §6.7), leaves out
 * what a leave-on-server DELE hid, and keeps the record only for
 * messages still in the folder. v is compacted in place (*n updated).
 * 0 or -1.
 */
static int
filter(struct pop3d_maildrop *md, struct entry *v, size_t *n,
    const char **errstr_out)
{
	const struct pop3d_retrieved *r;
	struct pop3d_retrieved *keep;
	int64_t now = time(NULL);
	int expire_days = md->opts.expire_days;
	size_t nkeep = 0, k = 0, i;
	int rc = 0;

	if (pop3d_retrieved_load(store_mbox_dir(md->mbox), md->uidvalidity,
	    &md->ret, &md->nret) == -1)
		log_warn("%s: %s", store_mbox_dir(md->mbox),
		    POP3D_RETRIEVED_FILE);
	keep = xcalloc(md->nret ? md->nret : 1, sizeof(*keep));
	for (i = 0; i < *n; i++) {
		r = pop3d_retrieved_find(md->ret, md->nret, v[i].uid);
		if (r != NULL && expire_days >= 0 &&
		    now - r->when >= (int64_t)expire_days * DAY_S) {
			if (store_msg_expunge(md->mbox, v[i].uid,
			    errstr_out) == -1) {
				rc = -1;
				break;
			}
			free(v[i].file);
			continue;
		}
		if (r != NULL)
			keep[nkeep++] = *r;	/* still in UID order */
		if (r != NULL && r->hidden)
			free(v[i].file);
		else
			v[k++] = v[i];
	}
	for (; i < *n; i++)		/* after an error: kept as they are */
		v[k++] = v[i];
	*n = k;
	free(md->ret);
	md->ret = keep;
	md->nret = nkeep;
	return rc;
}

enum pop3d_auth_result
pop3d_maildrop_open(struct store *store, struct pop3d_sizecache *cache,
    const char *user, const struct pop3d_maildrop_opts *opts,
    struct pop3d_maildrop **md_out, struct pop3d_msginfo **msgs_out,
    size_t *n_out, uint32_t *uidvalidity_out, const char **errstr_out)
{
	struct pop3d_maildrop *md = xcalloc(1, sizeof(*md));
	struct store_mbox_status st;
	struct pop3d_msginfo *msgs = NULL;
	struct entry *v = NULL;
	enum pop3d_auth_result res = POP3D_AUTH_TEMP;
	size_t n = 0, k = 0;
	int r;

	md->lockfd = md->dirfd = -1;
	md->opts = *opts;
	if ((r = store_mbox_open(store, user, "INBOX", &md->mbox,
	    errstr_out)) != 1) {
		if (r == 0)
			*errstr_out = "no INBOX";
		goto fail;
	}
	if ((r = lock(md, errstr_out)) != 1) {
		if (r == 0)
			res = POP3D_AUTH_INUSE;
		goto fail;
	}
	if (login_delay_ok(md) == 0) {
		res = POP3D_AUTH_DELAY;
		goto fail;
	}
	/* Listed after locking: what we list is what this session owns.
	 * Files another tool added or removed (mutt, a Maildir MDA) are
	 * taken in first; if that fails the index still serves. */
	if (store_mbox_sync(md->mbox, NULL, errstr_out) == -1)
		log_warnx("%s: sync: %s", store_mbox_dir(md->mbox),
		    *errstr_out);
	if (store_mbox_status(md->mbox, &st, errstr_out) == -1 ||
	    list(md, &v, &n, errstr_out) == -1)
		goto fail;
	md->uidvalidity = st.uidvalidity;
	if (filter(md, v, &n, errstr_out) == -1)
		goto fail;
	msgs = xcalloc(n ? n : 1, sizeof(*msgs));
	for (size_t i = 0; i < n; i++) {
		int got = msg_size(md, cache, &v[i], &msgs[k].size,
		    errstr_out);
		if (got == -1)
			goto fail;
		if (got == 1)
			msgs[k++].uid = v[i].uid;
	}
	/* The file names serve RETR without asking the index again. */
	md->files = v;
	md->nfiles = n;
	*md_out = md;
	*msgs_out = msgs;
	*n_out = k;
	*uidvalidity_out = st.uidvalidity;
	return POP3D_AUTH_OK;
fail:
	for (size_t i = 0; i < n; i++)
		free(v[i].file);
	free(v);
	free(msgs);
	pop3d_maildrop_close(&md);
	return res;
}

static int
cmp_entry(const void *a, const void *b)
{
	uint32_t x = ((const struct entry *)a)->uid;
	uint32_t y = ((const struct entry *)b)->uid;

	return x < y ? -1 : x > y;
}

/* Adds to out (from *k on) the UIDs of uids that were not \Seen at
 * login: only those need the flag set at QUIT. */
static void
unseen(const struct pop3d_maildrop *md, const uint32_t *uids, size_t n,
    uint32_t *out, size_t *k)
{
	struct entry key, *e;

	for (size_t i = 0; i < n; i++) {
		key.uid = uids[i];
		e = bsearch(&key, md->files, md->nfiles, sizeof(*e), cmp_entry);
		if (e == NULL || !(e->flags & STORE_FLAG_SEEN))
			out[(*k)++] = uids[i];
	}
}

int
pop3d_maildrop_msg_open(struct pop3d_maildrop *md, uint32_t uid, int *fd_out,
    const char **errstr_out)
{
	struct entry key = { .uid = uid }, *e;
	int fd = -1;

	/* The name listed at login, unless flags renamed the file or it
	 * was expunged since: then the index knows. */
	e = bsearch(&key, md->files, md->nfiles, sizeof(*e), cmp_entry);
	if (e != NULL)
		fd = openat(md->dirfd, e->file, O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		*fd_out = fd;
		return 1;
	}
	return store_msg_open(md->mbox, uid, fd_out, errstr_out);
}

/* The record with seen's first retrieval (expiry on) and hide's hiding
 * added: 1 and *v_out (*n_out entries, unsorted) when it changed, else
 * 0. */
static int
record_next(const struct pop3d_maildrop *md, const uint32_t *seen,
    size_t nseen, const uint32_t *hide, size_t nhide,
    struct pop3d_retrieved **v_out, size_t *n_out)
{
	struct pop3d_retrieved *v, *e;
	int64_t now = time(NULL);
	size_t n = md->nret;
	bool changed = false;

	if (md->opts.expire_days < 0)
		nseen = 0;	/* retrievals matter only for expiry */
	if (nseen == 0 && nhide == 0)
		return 0;
	v = xcalloc(n + nseen + nhide, sizeof(*v));
	if (n > 0)
		memcpy(v, md->ret, n * sizeof(*v));
	for (size_t i = 0; i < nseen; i++)
		if (pop3d_retrieved_find(md->ret, md->nret, seen[i]) == NULL) {
			v[n].uid = seen[i];
			v[n++].when = now;
			changed = true;
		}
	/* Hidden ones count as retrieved now unless they were before (a
	 * DELE without RETR), so pop3_expire still removes them in time.
	 * The entries of md->ret come first in v, sorted: search there. */
	for (size_t i = 0; i < nhide; i++) {
		e = (struct pop3d_retrieved *)pop3d_retrieved_find(v, md->nret,
		    hide[i]);
		if (e == NULL) {
			e = &v[n++];
			e->uid = hide[i];
			e->when = now;
		}
		changed = changed || !e->hidden;
		e->hidden = true;
	}
	if (!changed) {
		free(v);
		return 0;
	}
	/* Unsorted is fine: pop3d_retrieved_parse sorts. */
	*v_out = v;
	*n_out = n;
	return 1;
}

void
pop3d_maildrop_changes(const struct pop3d_maildrop *md, const uint32_t *dele,
    size_t ndele, const uint32_t *seen, size_t nseen,
    struct pop3d_changes *ch)
{
	bool leave = md->opts.leave_on_server;

	memset(ch, 0, sizeof(*ch));
	ch->dir = xstrdup(store_mbox_dir(md->mbox));
	ch->uidvalidity = md->uidvalidity;
	ch->seen = xcalloc(nseen + ndele + 1, sizeof(*ch->seen));
	unseen(md, seen, nseen, ch->seen, &ch->nseen);
	ch->dele = xcalloc(ndele + 1, sizeof(*ch->dele));
	if (leave) {
		/* Gone from POP3's view, kept (read) for IMAP. */
		unseen(md, dele, ndele, ch->seen, &ch->nseen);
		ch->nhidden = ndele;
	} else {
		if (ndele > 0)
			memcpy(ch->dele, dele, ndele * sizeof(*dele));
		ch->ndele = ndele;
	}
	if (record_next(md, seen, nseen, leave ? dele : NULL, leave ? ndele :
	    0, &ch->rec, &ch->nrec) == 0)
		ch->rec = NULL;
}

bool
pop3d_changes_empty(const struct pop3d_changes *ch)
{
	return ch->ndele == 0 && ch->nseen == 0 && ch->rec == NULL;
}

/* \Seen first: a failure there must not cost a deletion. */
static int
apply(struct store_mbox *mbox, const struct pop3d_changes *ch,
    const char **errstr_out)
{
	int rc = 0;

	for (size_t i = 0; i < ch->nseen; i++)
		if (store_msg_flags(mbox, ch->seen[i], STORE_FLAGS_ADD,
		    STORE_FLAG_SEEN, NULL, NULL, errstr_out) == -1)
			rc = -1;
	for (size_t i = 0; i < ch->ndele; i++)
		if (store_msg_expunge(mbox, ch->dele[i], errstr_out) == -1)
			rc = -1;
	if (ch->rec != NULL && pop3d_retrieved_save(ch->dir, ch->uidvalidity,
	    ch->rec, ch->nrec) == -1) {
		log_warn("%s: %s", ch->dir, POP3D_RETRIEVED_FILE);
		if (ch->nhidden > 0) {
			*errstr_out = "cannot write the POP3 record";
			rc = -1;
		}
	}
	return rc;
}

int
pop3d_changes_apply(struct store *store, const char *user,
    const struct pop3d_changes *ch, const char **errstr_out)
{
	struct store_mbox *mbox;
	int r;

	if ((r = store_mbox_open(store, user, "INBOX", &mbox,
	    errstr_out)) != 1) {
		if (r == 0)
			*errstr_out = "no INBOX";
		return -1;
	}
	r = apply(mbox, ch, errstr_out);
	store_mbox_close(&mbox);
	return r;
}

void
pop3d_changes_free(struct pop3d_changes *ch)
{
	free(ch->dir);
	free(ch->dele);
	free(ch->seen);
	free(ch->rec);
	memset(ch, 0, sizeof(*ch));
}

int
pop3d_maildrop_update(struct pop3d_maildrop *md, const uint32_t *dele,
    size_t ndele, const uint32_t *seen, size_t nseen,
    const char **errstr_out)
{
	struct pop3d_changes ch;
	int rc;

	pop3d_maildrop_changes(md, dele, ndele, seen, nseen, &ch);
	rc = apply(md->mbox, &ch, errstr_out);
	pop3d_changes_free(&ch);
	return rc;
}

void
pop3d_maildrop_close(struct pop3d_maildrop **mdp)
{
	struct pop3d_maildrop *md = *mdp;

	if (md == NULL)
		return;
	if (md->lockfd != -1)
		close(md->lockfd);	/* releases the flock */
	if (md->dirfd != -1)
		close(md->dirfd);
	store_mbox_close(&md->mbox);
	for (size_t i = 0; i < md->nfiles; i++)
		free(md->files[i].file);
	free(md->files);
	free(md->ret);
	free(md);
	*mdp = NULL;
}
