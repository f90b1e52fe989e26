/*
 * watch.h: change notification for IDLE through inotify (glue only).
 * The store touches a file in a folder after every change; each IDLE
 * session registers that file here, and one inotify descriptor per
 * process wakes exactly the sessions whose mailbox changed, so 10,000
 * idle sessions cost nothing while nothing happens.
 */
#ifndef IMAPD_WATCH_H
#define IMAPD_WATCH_H

#include <event2/event.h>

struct watcher;
struct watch;

typedef void (*watch_fn)(void *arg);

/* NULL when inotify is not available (the caller polls instead). */
struct watcher *watcher_new(struct event_base *base);
void watcher_free(struct watcher **wp);

/* Calls fn(arg) whenever path changes. NULL on failure (no watches left,
 * no such file). */
struct watch *watcher_add(struct watcher *w, const char *path, watch_fn fn,
    void *arg);
void watcher_del(struct watcher *w, struct watch *wt);

#endif
