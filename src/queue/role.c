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
#include "queue/local.h"
#include "queue/route.h"
#include "queue/sched.h"
#include "queue/spool.h"

#define QUEUE_BATCH		256	/* messages per loop turn */
#define QUEUE_REMOTE_WAIT	"waiting for outbound delivery"

struct qrole {
	const struct config	*cfg;
	struct spool		*sp;
	struct sched		*sched;
	struct queue_local	*local;
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

/*
 * A message of the current batch: loaded, tried, waiting for the batch's
 * commit to learn whether its staged local deliveries are durable.
 */
struct inflight {
	struct queue_envelope	 env;
	bool			*staged;	/* per recipient */
	size_t			 nstaged;
	bool			 changed;
};

static uint64_t
tag_of(size_t slot, size_t rcpt)
{
	return (uint64_t)slot << 32 | (uint64_t)rcpt;
}

/* Tries one recipient; updates its state. A local delivery is staged:
 * its outcome is known after the batch commit (finish). */
static void
try_rcpt(struct qrole *q, struct inflight *m, size_t slot, size_t i, int fd,
    off_t off, off_t size, int64_t now)
{
	struct queue_envelope *env = &m->env;
	struct queue_rcpt *r = &env->rcpts[i];
	char *error = NULL;
	enum queue_local_result res;

	r->last_try = now;
	if (route_rcpt(q->cfg, r->addr) == ROUTE_REMOTE) {
		/* The outbound issue delivers these; until then they wait
		 * and `posternctl queue list` says so. */
		if (r->error == NULL || strcmp(r->error, QUEUE_REMOTE_WAIT)) {
			free(r->error);
			r->error = xstrdup(QUEUE_REMOTE_WAIT);
		}
		r->next_try = now + q->cfg->queue_interval;
		return;
	}
	r->attempts++;
	res = queue_local_deliver(q->local, env, i, fd, off, size,
	    tag_of(slot, i), &error);
	r = &env->rcpts[i];	/* the call may have grown env->rcpts */
	free(r->error);
	r->error = error;
	switch (res) {
	case QUEUE_LOCAL_OK:
		m->staged = xreallocarray(m->staged, env->nrcpts,
		    sizeof(*m->staged));
		for (size_t k = m->nstaged; k < env->nrcpts; k++)
			m->staged[k] = false;
		m->nstaged = env->nrcpts;
		m->staged[i] = true;
		break;
	case QUEUE_LOCAL_TEMPFAIL:
		r->status = QUEUE_RCPT_DEFERRED;
		r->next_try = now + q->cfg->queue_interval;
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

/* Loads a message and tries its due recipients. false when there is
 * nothing to finish (gone, corrupt, unreadable). */
static bool
process(struct qrole *q, const char *id, size_t slot, struct inflight *m)
{
	off_t off, size;
	int64_t now = now_s();
	int fd;

	memset(m, 0, sizeof(*m));
	if (spool_load(q->sp, id, &m->env, &fd, &off, &size) == -1) {
		if (errno == ENOENT) {
			sched_remove(q->sched, id);
			return false;
		}
		if (errno == EBADMSG) {
			log_msg_warnx(id, "corrupt queue file: moved to "
			    "queue/corrupt");
			(void)spool_quarantine(q->sp, id);
			sched_remove(q->sched, id);
			return false;
		}
		log_msg_warnx(id, "cannot read queue file: %s; retrying later",
		    strerror(errno));
		sched_set(q->sched, id, now + 60);
		return false;
	}
	for (size_t i = 0; i < m->env.nrcpts; i++) {
		struct queue_rcpt *r = &m->env.rcpts[i];
		if (r->status != QUEUE_RCPT_PENDING &&
		    r->status != QUEUE_RCPT_DEFERRED)
			continue;
		if (r->next_try <= now || r->last_try < q->flush_time) {
			try_rcpt(q, m, slot, i, fd, off, size, now);
			m->changed = true;
		}
	}
	close(fd);
	return true;
}

/* After the batch commit: settles staged recipients, then removes the
 * message or saves its state and schedules its next try. */
static void
finish(struct qrole *q, struct inflight *m, size_t slot, bool committed)
{
	struct queue_envelope *env = &m->env;
	int64_t due = -1, now = now_s();

	for (size_t i = 0; i < m->nstaged; i++) {
		struct queue_rcpt *r = &env->rcpts[i];
		if (!m->staged[i])
			continue;
		if (committed && queue_local_ok(q->local, tag_of(slot, i))) {
			r->status = QUEUE_RCPT_DONE;
			log_msg_info(env->id, "to=<%s> status=delivered",
			    r->addr);
		} else {
			r->status = QUEUE_RCPT_DEFERRED;
			r->next_try = now + 60;
			free(r->error);
			r->error = xstrdup("4.3.0 mailbox commit failed");
			log_msg_warnx(env->id, "to=<%s> status=deferred "
			    "(mailbox commit failed)", r->addr);
		}
	}
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];
		if ((r->status == QUEUE_RCPT_PENDING ||
		    r->status == QUEUE_RCPT_DEFERRED) &&
		    (due == -1 || r->next_try < due))
			due = r->next_try;
	}
	if (queue_env_finished(env)) {
		if (spool_remove(q->sp, env->id) == -1)
			log_msg_warnx(env->id, "cannot remove from queue: %s",
			    strerror(errno));
		else
			log_msg_info(env->id, "removed");
		sched_remove(q->sched, env->id);
	} else {
		if (m->changed && spool_state_save(q->sp, env) == -1)
			log_msg_warnx(env->id, "cannot save delivery state: %s",
			    strerror(errno));
		sched_set(q->sched, env->id, due);
	}
	free(m->staged);
	queue_env_free(env);
}

/*
 * One batch: up to QUEUE_BATCH due messages are loaded and tried, their
 * local deliveries staged; one commit (two syncfs) makes all of them
 * durable; only then are queue files removed or their state saved. A
 * crash anywhere before that leaves every message in the queue.
 */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct qrole *q = arg;
	struct inflight *batch;
	char id[QUEUE_ID_LEN + 1];
	size_t n = 0;
	const char *errstr = NULL;
	bool committed;

	(void)fd;
	(void)what;
	batch = xcalloc(QUEUE_BATCH, sizeof(*batch));
	queue_local_begin(q->local);
	while (n < QUEUE_BATCH && sched_pop_due(q->sched, now_s(), id))
		if (process(q, id, n, &batch[n]))
			n++;
	committed = queue_local_commit(q->local, &errstr) == 0;
	if (!committed)
		log_warnx("mailbox commit failed: %s; deferring the batch",
		    errstr ? errstr : "error");
	for (size_t i = 0; i < n; i++)
		finish(q, &batch[i], i, committed);
	queue_local_end(q->local);
	free(batch);
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
