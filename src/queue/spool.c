/*
 * spool.c: the queue on disk (see spool.h). Runs in the smtp role (writing,
 * group commit), the queue role (reading, state, removal), posternctl and
 * sendmail (listing, flush requests, synchronous injection).
 */
#include "queue/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/buf.h"
#include "lib/durable.h"
#include "lib/syncshare.h"
#include "lib/log.h"
#include "lib/util.h"

#define SPOOL_WBUF	(64 * 1024)	/* message write buffer */

/*
 * Recycled queue files. A delivered message's file is renamed into
 * pool/SLOT instead of being unlinked, and the next message renames it
 * out again and truncates it. Profiling showed ext4 spending most of the
 * spool's kernel time allocating inodes next to thousands of recently
 * deleted ones (ext4 skips inodes freed in the last seconds, checking
 * each); recycling keeps the create/unlink churn out of the hot path.
 */
#define SPOOL_POOL_MAX		4096	/* files kept at most */
#define SPOOL_POOL_READ		256	/* names read from pool/ at once */
#define SPOOL_POOL_BACKOFF	64	/* messages to skip an empty pool */
#define SPOOL_POOL_RECOUNT	256	/* gives between counts of pool/ */

struct spool {
	char	*dir;		/* data_dir/queue */
	int	 dirfd;		/* for syncfs and *at() calls */
	struct syncshare *sync;	/* shared syncs, or NULL */
	char	 names[SPOOL_POOL_READ][QUEUE_ID_LEN + 1]; /* pool/ seen */
	size_t	 nnames, inames;
	unsigned skip;		/* pool looked empty: skip it this often */
	unsigned gives;		/* since pool/ was last counted */
	bool	 full;		/* pool/ held SPOOL_POOL_MAX at that count */
	pthread_mutex_t pool_lock; /* the loop and the committer both take */
};

struct spool_msg {
	struct spool	*sp;
	char		 id[QUEUE_ID_LEN + 1];
	char		 tmp[PATH_MAX];
	int		 fd;		/* -1 until the file is needed */
	struct buf	 wbuf;
	size_t		 size;
	int		 error;		/* sticky errno */
	TAILQ_ENTRY(spool_msg) entry;
	spool_done_fn	 done;
	void		*arg;
	int		 result;
};
TAILQ_HEAD(msgq, spool_msg);

static const char *subdirs[] = { "tmp", "msg", "state", "corrupt", "pool" };

int
spool_open(const char *data_dir, struct spool **out, char *err, size_t errlen)
{
	struct spool *sp;
	char path[PATH_MAX];

	sp = xcalloc(1, sizeof(*sp));
	pthread_mutex_init(&sp->pool_lock, NULL);
	sp->dir = xasprintf("%s/queue", data_dir);
	for (size_t i = 0; i < nitems(subdirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", sp->dir, subdirs[i]);
		if (durable_mkdirs(path, 0750) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
	}
	sp->dirfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd == -1) {
		snprintf(err, errlen, "%s: %s", sp->dir, strerror(errno));
		goto fail;
	}
	sp->gives = SPOOL_POOL_RECOUNT;	/* count at the first give */
	*out = sp;
	return 0;
fail:
	free(sp->dir);
	free(sp);
	return -1;
}

void
spool_close(struct spool **spp)
{
	struct spool *sp = *spp;

	if (sp == NULL)
		return;
	close(sp->dirfd);
	pthread_mutex_destroy(&sp->pool_lock);
	free(sp->dir);
	free(sp);
	*spp = NULL;
}

const char *
spool_path(const struct spool *sp)
{
	return sp->dir;
}

bool
spool_journaled(const struct spool *sp)
{
	return durable_fs_journaled(sp->dirfd);
}

bool
spool_id_valid(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') ||
		    (s[n] >= 'A' && s[n] <= 'F')))
			return false;
	return n == QUEUE_ID_LEN;
}

/* Microseconds since the epoch in 13 hex digits, then 3 random ones: ids
 * sort by arrival and two writers in one microsecond still differ. */
static void
make_id(char *out)
{
	struct timespec ts;
	unsigned long long us;
	unsigned short rnd = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (unsigned short)(getpid() ^ ts.tv_nsec);
	snprintf(out, QUEUE_ID_LEN + 1, "%013llX%03X",
	    us & 0xFFFFFFFFFFFFFULL, rnd & 0xFFF);
}

static int msg_open(struct spool_msg *m);

static int
flush_wbuf(struct spool_msg *m)
{
	if (msg_open(m) == -1)
		return -1;
	if (m->wbuf.len == 0)
		return 0;
	if (durable_write_all(m->fd, m->wbuf.data, m->wbuf.len) == -1) {
		m->error = errno;
		return -1;
	}
	buf_reset(&m->wbuf);
	return 0;
}

/* Reads up to SPOOL_POOL_READ names from pool/ into sp->names. */
static void
pool_read(struct spool *sp)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	sp->nnames = sp->inames = 0;
	snprintf(path, sizeof(path), "%s/pool", sp->dir);
	if ((d = opendir(path)) == NULL)
		return;
	while (sp->nnames < SPOOL_POOL_READ && (e = readdir(d)) != NULL)
		if (spool_id_valid(e->d_name))
			memcpy(sp->names[sp->nnames++], e->d_name,
			    QUEUE_ID_LEN + 1);
	closedir(d);
}

/* Takes a recycled file as path, emptied and open for writing; -1 when
 * the pool has none. Other processes take from it too: a name that is
 * gone by the time we rename it is simply skipped. */
static int
pool_take(struct spool *sp, const char *path)
{
	char from[PATH_MAX];

	for (;;) {
		if (sp->inames == sp->nnames) {
			if (sp->skip > 0) {
				sp->skip--;
				return -1;
			}
			pool_read(sp);
			if (sp->nnames == 0) {
				sp->skip = SPOOL_POOL_BACKOFF;
				return -1;
			}
		}
		snprintf(from, sizeof(from), "%s/pool/%s", sp->dir,
		    sp->names[sp->inames++]);
		if (rename(from, path) == 0) {
			int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
			if (fd == -1)
				unlink(path);
			return fd;
		}
	}
}

/* Counts pool/ entries, stopping at SPOOL_POOL_MAX. */
static size_t
pool_count(struct spool *sp)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/pool", sp->dir);
	if ((d = opendir(path)) == NULL)
		return SPOOL_POOL_MAX;
	while (n < SPOOL_POOL_MAX && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Retires the queue file of message id into the pool (under its own,
 * unique name), or unlinks it when the pool is full. */
static int
pool_give(struct spool *sp, const char *path, const char *id)
{
	char to[PATH_MAX];

	if (sp->gives++ >= SPOOL_POOL_RECOUNT) {
		sp->full = pool_count(sp) >= SPOOL_POOL_MAX;
		sp->gives = 0;
	}
	if (sp->full)
		return unlink(path);
	snprintf(to, sizeof(to), "%s/pool/%s", sp->dir, id);
	if (renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	return unlink(path);
}

/*
 * Gives message m its file in tmp/, a recycled one when the pool has one.
 * A message that fits the write buffer gets its file only in the
 * committer thread, so the loop that serves the sessions never waits on
 * the file system (a journal commit in progress, say) for it.
 */
static int
msg_open(struct spool_msg *m)
{
	if (m->fd != -1)
		return 0;
	if (m->error) {
		errno = m->error;
		return -1;
	}
	pthread_mutex_lock(&m->sp->pool_lock);
	m->fd = pool_take(m->sp, m->tmp);
	pthread_mutex_unlock(&m->sp->pool_lock);
	if (m->fd == -1)
		m->fd = open(m->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0640);
	if (m->fd == -1) {
		m->error = errno;
		return -1;
	}
	return 0;
}

int
spool_msg_begin(struct spool *sp, struct queue_envelope *env,
    struct spool_msg **out)
{
	struct spool_msg *m = xcalloc(1, sizeof(*m));
	char final[PATH_MAX];

	m->sp = sp;
	m->fd = -1;
	buf_init(&m->wbuf, SPOOL_WBUF + QUEUE_ENV_MAX);
	for (int tries = 0;; tries++) {
		make_id(m->id);
		snprintf(final, sizeof(final), "%s/msg/%s", sp->dir, m->id);
		if (access(final, F_OK) == -1 || tries == 5)
			break;
	}
	memcpy(env->id, m->id, sizeof(m->id));
	snprintf(m->tmp, sizeof(m->tmp), "%s/tmp/%s.%ld", sp->dir, m->id,
	    (long)getpid());
	if (queue_env_format(env, &m->wbuf) == -1) {
		errno = E2BIG;
		goto fail;
	}
	*out = m;
	return 0;
fail:
	{
		int saved = errno;
		spool_msg_abort(&m);
		errno = saved;
	}
	return -1;
}

int
spool_msg_write(struct spool_msg *m, const void *data, size_t len)
{
	if (m->error) {
		errno = m->error;
		return -1;
	}
	m->size += len;
	if (m->wbuf.len + len > SPOOL_WBUF && flush_wbuf(m) == -1)
		return -1;
	if (len >= SPOOL_WBUF) {
		if (msg_open(m) == -1)
			return -1;
		if (durable_write_all(m->fd, data, len) == -1) {
			m->error = errno;
			return -1;
		}
		return 0;
	}
	if (buf_append(&m->wbuf, data, len) == -1) {
		m->error = ENOBUFS;
		errno = ENOBUFS;
		return -1;
	}
	return 0;
}

size_t
spool_msg_size(const struct spool_msg *m)
{
	return m->size;
}

const char *
spool_msg_id(const struct spool_msg *m)
{
	return m->id;
}

static void
msg_free(struct spool_msg *m)
{
	if (m->fd != -1)
		close(m->fd);
	buf_free(&m->wbuf);
	free(m);
}

void
spool_msg_abort(struct spool_msg **mp)
{
	struct spool_msg *m = *mp;

	if (m == NULL)
		return;
	if (m->fd != -1)
		unlink(m->tmp);
	msg_free(m);
	*mp = NULL;
}

/* Renames the message's file from tmp/ into msg/. */
static int
rename_into_msg(struct spool_msg *m)
{
	char final[PATH_MAX];

	snprintf(final, sizeof(final), "%s/msg/%s", m->sp->dir, m->id);
	return renameat2(AT_FDCWD, m->tmp, AT_FDCWD, final, RENAME_NOREPLACE);
}

/* Flushes, closes and renames into msg/ without making it durable. */
static int
publish(struct spool_msg *m)
{
	if (flush_wbuf(m) == -1)
		return -1;
	if (close(m->fd) == -1) {
		m->fd = -1;
		return -1;
	}
	m->fd = -1;
	return rename_into_msg(m);
}

int
spool_commit_sync(struct spool_msg **mp)
{
	struct spool_msg *m = *mp;
	char msgdir[PATH_MAX];
	int r = -1, saved;

	*mp = NULL;
	if (flush_wbuf(m) == -1 || fsync(m->fd) == -1)
		goto out;
	if (publish(m) == -1)
		goto out;
	snprintf(msgdir, sizeof(msgdir), "%s/msg", m->sp->dir);
	r = durable_fsync_dir(msgdir);
out:
	saved = errno;
	if (r == -1 && m->fd != -1)
		unlink(m->tmp);
	else if (r == -1)
		unlink(m->tmp);	/* rename failed: the tmp name still exists */
	msg_free(m);
	errno = saved;
	return r;
}

/*
 * Group commit, in two stages. The loop thread appends finished messages
 * to `pending`. The writer thread takes them as they come, writes each
 * file and hands it to `written`. The syncer thread takes everything
 * written so far, makes all of it durable at once, and moves it to
 * `done`, signalling the loop through an eventfd. So files are written
 * while the previous sync is still in flight. No thread holds the lock
 * while doing I/O.
 *
 * Making a batch durable takes one of two ways. On ext4 with a journal
 * (durable_fs_journaled) the writer starts each file's write-back and
 * keeps it in tmp/; the syncer waits for the write-back of each, renames
 * each into msg/ and fsyncs msg/: one journal commit and one cache flush
 * for the batch (journal_commit). Elsewhere the writer renames each file
 * into msg/ and the syncer runs one syncfs (shared with the queue role,
 * lib/syncshare), which is durable on any file system but also writes
 * every dirty metadata block in place each time: on the journaled ext4
 * that the benchmark runs on, its syncs took 2.4-3.1 ms against 1.6-2.0.
 */
struct spool_committer {
	struct spool	*sp;
	pthread_t	 writer, syncer;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake_writer, wake_syncer;
	struct msgq	 pending;	/* loop -> writer */
	struct msgq	 written;	/* writer -> syncer */
	struct msgq	 done;		/* syncer -> loop */
	bool		 stopping;	/* no more pending after this */
	bool		 writer_gone;	/* no more written after this */
	int		 efd;
	struct event	*ev;
	unsigned	 inflight;	/* committed but not yet reported */
	bool		 journaled;	/* the journal way (else syncfs) */
	int		 msgfd;		/* msg/, fsynced by journal commits */
	uint64_t	 nsyncs, nmsgs, sync_us; /* for the log at the end */
};

/* With c->lock held: waits for messages on q until *last (no more will
 * come) and moves them all to batch; false once q is empty for good. */
static bool
take_all(struct spool_committer *c, struct msgq *q, pthread_cond_t *cv,
    const bool *last, struct msgq *batch)
{
	while (TAILQ_EMPTY(q) && !*last)
		pthread_cond_wait(cv, &c->lock);
	if (TAILQ_EMPTY(q))
		return false;
	TAILQ_INIT(batch);
	TAILQ_CONCAT(batch, q, entry);
	return true;
}

/* Journal way, writer: the file is written and its write-back started;
 * it stays in tmp/, open, for journal_commit. */
static int
writeback_start(struct spool_msg *m)
{
	if (flush_wbuf(m) == -1)
		return -1;
	return durable_writeback_start(m->fd);
}

/*
 * Journal way, syncer: waits until the data of every file of the batch
 * is written, renames each into msg/ (so no file shows there before its
 * bytes are on the device) and fsyncs msg/, which commits the journal
 * transaction of the last rename and so every one before it: the renames
 * and the blocks that the write-backs allocated. Results in m->result.
 */
static void
journal_commit(struct spool_committer *c, struct msgq *batch)
{
	struct spool_msg *m;
	bool any = false;

	TAILQ_FOREACH(m, batch, entry) {
		int r;

		if (m->result == -1)
			continue;
		r = durable_writeback_wait(m->fd);
		if (close(m->fd) == -1)
			r = -1;
		m->fd = -1;
		if (r == 0)
			r = rename_into_msg(m);
		if (r == -1)
			unlink(m->tmp);
		m->result = r;
		any |= r == 0;
	}
	if (any && fsync(c->msgfd) == -1)
		TAILQ_FOREACH(m, batch, entry)
			m->result = -1;
}

static void *
writer_main(void *arg)
{
	struct spool_committer *c = arg;
	struct msgq batch;

	signals_block_thread();
	pthread_mutex_lock(&c->lock);
	while (take_all(c, &c->pending, &c->wake_writer, &c->stopping,
	    &batch)) {
		struct spool_msg *m;

		pthread_mutex_unlock(&c->lock);

		TAILQ_FOREACH(m, &batch, entry) {
			if (c->journaled)
				m->result = writeback_start(m);
			else
				m->result = publish(m);
			if (m->result == -1)
				unlink(m->tmp);
		}

		pthread_mutex_lock(&c->lock);
		TAILQ_CONCAT(&c->written, &batch, entry);
		pthread_cond_signal(&c->wake_syncer);
	}
	c->writer_gone = true;
	pthread_cond_signal(&c->wake_syncer);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void *
syncer_main(void *arg)
{
	struct spool_committer *c = arg;
	struct msgq batch;

	signals_block_thread();
	pthread_mutex_lock(&c->lock);
	while (take_all(c, &c->written, &c->wake_syncer, &c->writer_gone,
	    &batch)) {
		struct spool_msg *m;
		bool any = false;
		uint64_t one = 1;

		pthread_mutex_unlock(&c->lock);

		TAILQ_FOREACH(m, &batch, entry) {
			any |= m->result == 0;
			c->nmsgs++;
		}
		if (any) {
			struct timespec t0, t1;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			if (c->journaled)
				journal_commit(c, &batch);
			else if (syncshare_sync(c->sp->sync, c->sp->dirfd,
			    false) == -1)
				TAILQ_FOREACH(m, &batch, entry)
					m->result = -1;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			c->nsyncs++;
			c->sync_us += (uint64_t)((t1.tv_sec - t0.tv_sec) *
			    1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
		}

		pthread_mutex_lock(&c->lock);
		TAILQ_CONCAT(&c->done, &batch, entry);
		(void)!write(c->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct spool_committer *c = arg;
	struct msgq done;
	struct spool_msg *m;
	uint64_t n;

	(void)what;
	(void)!read(fd, &n, sizeof(n));
	TAILQ_INIT(&done);
	pthread_mutex_lock(&c->lock);
	TAILQ_CONCAT(&done, &c->done, entry);
	pthread_mutex_unlock(&c->lock);
	while ((m = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, m, entry);
		c->inflight--;
		m->done(m->arg, m->result, m->id);
		msg_free(m);
	}
}

void
spool_set_sync(struct spool *sp, struct syncshare *ss)
{
	sp->sync = ss;
}

struct spool_committer *
spool_committer_new(struct spool *sp, struct event_base *base)
{
	struct spool_committer *c = xcalloc(1, sizeof(*c));

	c->sp = sp;
	c->msgfd = -1;
	if ((c->journaled = spool_journaled(sp)) &&
	    (c->msgfd = openat(sp->dirfd, "msg", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		log_warn("%s/msg: group commits by syncfs", sp->dir);
		c->journaled = false;
	}
	log_info("queue %s: group commits by %s", sp->dir, c->journaled ?
	    "journal (ext4)" : "syncfs");
	TAILQ_INIT(&c->pending);
	TAILQ_INIT(&c->written);
	TAILQ_INIT(&c->done);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake_writer, NULL);
	pthread_cond_init(&c->wake_syncer, NULL);
	c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->efd == -1)
		abort();
	c->ev = event_new(base, c->efd, EV_READ | EV_PERSIST, on_done, c);
	if (c->ev == NULL || event_add(c->ev, NULL) == -1)
		abort();
	if (pthread_create(&c->writer, NULL, writer_main, c) != 0 ||
	    pthread_create(&c->syncer, NULL, syncer_main, c) != 0)
		abort();
	return c;
}

void
spool_commit(struct spool_committer *c, struct spool_msg **mp,
    spool_done_fn done, void *arg)
{
	struct spool_msg *m = *mp;

	*mp = NULL;
	m->done = done;
	m->arg = arg;
	/* Large writes happen here in the loop already (spool_msg_write);
	 * what is left for the worker is at most one buffer. */
	c->inflight++;
	pthread_mutex_lock(&c->lock);
	TAILQ_INSERT_TAIL(&c->pending, m, entry);
	pthread_cond_signal(&c->wake_writer);
	pthread_mutex_unlock(&c->lock);
}

void
spool_committer_free(struct spool_committer **cp)
{
	struct spool_committer *c = *cp;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_signal(&c->wake_writer);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->writer, NULL);
	pthread_join(c->syncer, NULL);
	if (c->nsyncs > 0)
		log_info("group commit: %llu messages in %llu syncs, "
		    "%.1f ms per sync", (unsigned long long)c->nmsgs,
		    (unsigned long long)c->nsyncs,
		    (double)c->sync_us / 1000.0 / (double)c->nsyncs);
	on_done(c->efd, EV_READ, c);	/* report what finished last */
	event_free(c->ev);
	close(c->efd);
	if (c->msgfd != -1)
		close(c->msgfd);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->wake_writer);
	pthread_cond_destroy(&c->wake_syncer);
	free(c);
	*cp = NULL;
}

/* Reads up to max bytes from the start of fd into b. */
static int
read_head(int fd, struct buf *b, size_t max)
{
	char chunk[8192];

	while (b->len < max) {
		size_t want = max - b->len < sizeof(chunk) ? max - b->len :
		    sizeof(chunk);
		ssize_t n = read(fd, chunk, want);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		if (buf_append(b, chunk, (size_t)n) == -1) {
			errno = ENOBUFS;
			return -1;
		}
	}
	return 0;
}

static int
parse_file(int fd, struct queue_envelope *env, size_t *used)
{
	struct buf b;
	const char *errstr;
	int r;

	buf_init(&b, QUEUE_ENV_MAX);
	if (read_head(fd, &b, QUEUE_ENV_MAX) == -1) {
		buf_free(&b);
		return -1;
	}
	r = queue_env_parse(buf_cstr(&b), b.len, env, used, &errstr);
	buf_free(&b);
	if (r == -1)
		errno = EBADMSG;
	return r;
}

int
spool_load(struct spool *sp, const char *id, struct queue_envelope *env,
    int *fd_out, off_t *body_off_out, off_t *body_size_out)
{
	char path[PATH_MAX];
	struct queue_envelope st;
	struct stat sb;
	size_t used, sused;
	int fd, sfd;

	if (!spool_id_valid(id)) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/msg/%s", sp->dir, id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || parse_file(fd, env, &used) == -1)
		goto fail;
	if (strcmp(env->id, id) != 0) {
		queue_env_free(env);
		errno = EBADMSG;
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/state/%s", sp->dir, id);
	if ((sfd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		int r = parse_file(sfd, &st, &sused);
		close(sfd);
		/* Alias expansion may have added recipients; it never
		 * removes one. */
		if (r == -1 || st.nrcpts < env->nrcpts ||
		    strcmp(st.id, id) != 0) {
			if (r == 0)
				queue_env_free(&st);
			queue_env_free(env);
			errno = EBADMSG;
			goto fail;
		}
		/* The state file is the current truth about recipients. */
		queue_env_free(env);
		*env = st;
	} else if (errno != ENOENT) {
		queue_env_free(env);
		goto fail;
	}
	if (body_off_out)
		*body_off_out = (off_t)used;
	if (body_size_out)
		*body_size_out = sb.st_size - (off_t)used;
	if (fd_out)
		*fd_out = fd;
	else
		close(fd);
	return 0;
fail:
	{
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

int
spool_state_save(struct spool *sp, const struct queue_envelope *env)
{
	char path[PATH_MAX];
	struct buf b;
	int r;

	buf_init(&b, QUEUE_ENV_MAX);
	if (queue_env_format(env, &b) == -1) {
		buf_free(&b);
		errno = E2BIG;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/state/%s", sp->dir, env->id);
	r = durable_write(path, b.data, b.len, 0640);
	buf_free(&b);
	return r;
}

int
spool_remove(struct spool *sp, const char *id)
{
	char path[PATH_MAX];
	int r;

	if (!spool_id_valid(id)) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/state/%s", sp->dir, id);
	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	snprintf(path, sizeof(path), "%s/msg/%s", sp->dir, id);
	pthread_mutex_lock(&sp->pool_lock);
	r = pool_give(sp, path, id);
	pthread_mutex_unlock(&sp->pool_lock);
	return r;
}

int
spool_quarantine(struct spool *sp, const char *id)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (!spool_id_valid(id)) {
		errno = ENOENT;
		return -1;
	}
	snprintf(from, sizeof(from), "%s/state/%s", sp->dir, id);
	snprintf(to, sizeof(to), "%s/corrupt/%s.state", sp->dir, id);
	(void)rename(from, to);
	snprintf(from, sizeof(from), "%s/msg/%s", sp->dir, id);
	snprintf(to, sizeof(to), "%s/corrupt/%s", sp->dir, id);
	return rename(from, to);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
spool_list(struct spool *sp, char ***ids_out, size_t *n_out)
{
	char path[PATH_MAX];
	struct dirent *e;
	char **ids = NULL;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/msg", sp->dir);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (!spool_id_valid(e->d_name))
			continue;
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(ids, n, sizeof(*ids), cmp_str);
	*ids_out = ids;
	*n_out = n;
	return 0;
}

void
spool_list_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

void
spool_clean_tmp(struct spool *sp)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tmp", sp->dir);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		const char *dot = strchr(e->d_name, '.');
		long pid;
		char *end;

		if (e->d_name[0] == '.' || dot == NULL)
			continue;
		pid = strtol(dot + 1, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (pid == (long)getpid() ||
		    (kill((pid_t)pid, 0) == -1 && errno == ESRCH)) {
			snprintf(path, sizeof(path), "%s/tmp/%s", sp->dir,
			    e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

int
spool_flush_request(struct spool *sp)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/flush", sp->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

bool
spool_flush_take(struct spool *sp)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/flush", sp->dir);
	return unlink(path) == 0;
}
