/*
 * watch.c: inotify for the imap role's IDLE sessions (see watch.h).
 * Registrations hang in buckets hashed by watch descriptor; the kernel
 * gives one descriptor per file however often it is added, so the
 * descriptor is dropped when its last registration goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <unistd.h>

#include "imapd/watch.h"
#include "lib/log.h"
#include "lib/util.h"

#define WATCH_BUCKETS	4096
#define WATCH_MASK	(IN_ATTRIB | IN_MODIFY | IN_CLOSE_WRITE)

struct watch {
	LIST_ENTRY(watch) entry;
	int		 wd;
	watch_fn	 fn;
	void		*arg;
};
LIST_HEAD(watchlist, watch);

struct watcher {
	int		 fd;
	struct event	*ev;
	struct watchlist buckets[WATCH_BUCKETS];
};

static struct watchlist *
bucket(struct watcher *w, int wd)
{
	return &w->buckets[(unsigned)wd % WATCH_BUCKETS];
}

static void
fire(struct watcher *w, int wd)
{
	struct watch *wt, *next;

	for (wt = LIST_FIRST(bucket(w, wd)); wt != NULL; wt = next) {
		next = LIST_NEXT(wt, entry);
		if (wt->wd == wd)
			wt->fn(wt->arg);	/* may delete wt, not next */
	}
}

static void
on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct watcher *w = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	size_t i;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n; ) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->mask & IN_Q_OVERFLOW) {
				/* events were lost: wake everyone */
				for (i = 0; i < WATCH_BUCKETS; i++) {
					struct watch *wt, *next;

					for (wt = LIST_FIRST(&w->buckets[i]);
					    wt != NULL; wt = next) {
						next = LIST_NEXT(wt, entry);
						wt->fn(wt->arg);
					}
				}
			} else if (ev->wd >= 0)
				fire(w, ev->wd);
			p += sizeof(*ev) + ev->len;
		}
	}
}

struct watcher *
watcher_new(struct event_base *base)
{
	struct watcher *w;
	int fd, i;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("imap: inotify");
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	for (i = 0; i < WATCH_BUCKETS; i++)
		LIST_INIT(&w->buckets[i]);
	w->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_inotify, w);
	event_add(w->ev, NULL);
	return w;
}

void
watcher_free(struct watcher **wp)
{
	struct watcher *w = *wp;
	struct watch *wt;
	int i;

	if (w == NULL)
		return;
	for (i = 0; i < WATCH_BUCKETS; i++)
		while ((wt = LIST_FIRST(&w->buckets[i])) != NULL) {
			LIST_REMOVE(wt, entry);
			free(wt);
		}
	event_free(w->ev);
	close(w->fd);
	free(w);
	*wp = NULL;
}

struct watch *
watcher_add(struct watcher *w, const char *path, watch_fn fn, void *arg)
{
	struct watch *wt;
	int wd;

	if ((wd = inotify_add_watch(w->fd, path, WATCH_MASK)) == -1) {
		if (errno == ENOSPC)
			log_warnx("imap: inotify watches exhausted");
		return NULL;
	}
	wt = xcalloc(1, sizeof(*wt));
	wt->wd = wd;
	wt->fn = fn;
	wt->arg = arg;
	LIST_INSERT_HEAD(bucket(w, wd), wt, entry);
	return wt;
}

void
watcher_del(struct watcher *w, struct watch *wt)
{
	struct watch *o;
	int wd = wt->wd;

	LIST_REMOVE(wt, entry);
	free(wt);
	LIST_FOREACH(o, bucket(w, wd), entry)
		if (o->wd == wd)
			return;
	(void)inotify_rm_watch(w->fd, wd);
}
