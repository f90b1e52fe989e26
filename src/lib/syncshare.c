/*
 * syncshare.c: a syncfs(2) shared between processes (see syncshare.h).
 *
 * The page holds counters and a futex word. Syncs are numbered in the
 * order they start. A caller whose writes are complete reads the number
 * of syncs started so far, s: any sync numbered above s started after
 * those writes and so covers them. It returns as soon as one such sync
 * has succeeded; while one runs elsewhere it sleeps on the futex. When
 * none runs, an eager caller starts one at once; a patient one first
 * lets a sync in flight end and gives its owner SYNCSHARE_GRACE_US to
 * start the next (a busy smtp role syncs back to back), and only then
 * starts its own.
 */
#include "lib/syncshare.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
    "the shared page needs lock-free 64-bit atomics");

struct syncpage {
	_Atomic uint64_t	started;	/* number of the last sync begun */
	_Atomic uint64_t	done;		/* highest number that succeeded */
	_Atomic uint64_t	failed;		/* highest number that failed */
	_Atomic uint64_t	dev;		/* the file system, 1 + st_dev */
	_Atomic int32_t		runner;		/* pid running the latest, or 0 */
	_Atomic uint32_t	wake;		/* bumped (and woken) at start, end */
};

struct syncshare {
	struct syncpage	*page;
	unsigned long	 calls, own;	/* this process's, for syncshare_own */
};

struct syncshare *
syncshare_new(void)
{
	struct syncshare *ss;
	void *p;

	p = mmap(NULL, sizeof(struct syncpage), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	ss = xcalloc(1, sizeof(*ss));
	ss->page = p;	/* zero-filled: nothing started, nothing done */
	return ss;
}

void
syncshare_free(struct syncshare **ssp)
{
	struct syncshare *ss = *ssp;

	if (ss == NULL)
		return;
	munmap(ss->page, sizeof(struct syncpage));
	free(ss);
	*ssp = NULL;
}

static void
max_u64(_Atomic uint64_t *a, uint64_t v)
{
	uint64_t cur = atomic_load(a);

	while (cur < v && !atomic_compare_exchange_weak(a, &cur, v))
		;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
wake_all(struct syncpage *pg)
{
	atomic_fetch_add(&pg->wake, 1);
	syscall(SYS_futex, &pg->wake, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Sleeps until the wake word moves from w, or for at most us. */
static void
wait_wake(struct syncpage *pg, uint32_t w, int64_t us)
{
	struct timespec ts;

	if (us <= 0)
		return;
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	syscall(SYS_futex, &pg->wake, FUTEX_WAIT, w, &ts, NULL, 0);
}

/* Whether the latest sync still runs: its process may have died in it
 * (kill -9 of a role), and then it never will end. */
static bool
running(struct syncpage *pg)
{
	int32_t pid = atomic_load(&pg->runner);

	return pid != 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Runs sync number seq (already counted in started) and publishes its
 * outcome. */
static int
run_sync(struct syncpage *pg, int fd, uint64_t seq)
{
	int32_t me = (int32_t)getpid();
	int r, saved;

	atomic_store(&pg->runner, me);
	wake_all(pg);
	r = syncfs(fd);
	saved = errno;
	max_u64(r == 0 ? &pg->done : &pg->failed, seq);
	atomic_compare_exchange_strong(&pg->runner, &me, 0);
	wake_all(pg);
	errno = saved;
	return r;
}

int
syncshare_sync(struct syncshare *ss, int fd, bool patient)
{
	struct syncpage *pg;
	struct stat st;
	uint64_t ticket, dev = 0, s;
	int64_t deadline, grace_end = 0;

	if (ss == NULL)
		return syncfs(fd);
	ss->calls++;
	pg = ss->page;
	if (fstat(fd, &st) == -1)
		return -1;
	/* The first caller names the file system; syncs of another one
	 * never count for it. */
	if (!atomic_compare_exchange_strong(&pg->dev, &dev,
	    (uint64_t)st.st_dev + 1) && dev != (uint64_t)st.st_dev + 1) {
		ss->own++;
		return syncfs(fd);
	}

	ticket = atomic_load(&pg->started) + 1;
	deadline = now_us() + SYNCSHARE_WAIT_MS * 1000;
	for (;;) {
		uint32_t w = atomic_load(&pg->wake);
		int64_t now = now_us();

		if (atomic_load(&pg->done) >= ticket)
			return 0;
		if (atomic_load(&pg->failed) >= ticket || now >= deadline)
			break;	/* ours failed, or its process stalls */
		s = atomic_load(&pg->started);
		if (s >= ticket) {
			/* One that covers us runs elsewhere. */
			wait_wake(pg, w, deadline - now);
			continue;
		}
		if (patient && running(pg)) {
			/* Let it end; its owner may start the next. */
			grace_end = 0;
			wait_wake(pg, w, deadline - now);
			continue;
		}
		if (patient && grace_end == 0)
			grace_end = now + SYNCSHARE_GRACE_US;
		if (patient && now < grace_end) {
			wait_wake(pg, w, grace_end - now);
			continue;
		}
		if (atomic_compare_exchange_strong(&pg->started, &s, s + 1)) {
			ss->own++;
			return run_sync(pg, fd, s + 1);
		}
	}
	ss->own++;
	return run_sync(pg, fd, atomic_fetch_add(&pg->started, 1) + 1);
}

void
syncshare_counts(const struct syncshare *ss, unsigned long *calls,
    unsigned long *own)
{
	*calls = ss ? ss->calls : 0;
	*own = ss ? ss->own : 0;
}
