/*
 * role.c: the queue role process (see queue.h).
 *
 * New messages are noticed through inotify on queue/msg the moment the
 * smtp role renames them in; at start every message already there is
 * scheduled (crash recovery: nothing acknowledged is forgotten). Each
 * message is handled as a whole: load, try every recipient that is due,
 * record results durably (state/ID) or remove the message when no
 * recipient is left. A recipient is forgotten only after its delivery is
 * durable, so a crash can at worst deliver it twice, never lose it.
 */
#include "queue/queue.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/log.h"
#include "lib/util.h"
#include "queue/bounce.h"
#include "queue/local.h"
#include "queue/remote.h"
#include "queue/route.h"
#include "queue/sched.h"
#include "queue/spool.h"

#define QUEUE_BATCH		256	/* messages per loop turn */
#define QUEUE_RETRY_FIRST	60	/* seconds; doubles up to queue_interval */

struct qrole {
	const struct config	*cfg;
	struct spool		*sp;
	struct sched		*sched;
	struct queue_local	*local;
	struct queue_remote	*remote;
	struct event_base	*base;
	struct event		*timer;
	struct event		*inotify_ev;
	struct event		*sigs[3];
	int			 ifd;
	int64_t			 flush_time;	/* retry what was tried before */
};

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static void
arm(struct qrole *q, bool now)
{
	int64_t next = sched_next(q->sched), delay;
	struct timeval tv = { 0, 0 };

	if (!now) {
		if (next < 0)
			return;	/* nothing scheduled: inotify wakes us */
		delay = next - now_s();
		if (delay < 0)
			delay = 0;
		if (delay > q->cfg->queue_interval)
			delay = q->cfg->queue_interval;
		tv.tv_sec = (time_t)delay;
	}
	evtimer_add(q->timer, &tv);
}

/* A temporary failure: retry after a pause that doubles with each
 * attempt but never passes queue_interval (RFC 5321 §4.5.4.1), or fail
 * for good once the message has been queued for queue_lifetime. */
static void
defer(struct qrole *q, const struct queue_envelope *env, struct queue_rcpt *r,
    int64_t now)
{
	int64_t pause = QUEUE_RETRY_FIRST;
	char *why;

	if (now - env->arrival >= q->cfg->queue_lifetime) {
		why = xasprintf("delivery time expired; last error: %s",
		    r->error ? r->error : "none");
		free(r->error);
		r->error = why;
		r->status = QUEUE_RCPT_FAILED;
		log_msg_warnx(env->id, "to=<%s> status=expired (%s)", r->addr,
		    why);
		return;
	}
	for (unsigned i = 1; i < r->attempts && pause < q->cfg->queue_interval;
	    i++)
		pause *= 2;
	if (pause > q->cfg->queue_interval)
		pause = q->cfg->queue_interval;
	r->status = QUEUE_RCPT_DEFERRED;
	r->next_try = now + pause;
}

/* Tries one local recipient; updates its state. */
static void
try_rcpt(struct qrole *q, struct queue_envelope *env, size_t i, int fd,
    off_t off, off_t size, int64_t now)
{
	struct queue_rcpt *r = &env->rcpts[i];
	char *error = NULL;
	enum queue_local_result res;

	r->last_try = now;
	r->attempts++;
	res = queue_local_deliver(q->local, env, i, fd, off, size, &error);
	r = &env->rcpts[i];	/* the call may have grown env->rcpts */
	free(r->error);
	r->error = error;
	switch (res) {
	case QUEUE_LOCAL_OK:
		r->status = QUEUE_RCPT_DONE;
		log_msg_info(env->id, "to=<%s> status=delivered", r->addr);
		break;
	case QUEUE_LOCAL_TEMPFAIL:
		defer(q, env, r, now);
		log_msg_warnx(env->id, "to=<%s> status=deferred (%s)", r->addr,
		    error ? error : "temporary failure");
		break;
	case QUEUE_LOCAL_PERMFAIL:
		r->status = QUEUE_RCPT_FAILED;
		log_msg_warnx(env->id, "to=<%s> status=failed (%s)", r->addr,
		    error ? error : "permanent failure");
		break;
	}
}

static bool
is_open(const struct queue_rcpt *r)
{
	return r->status == QUEUE_RCPT_PENDING ||
	    r->status == QUEUE_RCPT_DEFERRED;
}

/* After results: notices owed, then the message is saved and scheduled,
 * or removed when nobody is left. Closes fd and frees env. */
static void
settle(struct qrole *q, struct queue_envelope *env, int fd, off_t off,
    off_t size, bool changed, int64_t now)
{
	const char *id = env->id;
	bool busy = queue_remote_busy(q->remote, id);
	int64_t due = -1;

	if (queue_bounce_send(q->sp, q->cfg, env, fd, off, size, now))
		changed = true;
	close(fd);
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];
		/* Recipients in flight are rescheduled by their results. */
		if (!is_open(r) || (busy &&
		    route_rcpt(q->cfg, r->addr) == ROUTE_REMOTE))
			continue;
		if (due == -1 || r->next_try < due)
			due = r->next_try;
	}
	if (queue_env_finished(env)) {
		if (spool_remove(q->sp, id) == -1)
			log_msg_warnx(id, "cannot remove from queue: %s",
			    strerror(errno));
		else
			log_msg_info(id, "removed");
		sched_remove(q->sched, id);
	} else {
		if (changed && spool_state_save(q->sp, env) == -1)
			log_msg_warnx(id, "cannot save delivery state: %s",
			    strerror(errno));
		sched_set(q->sched, id, due);
	}
	queue_env_free(env);
	arm(q, false);
}

/* Results of a relay attempt for some recipients of message id. */
static void
on_remote_done(void *arg, const char *id, const char *mta, const size_t *idx,
    const struct smtpc_rcpt *res, size_t n)
{
	struct qrole *q = arg;
	struct queue_envelope env;
	off_t off, size;
	int64_t now = now_s();
	size_t *ok, nok = 0;
	int fd;

	if (spool_load(q->sp, id, &env, &fd, &off, &size) == -1) {
		if (errno != ENOENT) {
			log_msg_warnx(id, "cannot read queue file: %s; "
			    "retrying later", strerror(errno));
			sched_set(q->sched, id, now + 60);
			arm(q, false);
		}
		return;
	}
	ok = xcalloc(n, sizeof(*ok));
	for (size_t k = 0; k < n; k++) {
		struct queue_rcpt *r;
		if (idx[k] >= env.nrcpts || !is_open(&env.rcpts[idx[k]]))
			continue;
		r = &env.rcpts[idx[k]];
		r->attempts++;
		r->last_try = now;
		free(r->error);
		r->error = queue_remote_error(mta, &res[k]);
		if (res[k].code / 100 == 2) {
			r->status = QUEUE_RCPT_DONE;
			log_msg_info(id, "to=<%s> relay=%s status=sent (%s)",
			    r->addr, mta ? mta : "none", res[k].text);
			if (!res[k].dsn_passed)
				ok[nok++] = idx[k];
		} else if (res[k].code / 100 == 5) {
			r->status = QUEUE_RCPT_FAILED;
			log_msg_warnx(id, "to=<%s> relay=%s status=failed (%s)",
			    r->addr, mta ? mta : "none", r->error);
		} else {
			log_msg_warnx(id, "to=<%s> relay=%s status=deferred "
			    "(%s)", r->addr, mta ? mta : "none", r->error);
			defer(q, &env, r, now);
		}
	}
	queue_bounce_success(q->sp, q->cfg, &env, fd, off, size, now, ok, nok,
	    BOUNCE_RELAYED);
	free(ok);
	settle(q, &env, fd, off, size, true, now);
}

static void
process(struct qrole *q, const char *id)
{
	struct queue_envelope env;
	off_t off, size;
	int64_t now = now_s();
	bool changed = false, busy;
	size_t *remote = NULL, nremote = 0, *ok = NULL, nok = 0;
	int fd;

	if (spool_load(q->sp, id, &env, &fd, &off, &size) == -1) {
		if (errno == ENOENT) {
			sched_remove(q->sched, id);
			return;
		}
		if (errno == EBADMSG) {
			log_msg_warnx(id, "corrupt queue file: moved to "
			    "queue/corrupt");
			(void)spool_quarantine(q->sp, id);
			sched_remove(q->sched, id);
			return;
		}
		log_msg_warnx(id, "cannot read queue file: %s; retrying later",
		    strerror(errno));
		sched_set(q->sched, id, now + 60);
		return;
	}
	busy = queue_remote_busy(q->remote, id);
	for (size_t i = 0; i < env.nrcpts; i++) {
		struct queue_rcpt *r = &env.rcpts[i];
		if (!is_open(r) ||
		    (r->next_try > now && r->last_try >= q->flush_time))
			continue;
		if (route_rcpt(q->cfg, r->addr) == ROUTE_REMOTE) {
			if (busy)
				continue;	/* its results are coming */
			remote = xreallocarray(remote, nremote + 1,
			    sizeof(*remote));
			remote[nremote++] = i;
			continue;
		}
		try_rcpt(q, &env, i, fd, off, size, now);
		changed = true;
		if (env.rcpts[i].status == QUEUE_RCPT_DONE) {
			ok = xreallocarray(ok, nok + 1, sizeof(*ok));
			ok[nok++] = i;
		}
	}
	queue_bounce_success(q->sp, q->cfg, &env, fd, off, size, now, ok, nok,
	    BOUNCE_DELIVERED);
	free(ok);
	if (nremote > 0)
		queue_remote_deliver(q->remote, &env, remote, nremote, fd, off,
		    size);
	free(remote);
	settle(q, &env, fd, off, size, changed, now);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct qrole *q = arg;
	char id[QUEUE_ID_LEN + 1];
	int n = 0;

	(void)fd;
	(void)what;
	while (n < QUEUE_BATCH && sched_pop_due(q->sched, now_s(), id)) {
		process(q, id);
		n++;
	}
	arm(q, n == QUEUE_BATCH);
}

static void
scan(struct qrole *q)
{
	char **ids;
	size_t n;

	if (spool_list(q->sp, &ids, &n) == -1) {
		log_warn("listing the queue");
		return;
	}
	for (size_t i = 0; i < n; i++)
		sched_set(q->sched, ids[i], 0);
	if (n > 0)
		log_info("%zu messages in the queue", n);
	spool_list_free(ids, n);
}

static void
flush(struct qrole *q)
{
	log_info("flush requested: retrying every message now");
	q->flush_time = now_s() + 1;
	queue_remote_flush(q->remote);
	scan(q);
	sched_all_due(q->sched, 0);
}

static void
on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct qrole *q = arg;
	char evbuf[16384] __attribute__((aligned(8)));
	bool kick = false;
	ssize_t n;

	(void)what;
	while ((n = read(fd, evbuf, sizeof(evbuf))) > 0) {
		for (char *p = evbuf; p < evbuf + n;) {
			struct inotify_event *ie = (struct inotify_event *)p;
			if (ie->mask & IN_Q_OVERFLOW) {
				scan(q);
				kick = true;
			} else if (ie->len > 0 && spool_id_valid(ie->name)) {
				sched_set(q->sched, ie->name, 0);
				kick = true;
			} else if (ie->len > 0 &&
			    strcmp(ie->name, "flush") == 0 &&
			    spool_flush_take(q->sp)) {
				flush(q);
				kick = true;
			}
			p += sizeof(*ie) + ie->len;
		}
	}
	if (kick)
		arm(q, true);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct qrole *q = arg;

	(void)what;
	if (sig == SIGHUP)
		return;	/* the master restarts roles on reload */
	log_info("stopping");
	event_base_loopexit(q->base, NULL);
}

static int
watch(struct qrole *q)
{
	char path[PATH_MAX];

	q->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (q->ifd == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/msg", spool_path(q->sp));
	if (inotify_add_watch(q->ifd, path, IN_MOVED_TO | IN_CLOSE_WRITE)
	    == -1)
		return -1;
	if (inotify_add_watch(q->ifd, spool_path(q->sp), IN_CLOSE_WRITE |
	    IN_ATTRIB | IN_MOVED_TO) == -1)
		return -1;
	return 0;
}

int
queue_role_main(const struct role_env *env)
{
	static const int signals[] = { SIGTERM, SIGINT, SIGHUP };
	struct qrole q;
	char err[512];

	memset(&q, 0, sizeof(q));
	q.cfg = env->cfg;
	if (spool_open(q.cfg->data_dir, &q.sp, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((q.local = queue_local_new(q.cfg, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (watch(&q) == -1)
		fatal("inotify on %s", spool_path(q.sp));
	q.sched = sched_new();
	if ((q.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((q.remote = queue_remote_new(q.cfg, q.base, on_remote_done, &q,
	    err, sizeof(err))) == NULL)
		fatalx("%s", err);
	q.timer = evtimer_new(q.base, on_timer, &q);
	q.inotify_ev = event_new(q.base, q.ifd, EV_READ | EV_PERSIST,
	    on_inotify, &q);
	event_add(q.inotify_ev, NULL);
	for (size_t i = 0; i < nitems(signals); i++) {
		q.sigs[i] = evsignal_new(q.base, signals[i], on_signal, &q);
		evsignal_add(q.sigs[i], NULL);
	}
	if (spool_flush_take(q.sp))
		q.flush_time = now_s() + 1;
	scan(&q);
	arm(&q, true);
	event_base_dispatch(q.base);

	queue_remote_free(&q.remote);
	for (size_t i = 0; i < nitems(signals); i++)
		event_free(q.sigs[i]);
	event_free(q.inotify_ev);
	event_free(q.timer);
	event_base_free(q.base);
	close(q.ifd);
	sched_free(&q.sched);
	queue_local_free(&q.local);
	spool_close(&q.sp);
	return 0;
}
