/*
 * view.c: the selected mailbox as one session sees it: sequence numbers,
 * \Recent, and the untagged EXISTS/RECENT/EXPUNGE/FETCH updates that tell
 * the client what other sessions and deliveries changed (RFC 3501 §5.2,
 * §7.3, §7.4; RFC 7162 MODSEQ). Run by the imap role process.
 *
 * Changes are found through the store's MODSEQs: messages with a MODSEQ
 * above what the view has seen are new or have new flags, and expunged
 * UIDs with a higher MODSEQ have vanished. \Recent (which the store does
 * not keep) is approximated with a small file per folder holding the
 * first UID no read-write SELECT has seen yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapd/imapd-private.h"
#include "lib/log.h"
#include "lib/util.h"

/*
 * \Recent (RFC 3501 §2.3.2): a message is \Recent in exactly one session,
 * the first to be told about it. postern-imap-recent in the folder holds
 * "UIDVALIDITY MARK": every UID below MARK has been claimed by some
 * session. A read-write session claims [MARK, upto) by moving MARK to
 * upto under an exclusive lock (flock), so of two sessions racing for
 * new mail exactly one gets each message; a read-only one (EXAMINE)
 * sees the same messages as \Recent but leaves them for the next.
 */
#define RECENT_FILE	"postern-imap-recent"
#define RECENT_LINE_MAX	64

/* MARK from the file's text, or 0 when it is missing, unreadable or of
 * another UIDVALIDITY (an old one-number file counts as ours). */
static uint32_t
recent_parse(const char *line, uint32_t uidvalidity)
{
	unsigned long a, b;
	char *e;

	a = strtoul(line, &e, 10);
	if (e == line)
		return 0;
	if (*e != ' ')
		return a > UINT32_MAX ? 0 : (uint32_t)a;
	b = strtoul(e + 1, &e, 10);
	if (a != uidvalidity || b > UINT32_MAX)
		return 0;
	return (uint32_t)b;
}

/*
 * Claims UIDs below upto for this session: returns the MARK found, so
 * the session's new \Recent messages are those with MARK <= UID < upto.
 * With claim false (read-only), the file is only read.
 */
static uint32_t
recent_claim(const char *dir, uint32_t uidvalidity, uint32_t upto,
    bool claim)
{
	char path[PATH_MAX], line[RECENT_LINE_MAX];
	uint32_t mark = 0;
	ssize_t got;
	int fd, n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, RECENT_FILE) >=
	    (int)sizeof(path))
		return upto;
	fd = open(path, (claim ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return claim ? upto : 0;
	if (flock(fd, claim ? LOCK_EX : LOCK_SH) == -1) {
		close(fd);
		return upto;
	}
	got = pread(fd, line, sizeof(line) - 1, 0);
	if (got > 0) {
		line[got] = '\0';
		mark = recent_parse(line, uidvalidity);
	}
	if (claim && upto > mark) {
		n = snprintf(line, sizeof(line), "%u %u\n", uidvalidity, upto);
		/* Overwritten in place: the lock is on this inode. A torn
		 * write reads as 0 (messages shown \Recent once more). */
		if (pwrite(fd, line, (size_t)n, 0) != n ||
		    ftruncate(fd, n) == -1)
			log_warn("imap: %s", path);
	}
	close(fd);	/* drops the lock */
	return mark;
}

uint32_t
view_recent_floor(struct store_mbox *mbox)
{
	struct store_mbox_status st;
	const char *err;

	if (store_mbox_status(mbox, &st, &err) == -1)
		return UINT32_MAX;
	return recent_claim(store_mbox_dir(mbox), st.uidvalidity, 0, false);
}

/* The messages from index first on are new to this view: claims them
 * and marks the ones this session is the first to see. */
static void
view_claim(struct imapd_view *v, size_t first, uint32_t uidnext)
{
	uint32_t upto = uidnext, mark;

	if (first >= v->n)
		return;
	if (v->uids[v->n - 1] >= upto)
		upto = v->uids[v->n - 1] + 1;
	mark = recent_claim(store_mbox_dir(v->mbox), v->uidvalidity, upto,
	    !v->readonly);
	for (size_t i = first; i < v->n; i++)
		if (v->uids[i] >= mark) {
			v->recent[i] = true;
			v->nrecent++;
		}
}

void
view_own_change(struct imapd_view *v, uint32_t uid, uint64_t modseq)
{
	if (v->nown == v->owncap) {
		v->owncap = v->owncap ? v->owncap * 2 : 16;
		v->own = xreallocarray(v->own, v->owncap, sizeof(*v->own));
	}
	v->own[v->nown].uid = uid;
	v->own[v->nown].modseq = modseq;
	v->nown++;
}

static bool
own_change(const struct imapd_view *v, uint32_t uid, uint64_t modseq)
{
	size_t lo = 0, hi = v->nown;

	/* One STORE records them in UID order; a sync follows each. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->own[mid].uid == uid)
			return v->own[mid].modseq == modseq;
		if (v->own[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void
view_add(struct imapd_view *v, uint32_t uid)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->uids = xreallocarray(v->uids, v->cap, sizeof(*v->uids));
		v->recent = xreallocarray(v->recent, v->cap,
		    sizeof(*v->recent));
	}
	v->recent[v->n] = false;	/* until view_claim */
	v->uids[v->n++] = uid;
}

uint32_t
view_seq(const struct imapd_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->uids[mid] == uid)
			return (uint32_t)mid + 1;
		if (v->uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

bool
view_is_recent(const struct imapd_view *v, uint32_t uid)
{
	uint32_t seq = view_seq(v, uid);

	return seq != 0 && v->recent[seq - 1];
}

void
view_close(struct imapd_session *s)
{
	struct imapd_view *v = s->view;

	if (v == NULL)
		return;
	store_mbox_close(&v->mbox);
	if (v->dirfd != -1)
		close(v->dirfd);
	free(v->notify);
	free(v->own);
	free(v->uids);
	free(v->recent);
	free(v);
	s->view = NULL;
	s->idling = false;
}

void
view_suspend(struct imapd_session *s)
{
	struct imapd_view *v = s->view;

	if (v == NULL || v->mbox == NULL)
		return;
	free(v->notify);
	v->notify = xstrdup(store_mbox_notify_path(v->mbox));
	store_mbox_close(&v->mbox);
	if (v->dirfd != -1) {
		close(v->dirfd);
		v->dirfd = -1;
	}
}

int
view_resume(struct imapd_session *s)
{
	struct imapd_view *v = s->view;
	const char *err = NULL;

	if (v == NULL || v->mbox != NULL)
		return 0;
	if (store_mbox_open(s->store, s->user, v->name, &v->mbox, &err) == 1)
		return 0;
	log_warnx("imap: %s: cannot reopen %s: %s", s->user, v->name,
	    err ? err : "no such mailbox");
	out_printf(s, "* BYE Mailbox no longer available\r\n");
	s->action = IMAPD_ACT_CLOSE;
	return -1;
}

static bool
newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec &&
	    a->tv_nsec > b->tv_nsec);
}

/*
 * Whether new/ or cur/ changed after the index last did. The store
 * renames a message file into place before it commits the index, so
 * only other tools leave the directories newer; a full sync of a big
 * folder costs more than the 1 s a SELECT may take.
 */
static bool
files_changed(const char *dir)
{
	static const char *const idx[] = { "postern-index.db",
	    "postern-index.db-wal" };
	static const char *const sub[] = { "new", "cur" };
	struct timespec last = { 0, 0 };
	char path[4096];
	struct stat sb;
	size_t i;

	for (i = 0; i < nitems(idx); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, idx[i]);
		if (stat(path, &sb) == 0 && newer(&sb.st_mtim, &last))
			last = sb.st_mtim;
	}
	for (i = 0; i < nitems(sub); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if (stat(path, &sb) == -1 || !newer(&last, &sb.st_mtim))
			return true;
	}
	return false;
}

int
view_open(struct imapd_session *s, const char *name, bool readonly,
    const char **errstr_out)
{
	struct store_mbox *mbox;
	struct store_mbox_status st;
	struct store_msg_iter *it;
	const struct store_msg *m;
	struct imapd_view *v;
	struct buf kw, flags;
	uint32_t unseen = 0;
	int r;

	r = store_mbox_open(s->store, s->user, name, &mbox, errstr_out);
	if (r != 1)
		return r;
	/* Pick up files other tools (mutt) added, renamed or removed. */
	if (files_changed(store_mbox_dir(mbox)))
		(void)store_mbox_sync(mbox, NULL, errstr_out);
	if (store_mbox_status(mbox, &st, errstr_out) == -1 ||
	    store_msg_iter_new(mbox, 1, 0, 0, &it, errstr_out) == -1) {
		store_mbox_close(&mbox);
		return -1;
	}
	v = xcalloc(1, sizeof(*v));
	v->dirfd = -1;
	v->mbox = mbox;
	strlcpy_(v->name, name, sizeof(v->name));
	v->readonly = readonly;
	v->uidvalidity = st.uidvalidity;
	v->modseq = st.highestmodseq;
	v->xmodseq = st.highestmodseq;
	buf_init(&kw, STORE_KEYWORDS_MAX * 4);
	while ((r = store_msg_iter_next(it, &m, errstr_out)) == 1) {
		view_add(v, m->uid);
		if (!(m->flags & STORE_FLAG_SEEN) && unseen == 0)
			unseen = (uint32_t)v->n;
		if (*m->keywords != '\0') {
			char *dup = xstrdup(m->keywords), *w, *save = NULL;

			for (w = strtok_r(dup, " ", &save); w != NULL;
			    w = strtok_r(NULL, " ", &save))
				flag_parse(w, &(unsigned){ 0 }, &kw);
			free(dup);
		}
	}
	store_msg_iter_free(&it);
	if (r == -1) {
		buf_free(&kw);
		s->view = v;
		view_close(s);
		return -1;
	}
	view_claim(v, 0, st.uidnext);
	s->view = v;

	/* RFC 3501 §6.3.1: the untagged responses SELECT requires. */
	buf_init(&flags, STORE_KEYWORDS_MAX * 4 + 256);
	flags_format(&flags, STORE_FLAG_ALL, buf_cstr(&kw), false);
	out_printf(s, "* FLAGS %s\r\n", buf_cstr(&flags));
	buf_truncate(&flags, flags.len - 1);
	out_printf(s, "* OK [PERMANENTFLAGS %s%s\\*)] Flags permitted\r\n",
	    buf_cstr(&flags), kw.len > 0 ? " " : " ");
	out_printf(s, "* %zu EXISTS\r\n* %zu RECENT\r\n", v->n, v->nrecent);
	if (unseen != 0)
		out_printf(s, "* OK [UNSEEN %u] First unseen\r\n", unseen);
	out_printf(s, "* OK [UIDVALIDITY %u] UIDs valid\r\n"
	    "* OK [UIDNEXT %u] Predicted next UID\r\n", st.uidvalidity,
	    st.uidnext);
	out_printf(s, "* OK [HIGHESTMODSEQ %" PRIu64 "] Highest\r\n",
	    st.highestmodseq);
	buf_free(&flags);
	buf_free(&kw);
	return 1;
}

void
view_expunged(struct imapd_session *s, uint32_t uid)
{
	struct imapd_view *v = s->view;
	uint32_t seq = view_seq(v, uid);

	if (seq == 0)
		return;
	if (v->recent[seq - 1])
		v->nrecent--;
	memmove(&v->uids[seq - 1], &v->uids[seq],
	    (v->n - seq) * sizeof(*v->uids));
	memmove(&v->recent[seq - 1], &v->recent[seq],
	    (v->n - seq) * sizeof(*v->recent));
	v->n--;
	out_printf(s, "* %u EXPUNGE\r\n", seq);
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
view_expunged_many(struct imapd_session *s, uint32_t *uids, size_t n)
{
	struct imapd_view *v = s->view;
	size_t i, j = 0, k = 0;

	if (n == 0)
		return;
	qsort(uids, n, sizeof(*uids), uid_cmp);
	/* One pass: each EXPUNGE's number counts the ones sent before it
	 * (§7.4.1: every EXPUNGE renumbers what follows). */
	for (i = 0; i < v->n; i++) {
		while (j < n && uids[j] < v->uids[i])
			j++;
		if (j < n && uids[j] == v->uids[i]) {
			out_printf(s, "* %zu EXPUNGE\r\n", i + 1 - k);
			if (v->recent[i])
				v->nrecent--;
			k++;
			continue;
		}
		v->uids[i - k] = v->uids[i];
		v->recent[i - k] = v->recent[i];
	}
	v->n -= k;
}

void
msgmeta_free(struct imapd_msgmeta *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].keywords);
		free(m[i].envelope);
		free(m[i].bodystructure);
		free(m[i].file);
	}
	free(m);
}

static void
meta_copy(struct imapd_msgmeta *d, const struct store_msg *m, bool cache)
{
	memset(d, 0, sizeof(*d));
	d->uid = m->uid;
	d->flags = m->flags;
	d->keywords = xstrdup(m->keywords);
	d->internaldate = m->internaldate;
	d->size = m->size;
	d->modseq = m->modseq;
	d->file = m->file != NULL ? xstrdup(m->file) : NULL;
	if (cache) {
		d->envelope = m->envelope ? xstrdup(m->envelope) : NULL;
		d->bodystructure = m->bodystructure ?
		    xstrdup(m->bodystructure) : NULL;
	}
}

/* Loads messages with first <= UID <= last and MODSEQ > since. */
static int
load(struct imapd_session *s, uint32_t first, uint32_t last, uint64_t since,
    bool cache, const struct imapd_seqset *set, bool uid,
    struct imapd_msgmeta **out, size_t *n_out, const char **errstr_out)
{
	struct imapd_view *v = s->view;
	struct store_msg_iter *it;
	const struct store_msg *m;
	struct imapd_msgmeta *arr = NULL;
	size_t n = 0, cap = 0;
	uint32_t star = v->n > 0 ? v->uids[v->n - 1] : 0;
	struct imapd_seqset rs = { NULL, 0 };
	int r;

	*out = NULL;
	*n_out = 0;
	if (store_msg_iter_new(v->mbox, first, last, since, &it,
	    errstr_out) == -1)
		return -1;
	if (set != NULL)
		seqset_resolve(set, uid ? star : (uint32_t)v->n, &rs);
	while ((r = store_msg_iter_next(it, &m, errstr_out)) == 1) {
		uint32_t seq = view_seq(v, m->uid);

		if (set != NULL) {
			if (seq == 0)
				continue;
			if (!seqset_in(&rs, uid ? m->uid : seq))
				continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			arr = xreallocarray(arr, cap, sizeof(*arr));
		}
		meta_copy(&arr[n], m, cache);
		arr[n].seq = seq;
		n++;
	}
	store_msg_iter_free(&it);
	seqset_free(&rs);
	if (r == -1) {
		msgmeta_free(arr, n);
		return -1;
	}
	*out = arr;
	*n_out = n;
	return 0;
}

int
view_select(struct imapd_session *s, const struct imapd_seqset *set,
    bool uid, uint64_t changedsince, bool cache,
    struct imapd_msgmeta **out, size_t *n_out, const char **errstr_out)
{
	struct imapd_view *v = s->view;
	uint32_t first = UINT32_MAX, last = 0;
	size_t i;

	*out = NULL;
	*n_out = 0;
	if (v->n == 0)
		return 0;
	for (i = 0; i < set->n; i++) {
		uint32_t lo = set->r[i].lo, hi = set->r[i].hi;

		if (uid) {
			uint32_t star = v->uids[v->n - 1];

			lo = lo == SEQ_STAR ? star : lo;
			hi = hi == SEQ_STAR ? star : hi;
			if (lo > hi) {
				uint32_t t = lo;

				lo = hi;
				hi = t;
			}
		} else {
			lo = lo == SEQ_STAR ? (uint32_t)v->n : lo;
			hi = hi == SEQ_STAR ? (uint32_t)v->n : hi;
			if (lo > hi) {
				uint32_t t = lo;

				lo = hi;
				hi = t;
			}
			if (lo > v->n)
				continue;
			if (hi > v->n)
				hi = (uint32_t)v->n;
			lo = v->uids[lo - 1];
			hi = v->uids[hi - 1];
		}
		if (lo < first)
			first = lo;
		if (hi > last)
			last = hi;
	}
	if (last == 0)
		return 0;
	return load(s, first, last, changedsince, cache, set, uid, out, n_out,
	    errstr_out);
}

/* Past this age an mtime can no longer be the one a change in the same
 * clock tick would set (file times come from a coarse clock). */
#define CHG_SETTLED_NS	(50LL * 1000 * 1000)

/*
 * Whether the mailbox may have changed since the last sync: the store
 * touches its change file after every commit (mbox.h), so an unchanged
 * mtime that was already settled when it was recorded means nothing
 * was committed since. Runs before every tagged reply, so it saves an
 * index transaction per command. Records the mtime for the next call.
 */
static bool
changed_since_sync(struct imapd_view *v)
{
	struct stat sb;
	struct timespec now;
	bool same;

	if (stat(store_mbox_notify_path(v->mbox), &sb) == -1) {
		v->chg_stable = false;
		return true;
	}
	same = sb.st_mtim.tv_sec == v->chg_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == v->chg_mtime.tv_nsec;
	if (same && v->chg_stable)
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	v->chg_mtime = sb.st_mtim;
	v->chg_stable = (now.tv_sec - sb.st_mtim.tv_sec) * 1000000000LL +
	    (now.tv_nsec - sb.st_mtim.tv_nsec) > CHG_SETTLED_NS;
	return true;
}

void
view_sync(struct imapd_session *s, bool allow_expunge)
{
	struct imapd_view *v = s->view;
	struct store_mbox_status st;
	struct imapd_msgmeta *m;
	const char *err;
	size_t n, i, before = v->n, recent_before = v->nrecent, added_from;
	struct buf b;

	/* Expunges held back by an earlier command (§7.4.1) are due now. */
	if (!changed_since_sync(v) &&
	    (!allow_expunge || v->xmodseq >= v->modseq)) {
		v->nown = 0;
		return;
	}
	if (store_mbox_status(v->mbox, &st, &err) == -1) {
		log_warnx("imap: %s: status: %s", s->user, err);
		v->chg_stable = false;
		return;
	}
	if (allow_expunge && st.highestmodseq > v->xmodseq) {
		uint32_t *gone;
		size_t ngone;

		if (store_mbox_vanished(v->mbox, v->xmodseq, &gone, &ngone,
		    &err) == 0) {
			view_expunged_many(s, gone, ngone);
			free(gone);
			v->xmodseq = st.highestmodseq;
		}
	}
	if (st.highestmodseq <= v->modseq) {
		v->nown = 0;
		return;
	}
	if (load(s, 1, 0, v->modseq, false, NULL, false, &m, &n, &err) == -1) {
		log_warnx("imap: %s: sync: %s", s->user, err);
		return;
	}
	added_from = v->n;	/* new messages go after the expunges */
	buf_init(&b, STORE_KEYWORDS_MAX * 4 + 256);
	for (i = 0; i < n; i++) {
		uint32_t seq = view_seq(v, m[i].uid);

		if (seq == 0) {
			if (v->n == 0 || m[i].uid > v->uids[v->n - 1])
				view_add(v, m[i].uid);
			continue;
		}
		if (own_change(v, m[i].uid, m[i].modseq))
			continue;
		/* Another session changed the flags (§7.4.2 FETCH). */
		buf_reset(&b);
		flags_format(&b, m[i].flags, m[i].keywords,
		    view_is_recent(v, m[i].uid));
		out_printf(s, "* %u FETCH (UID %u FLAGS %s", seq, m[i].uid,
		    buf_cstr(&b));
		if (s->condstore)
			out_printf(s, " MODSEQ (%" PRIu64 ")", m[i].modseq);
		out_printf(s, ")\r\n");
	}
	buf_free(&b);
	msgmeta_free(m, n);
	v->nown = 0;
	v->modseq = st.highestmodseq;
	if (v->n > added_from)
		view_claim(v, added_from, st.uidnext);
	/* §7.3.1: after EXPUNGEs the client counts fewer, so new mail is
	 * announced even when the total came back to where it was. */
	if (v->n != before || v->n > added_from)
		out_printf(s, "* %zu EXISTS\r\n", v->n);
	if (v->nrecent != recent_before)
		out_printf(s, "* %zu RECENT\r\n", v->nrecent);
}

/* Reads all of fd into out (closing fd). 1 or -1. */
static int
read_fd(int fd, struct buf *out)
{
	struct stat sb;

	if (fstat(fd, &sb) == -1 || (uint64_t)sb.st_size > STORE_MSG_MAX ||
	    buf_reserve(out, (size_t)sb.st_size) == -1) {
		close(fd);
		return -1;
	}
	for (;;) {
		/* One byte more than the file should still hold: getting
		 * exactly its size back is its end, so a message usually
		 * takes one read(2). */
		size_t want = (uint64_t)sb.st_size >= out->len ?
		    (size_t)sb.st_size - out->len + 1 : 65536;
		ssize_t got;

		if (want > 65536)
			want = 65536;
		if (buf_reserve(out, want) == -1)
			break;
		got = read(fd, out->data + out->len, want);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			close(fd);
			return got == 0 ? 1 : -1;
		}
		out->len += (size_t)got;
		out->data[out->len] = '\0';
		if ((size_t)got < want && out->len == (size_t)sb.st_size) {
			close(fd);
			return 1;
		}
	}
	close(fd);
	return -1;
}

int
view_read(struct imapd_session *s, uint32_t uid, struct buf *out)
{
	const char *err;
	int fd, r;

	buf_reset(out);
	r = store_msg_open(s->view->mbox, uid, &fd, &err);
	if (r != 1)
		return r;
	return read_fd(fd, out);
}

int
view_read_meta(struct imapd_session *s, const struct imapd_msgmeta *m,
    struct buf *out)
{
	struct imapd_view *v = s->view;
	int fd;

	buf_reset(out);
	if (m->file == NULL || strstr(m->file, "..") != NULL)
		return view_read(s, m->uid, out);
	/* Relative to the folder: a two-name lookup per message instead
	 * of the whole path's. */
	if (v->dirfd == -1)
		v->dirfd = open(store_mbox_dir(v->mbox), O_RDONLY |
		    O_DIRECTORY | O_CLOEXEC);
	if (v->dirfd == -1 ||
	    (fd = openat(v->dirfd, m->file, O_RDONLY | O_CLOEXEC)) == -1)
		return view_read(s, m->uid, out);
	return read_fd(fd, out);
}
