/*
 * role.c: the queue role process (see queue.h).
 *
 * New messages are noticed through inotify on queue/msg the moment the
 * smtp role renames them in; at start every message already there is
 * scheduled (crash recovery: nothing acknowledged is forgotten). Due
 * messages go in batches: their local deliveries are staged and made
 * durable by one group commit (on_timer), then each message is settled —
 * due remote recipients handed to the relay engine (remote.c), notices
 * sent (bounce.c), state saved durably (state/ID) or the message removed
 * when no recipient is left. A recipient is forgotten only after its
 * delivery is durable, so a crash can at worst deliver it twice, never
 * lose it. A message belongs to one owner at a time: a batch, or the
 * relay engine while its remote recipients are in flight.
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

struct qbatch;

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
	struct qbatch		*published;	/* awaiting the next sync */
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

/*
 * A message of a batch: loaded and tried, its local deliveries staged,
 * waiting for the batch's commit; its due remote recipients wait too, and
 * go to the relay engine when the message is settled.
 */
struct inflight {
	struct queue_envelope	 env;
	int			 fd;
	off_t			 off, size;
	bool			*staged;	/* per recipient */
	size_t			 nstaged;
	size_t			*remote;	/* due remote recipients */
	size_t			 nremote;
	bool			 changed;
};

/* Up to QUEUE_BATCH messages whose local deliveries share one commit. */
struct qbatch {
	struct deliver_batch	*db;
	struct inflight		*msgs;
	size_t			 n;
};

static uint64_t
tag_of(size_t slot, size_t rcpt)
{
	return (uint64_t)slot << 32 | (uint64_t)rcpt;
}

static bool
is_open(const struct queue_rcpt *r)
{
	return r->status == QUEUE_RCPT_PENDING ||
	    r->status == QUEUE_RCPT_DEFERRED;
}

/* Tries one local recipient: stages its delivery (the outcome is known
 * after the batch commit, in finish) or records a failure. */
static void
try_local(struct qrole *q, struct qbatch *b, struct inflight *m, size_t slot,
    size_t i, int64_t now)
{
	struct queue_envelope *env = &m->env;
	struct queue_rcpt *r = &env->rcpts[i];
	char *error = NULL;
	enum queue_local_result res;

	r->last_try = now;
	r->attempts++;
	res = queue_local_deliver(q->local, b->db, env, i, m->fd, m->off,
	    m->size, tag_of(slot, i), &error);
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
		/* Busy with the relay engine: on_remote_done reschedules. */
		sched_set(q->sched, id, busy ? -1 : due);
	}
	queue_env_free(env);
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
	ok = xcalloc(n ? n : 1, sizeof(*ok));
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
	arm(q, false);
}

/* Loads a message into a batch and tries its due local recipients; its
 * due remote ones are noted for settling. false when there is nothing
 * to settle (gone, corrupt, unreadable, or busy with the relay engine). */
static bool
process(struct qrole *q, const char *id, struct qbatch *b, size_t slot,
    struct inflight *m)
{
	int64_t now = now_s();

	memset(m, 0, sizeof(*m));
	if (queue_remote_busy(q->remote, id))
		return false;	/* on_remote_done reschedules it */
	if (spool_load(q->sp, id, &m->env, &m->fd, &m->off, &m->size) == -1) {
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
		if (!is_open(r) ||
		    (r->next_try > now && r->last_try >= q->flush_time))
			continue;
		if (route_rcpt(q->cfg, r->addr) == ROUTE_REMOTE) {
			m->remote = xreallocarray(m->remote, m->nremote + 1,
			    sizeof(*m->remote));
			m->remote[m->nremote++] = i;
			continue;
		}
		try_local(q, b, m, slot, i, now);
		m->changed = true;
	}
	return true;
}

/* After the batch commit: settles the staged local recipients, sends
 * success notices, hands due remote recipients to the relay engine, and
 * settles the message. */
static void
finish(struct qrole *q, struct qbatch *b, struct inflight *m, size_t slot,
    bool committed)
{
	struct queue_envelope *env = &m->env;
	int64_t now = now_s();
	size_t *ok = NULL, nok = 0;

	for (size_t i = 0; i < m->nstaged; i++) {
		struct queue_rcpt *r = &env->rcpts[i];
		if (!m->staged[i])
			continue;
		if (committed && queue_local_ok(b->db, tag_of(slot, i))) {
			r->status = QUEUE_RCPT_DONE;
			log_msg_info(env->id, "to=<%s> status=delivered",
			    r->addr);
			ok = xreallocarray(ok, nok + 1, sizeof(*ok));
			ok[nok++] = i;
		} else {
			free(r->error);
			r->error = xstrdup("4.3.0 mailbox commit failed");
			defer(q, env, r, now);
			log_msg_warnx(env->id, "to=<%s> status=deferred "
			    "(mailbox commit failed)", r->addr);
		}
	}
	queue_bounce_success(q->sp, q->cfg, env, m->fd, m->off, m->size, now,
	    ok, nok, BOUNCE_DELIVERED);
	free(ok);
	if (m->nremote > 0)
		queue_remote_deliver(q->remote, env, m->remote, m->nremote,
		    m->off, m->size);
	settle(q, env, m->fd, m->off, m->size, m->changed, now);
	free(m->staged);
	free(m->remote);
}

static void
batch_free(struct qbatch **bp)
{
	struct qbatch *b = *bp;

	if (b == NULL)
		return;
	queue_local_batch_free(&b->db);
	free(b->msgs);
	free(b);
	*bp = NULL;
}

/* Settles every message of a batch; committed: its sync succeeded. */
static void
batch_finish(struct qrole *q, struct qbatch **bp, bool committed)
{
	struct qbatch *b = *bp;

	if (!committed)
		queue_local_fail(b->db);
	for (size_t i = 0; i < b->n; i++)
		finish(q, b, &b->msgs[i], i, committed);
	batch_free(bp);
}

/* Whether some message of b staged a local delivery (that is what the
 * turn's sync is for). */
static bool
batch_staged(const struct qbatch *b)
{
	for (size_t i = 0; i < b->n; i++)
		for (size_t k = 0; k < b->msgs[i].nstaged; k++)
			if (b->msgs[i].staged[k])
				return true;
	return false;
}

/*
 * The queue's group commit, pipelined. Each turn loads and tries up to
 * QUEUE_BATCH due messages, staging their local deliveries (bytes written,
 * nothing visible), then runs ONE file-system sync. That sync makes two
 * things durable at once: this turn's staged bytes, and the renames and
 * index entries the previous turn published. So the previous batch is
 * settled now (queue files removed or state saved), and this batch is
 * published, to be settled by the next turn's sync — which the timer runs
 * at once while a published batch waits (a turn that staged nothing, with
 * nothing published, skips the sync). A queue file is removed only
 * after the sync that made its delivery durable: a crash anywhere leaves
 * the message queued (at worst delivered twice, never lost).
 */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct qrole *q = arg;
	struct qbatch *b;
	char id[QUEUE_ID_LEN + 1];
	const char *errstr = NULL;
	bool synced;

	(void)fd;
	(void)what;
	b = xcalloc(1, sizeof(*b));
	b->db = queue_local_batch(q->local);
	b->msgs = xcalloc(QUEUE_BATCH, sizeof(*b->msgs));
	/* One snapshot of the accounts for the turn's alias and user
	 * lookups (without it, every statement locks and unlocks). */
	queue_local_lookups(q->local, true);
	while (b->n < QUEUE_BATCH && sched_pop_due(q->sched, now_s(), id))
		if (process(q, id, b, b->n, &b->msgs[b->n]))
			b->n++;
	queue_local_lookups(q->local, false);
	if (q->published == NULL && !batch_staged(b)) {
		/* Nothing staged, nothing waiting to be settled (a turn of
		 * relayed mail): no sync is owed, settle at once. */
		batch_finish(q, &b, true);
		arm(q, false);
		return;
	}
	synced = queue_local_sync(q->local, &errstr) == 0;
	if (!synced)
		log_warnx("mailbox sync failed: %s; deferring deliveries",
		    errstr ? errstr : "error");
	if (q->published != NULL)
		batch_finish(q, &q->published, synced);
	if (b->n == 0) {
		batch_free(&b);
	} else if (!synced) {
		batch_finish(q, &b, false);
	} else {
		if (queue_local_publish(b->db, &errstr) == -1)
			log_warnx("mailbox commit failed: %s; deferring the "
			    "deliveries concerned", errstr ? errstr : "error");
		q->published = b;
	}
	arm(q, q->published != NULL);
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
	/* Local deliveries ride on the smtp role's syncs when that role
	 * commits by syncfs; with journal commits it runs none to share. */
	if (!spool_journaled(q.sp))
		queue_local_set_sync(q.local, env->sync);
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
	signals_hold_for_exit();

	if (q.published != NULL) {
		const char *errstr = NULL;
		bool synced = queue_local_sync(q.local, &errstr) == 0;
		batch_finish(&q, &q.published, synced);
	}
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
