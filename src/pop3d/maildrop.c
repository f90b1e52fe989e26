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

/* An entry listed from the index, before its size is known. */
struct entry {
	uint32_t	 uid;
	unsigned	 flags;		/* at login */
	uint64_t	 filesize;
	char		*file;
};

struct pop3d_maildrop {
	struct store_mbox	*mbox;
	int			 lockfd;
	int			 expire_days;	/* -1: never */
	uint32_t		 uidvalidity;
	struct pop3d_retrieved	*ret;		/* expiry record */
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
	char *path;
	int fd, r;

	if (sl != NULL && sl->key == key && sl->filesize == e->filesize) {
		*size_out = sl->size;
		return 1;
	}
	path = xasprintf("%s/%s", store_mbox_dir(md->mbox), e->file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
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
	char *path = xasprintf("%s/%s", store_mbox_dir(md->mbox),
	    POP3D_LOCK_FILE);

	md->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
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
 * Expunges what was retrieved expire_days ago or more (RFC 2449 §6.7) and
 * keeps the record only for messages still listed. Each expunged entry
 * of v gets uid 0. 0 or -1.
 */
static int
expire(struct pop3d_maildrop *md, struct entry *v, size_t n,
    const char **errstr_out)
{
	const struct pop3d_retrieved *r;
	struct pop3d_retrieved *keep;
	int64_t now = time(NULL);
	size_t nkeep = 0;

	if (pop3d_retrieved_load(store_mbox_dir(md->mbox), md->uidvalidity,
	    &md->ret, &md->nret) == -1)
		log_warn("%s: %s", store_mbox_dir(md->mbox),
		    POP3D_RETRIEVED_FILE);
	keep = xcalloc(md->nret ? md->nret : 1, sizeof(*keep));
	for (size_t i = 0; i < n; i++) {
		if ((r = pop3d_retrieved_find(md->ret, md->nret,
		    v[i].uid)) == NULL)
			continue;
		if (now - r->when >= (int64_t)md->expire_days * DAY_S) {
			if (store_msg_expunge(md->mbox, v[i].uid,
			    errstr_out) == -1) {
				free(keep);
				return -1;
			}
			v[i].uid = 0;
		} else
			keep[nkeep++] = *r;	/* still in UID order */
	}
	free(md->ret);
	md->ret = keep;
	md->nret = nkeep;
	return 0;
}

int
pop3d_maildrop_open(struct store *store, struct pop3d_sizecache *cache,
    const char *user, int expire_days, struct pop3d_maildrop **md_out,
    struct pop3d_msginfo **msgs_out, size_t *n_out,
    uint32_t *uidvalidity_out, const char **errstr_out)
{
	struct pop3d_maildrop *md = xcalloc(1, sizeof(*md));
	struct store_mbox_status st;
	struct pop3d_msginfo *msgs = NULL;
	struct entry *v = NULL;
	size_t n = 0, k = 0;
	int r;

	md->lockfd = -1;
	md->expire_days = expire_days;
	if ((r = store_mbox_open(store, user, "INBOX", &md->mbox,
	    errstr_out)) != 1) {
		if (r == 0)
			*errstr_out = "no INBOX";
		r = -1;
		goto fail;
	}
	if ((r = lock(md, errstr_out)) != 1)
		goto fail;
	/* Listed after locking: what we list is what this session owns.
	 * Files another tool added or removed (mutt, a Maildir MDA) are
	 * taken in first; if that fails the index still serves. */
	if (store_mbox_sync(md->mbox, NULL, errstr_out) == -1)
		log_warnx("%s: sync: %s", store_mbox_dir(md->mbox),
		    *errstr_out);
	r = -1;
	if (store_mbox_status(md->mbox, &st, errstr_out) == -1 ||
	    list(md, &v, &n, errstr_out) == -1)
		goto fail;
	md->uidvalidity = st.uidvalidity;
	if (expire_days >= 0 && expire(md, v, n, errstr_out) == -1)
		goto fail;
	msgs = xcalloc(n ? n : 1, sizeof(*msgs));
	for (size_t i = 0; i < n; i++) {
		if (v[i].uid == 0)
			continue;	/* expired just now */
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
	return 1;
fail:
	for (size_t i = 0; i < n; i++)
		free(v[i].file);
	free(v);
	free(msgs);
	pop3d_maildrop_close(&md);
	return r;
}

static int
cmp_entry(const void *a, const void *b)
{
	uint32_t x = ((const struct entry *)a)->uid;
	uint32_t y = ((const struct entry *)b)->uid;

	return x < y ? -1 : x > y;
}

size_t
pop3d_maildrop_unseen(const struct pop3d_maildrop *md, const uint32_t *uids,
    size_t n, uint32_t *out)
{
	struct entry key, *e;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		key.uid = uids[i];
		e = bsearch(&key, md->files, md->nfiles, sizeof(*e), cmp_entry);
		if (e == NULL || !(e->flags & STORE_FLAG_SEEN))
			out[k++] = uids[i];
	}
	return k;
}

int
pop3d_maildrop_msg_open(struct pop3d_maildrop *md, uint32_t uid, int *fd_out,
    const char **errstr_out)
{
	struct entry key = { .uid = uid }, *e;
	char *path;
	int fd = -1;

	/* The name listed at login, unless flags renamed the file or it
	 * was expunged since: then the index knows. */
	e = bsearch(&key, md->files, md->nfiles, sizeof(*e), cmp_entry);
	if (e != NULL) {
		path = xasprintf("%s/%s", store_mbox_dir(md->mbox), e->file);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
	}
	if (fd != -1) {
		*fd_out = fd;
		return 1;
	}
	return store_msg_open(md->mbox, uid, fd_out, errstr_out);
}

/* Adds the first retrieval of seen to the expiry record. Entries of
 * deleted messages go at the next login, when they are not listed. */
static int
record(struct pop3d_maildrop *md, const uint32_t *seen, size_t nseen)
{
	struct pop3d_retrieved *v;
	size_t n = md->nret;
	int rc;

	v = xcalloc(n + nseen, sizeof(*v));
	if (n > 0)
		memcpy(v, md->ret, n * sizeof(*v));
	for (size_t i = 0; i < nseen; i++)
		if (pop3d_retrieved_find(md->ret, md->nret, seen[i]) == NULL) {
			v[n].uid = seen[i];
			v[n++].when = time(NULL);
		}
	if (n == md->nret) {
		free(v);
		return 0;
	}
	/* Unsorted is fine: pop3d_retrieved_parse sorts. */
	rc = pop3d_retrieved_save(store_mbox_dir(md->mbox), md->uidvalidity,
	    v, n);
	free(v);
	return rc;
}

/* \Seen first: a failure there must not cost a deletion. */
static int
apply(struct store_mbox *mbox, const uint32_t *dele, size_t ndele,
    const uint32_t *seen, size_t nseen, const char **errstr_out)
{
	int rc = 0;

	for (size_t i = 0; i < nseen; i++)
		if (store_msg_flags(mbox, seen[i], STORE_FLAGS_ADD,
		    STORE_FLAG_SEEN, NULL, NULL, errstr_out) == -1)
			rc = -1;
	for (size_t i = 0; i < ndele; i++)
		if (store_msg_expunge(mbox, dele[i], errstr_out) == -1)
			rc = -1;
	return rc;
}

int
pop3d_maildrop_apply(struct store *store, const char *user,
    const uint32_t *dele, size_t ndele, const uint32_t *seen, size_t nseen,
    const char **errstr_out)
{
	struct store_mbox *mbox;
	int r;

	if ((r = store_mbox_open(store, user, "INBOX", &mbox,
	    errstr_out)) != 1) {
		if (r == 0)
			*errstr_out = "no INBOX";
		return -1;
	}
	r = apply(mbox, dele, ndele, seen, nseen, errstr_out);
	store_mbox_close(&mbox);
	return r;
}

int
pop3d_maildrop_record(struct pop3d_maildrop *md, const uint32_t *seen,
    size_t nseen)
{
	if (md->expire_days < 0 || nseen == 0)
		return 0;
	if (record(md, seen, nseen) == -1) {
		log_warn("%s: %s", store_mbox_dir(md->mbox),
		    POP3D_RETRIEVED_FILE);
		return -1;
	}
	return 0;
}

int
pop3d_maildrop_update(struct pop3d_maildrop *md, const uint32_t *dele,
    size_t ndele, const uint32_t *seen, size_t nseen,
    const char **errstr_out)
{
	int rc;

	rc = apply(md->mbox, dele, ndele, seen, nseen, errstr_out);
	(void)pop3d_maildrop_record(md, seen, nseen);
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
	store_mbox_close(&md->mbox);
	for (size_t i = 0; i < md->nfiles; i++)
		free(md->files[i].file);
	free(md->files);
	free(md->ret);
	free(md);
	*mdp = NULL;
}
