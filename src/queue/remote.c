/*
 * remote.c: relay delivery from the queue role (see remote.h). RFC 5321
 * §5 (where to send), §4.5.4.1 (retry strategy). This file keeps the
 * jobs (some recipients of one message for one destination), the
 * destinations (concurrency, back-off) and the smarthost credentials;
 * remote-conn.c runs the connections.
 */
#include "queue/remote.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "lib/log.h"
#include "lib/tls.h"
#include "lib/util.h"
#include "queue/remote-int.h"
#include "queue/route.h"

int64_t
remote_now(void)
{
	return (int64_t)time(NULL);
}

static int
cmp_msg(const void *a, const void *b)
{
	return strcmp(((const struct rmsg *)a)->id,
	    ((const struct rmsg *)b)->id);
}

/* ---- messages and jobs ------------------------------------------------ */

static void
rmsg_unref(struct queue_remote *rm, struct rmsg *m)
{
	if (--m->refs > 0)
		return;
	tdelete(m, &rm->msgs, cmp_msg);
	if (m->map != NULL)	/* a job freed unreported (shutdown) */
		munmap(m->map, m->maplen ? m->maplen : 1);
	free(m->sender);
	free(m->envid);
	free(m);
}

void
remote_job_free(struct queue_remote *rm, struct job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free((char *)j->rcpts[i].addr);
		free((char *)j->rcpts[i].orcpt);
	}
	free(j->rcpts);
	free(j->idx);
	if (j->m != NULL)
		rmsg_unref(rm, j->m);
	free(j);
}

/* Results are reported from the loop, never from inside the caller's
 * own call (the role is in the middle of a message then). */
void
remote_job_done(struct queue_remote *rm, struct job *j, const char *mta)
{
	strlcpy_(j->mta, mta ? mta : "", sizeof(j->mta));
	TAILQ_INSERT_TAIL(&rm->finished, j, entry);
	event_active(rm->report_ev, EV_TIMEOUT, 0);
}

void
remote_job_fail(struct queue_remote *rm, struct job *j, int code, const char *status,
    const char *text)
{
	for (size_t i = 0; i < j->n; i++) {
		struct smtpc_rcpt *r = &j->rcpts[i];
		r->code = code;
		r->remote = false;
		strlcpy_(r->status, status, sizeof(r->status));
		strlcpy_(r->text, text, sizeof(r->text));
	}
	remote_job_done(rm, j, NULL);
}

int
remote_job_map(struct queue_remote *rm, struct job *j)
{
	struct rmsg *m = j->m;
	char path[PATH_MAX];
	int fd, saved;

	if (m->map == NULL) {
		snprintf(path, sizeof(path), "%s/queue/msg/%s",
		    rm->cfg->data_dir, m->id);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return -1;
		m->maplen = (size_t)m->off + m->len;
		m->map = mmap(NULL, m->maplen ? m->maplen : 1, PROT_READ,
		    MAP_PRIVATE, fd, 0);
		saved = errno;
		close(fd);
		if (m->map == MAP_FAILED) {
			m->map = NULL;
			errno = saved;
			return -1;
		}
		m->data = (const char *)m->map + m->off;
	}
	m->active++;
	j->mapped = true;
	j->msg.data = m->data;
	j->msg.len = m->len;
	return 0;
}

/* The job's sending is over (reported, so its connection has moved on):
 * the last active job of a message unmaps it. */
static void
job_unmap(struct job *j)
{
	struct rmsg *m = j->m;

	if (!j->mapped)
		return;
	j->mapped = false;
	if (--m->active == 0) {
		munmap(m->map, m->maplen ? m->maplen : 1);
		m->map = NULL;
		m->data = NULL;
	}
}

static void
on_report(evutil_socket_t fd, short what, void *arg)
{
	struct queue_remote *rm = arg;
	struct job *j;
	char id[QUEUE_ID_LEN + 1];

	(void)fd;
	(void)what;
	while ((j = TAILQ_FIRST(&rm->finished)) != NULL) {
		TAILQ_REMOVE(&rm->finished, j, entry);
		/* Let go of the message first: when this was its last job,
		 * the role must see it as no longer busy. */
		memcpy(id, j->m->id, sizeof(id));
		job_unmap(j);
		rmsg_unref(rm, j->m);
		j->m = NULL;
		rm->done(rm->arg, id, j->mta[0] ? j->mta : NULL, j->idx,
		    j->rcpts, j->n);
		remote_job_free(rm, j);
	}
}

/* ---- destinations ----------------------------------------------------- */

static struct dest *
dest_get(struct queue_remote *rm, const char *domain)
{
	const char *route = config_route_lookup(rm->cfg, domain);
	char key[SMTPC_DNS_HOST_MAX + 16], host[SMTPC_DNS_HOST_MAX];
	const char *errstr;
	uint16_t port = rm->cfg->remote_smtp_port;
	struct dest *d;
	size_t n;

	if (route != NULL) {
		if (config_hostport_split(route, host, sizeof(host), &port,
		    &errstr) == -1)
			return NULL;	/* config_load checked it */
		snprintf(key, sizeof(key), "route %s", route);
	} else {
		strlcpy_(host, domain, sizeof(host));
		n = strlen(host);
		if (n > 0 && host[n - 1] == '.')
			host[n - 1] = '\0';
		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		snprintf(key, sizeof(key), "mx %s", host);
	}
	TAILQ_FOREACH(d, &rm->dests, entry)
		if (strcmp(d->key, key) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	d->key = xstrdup(key);
	d->name = xstrdup(host);
	d->port = port;
	d->mx = route == NULL;
	for (size_t i = 0; route != NULL && i < rm->nauths; i++)
		if (strcmp(rm->auths[i].nexthop, route) == 0)
			d->auth = &rm->auths[i];
	TAILQ_INIT(&d->waiting);
	TAILQ_INSERT_TAIL(&rm->dests, d, entry);
	return d;
}

/* Forgets destinations with nothing to do. Only called from the top of
 * queue_remote_deliver: a destination is never freed under a caller that
 * still holds it (callbacks can nest: resolve → connect → fail → free). */
static void
dests_sweep(struct queue_remote *rm)
{
	struct dest *d, *next;
	int64_t now = remote_now();

	for (d = TAILQ_FIRST(&rm->dests); d != NULL; d = next) {
		next = TAILQ_NEXT(d, entry);
		if (d->nconns > 0 || d->nwaiting > 0 || d->dead_until > now)
			continue;
		TAILQ_REMOVE(&rm->dests, d, entry);
		free(d->key);
		free(d->name);
		free(d);
	}
}

static void
fail_waiting(struct queue_remote *rm, struct dest *d, int code,
    const char *status, const char *text)
{
	struct job *j;

	while ((j = TAILQ_FIRST(&d->waiting)) != NULL) {
		TAILQ_REMOVE(&d->waiting, j, entry);
		d->nwaiting--;
		remote_job_fail(rm, j, code, status, text);
	}
}

/* No connection to d worked. Temporary: rest for a while (doubling up to
 * queue_interval) and fail what waits, so the queue moves on; permanent
 * (no such domain, null MX): fail what waits for good. */
void
remote_dest_failed(struct queue_remote *rm, struct dest *d, bool perm,
    const char *status, const char *why)
{
	int64_t pause;

	strlcpy_(d->error, why, sizeof(d->error));
	if (perm) {
		fail_waiting(rm, d, 550, status, why);
		return;
	}
	if (d->nbusy == 0) {
		d->fails++;
		pause = REMOTE_DEST_BACKOFF;
		for (unsigned i = 1; i < d->fails && pause <
		    rm->cfg->queue_interval; i++)
			pause *= 2;
		if (pause > rm->cfg->queue_interval)
			pause = rm->cfg->queue_interval;
		d->dead_until = remote_now() + pause;
		log_info("destination %s unreachable, pausing %llds: %s",
		    d->name, (long long)pause, why);
	}
	fail_waiting(rm, d, 451, status, why);
}

void
remote_dest_kick(struct queue_remote *rm, struct dest *d)
{
	if (d->nwaiting == 0)
		return;
	if (d->dead_until > remote_now()) {
		fail_waiting(rm, d, 451, "4.4.1", d->error);
		return;
	}
	while (d->nconns - d->nbusy < d->nwaiting &&
	    d->nconns < REMOTE_DEST_CONC && rm->nconns < REMOTE_CONN_MAX)
		remote_conn_start(rm, d);
}

/* ---- the interface ---------------------------------------------------- */

void
queue_remote_deliver(struct queue_remote *rm, const struct queue_envelope *env,
    const size_t *idx, size_t n, off_t off, off_t size)
{
	struct job **jobs = xcalloc(n, sizeof(*jobs));
	struct rmsg *m = xcalloc(1, sizeof(*m));
	size_t njobs = 0;

	dests_sweep(rm);
	memcpy(m->id, env->id, sizeof(m->id));
	m->sender = xstrdup(env->sender);
	m->envid = env->envid ? xstrdup(env->envid) : NULL;
	m->ret = env->ret == QUEUE_RET_FULL ? SMTPC_RET_FULL :
	    env->ret == QUEUE_RET_HDRS ? SMTPC_RET_HDRS : SMTPC_RET_NONE;
	m->smtputf8 = env->smtputf8;
	m->off = off;
	m->len = (size_t)size;
	if (tsearch(m, &rm->msgs, cmp_msg) == NULL)
		abort();
	for (size_t k = 0; k < n; k++) {
		const struct queue_rcpt *r = &env->rcpts[idx[k]];
		struct dest *d = dest_get(rm, route_domain(r->addr));
		struct job *j = NULL;
		struct smtpc_rcpt *sr;

		for (size_t i = 0; i < njobs && j == NULL; i++)
			if (jobs[i]->d == d)
				j = jobs[i];
		if (j == NULL) {
			j = jobs[njobs++] = xcalloc(1, sizeof(*j));
			j->m = m;
			m->refs++;
			j->d = d;
			j->idx = xcalloc(n, sizeof(*j->idx));
			j->rcpts = xcalloc(n, sizeof(*j->rcpts));
		}
		j->idx[j->n] = idx[k];
		sr = &j->rcpts[j->n++];
		sr->addr = xstrdup(r->addr);
		sr->orcpt = r->orcpt ? xstrdup(r->orcpt) : NULL;
		sr->notify = r->notify;	/* the same bits (client.h) */
	}
	m->refs++;	/* held until every job is queued */
	for (size_t i = 0; i < njobs; i++) {
		struct job *j = jobs[i];
		j->msg.sender = m->sender;
		j->msg.rcpts = j->rcpts;
		j->msg.nrcpts = j->n;
		j->msg.smtputf8 = m->smtputf8;
		j->msg.envid = m->envid;
		j->msg.ret = m->ret;
		if (j->d == NULL)
			remote_job_fail(rm, j, 451, "4.3.5", "bad route");
		else {
			TAILQ_INSERT_TAIL(&j->d->waiting, j, entry);
			j->d->nwaiting++;
			remote_dest_kick(rm, j->d);
		}
	}
	rmsg_unref(rm, m);
	free(jobs);
}

bool
queue_remote_busy(const struct queue_remote *rm, const char *id)
{
	struct rmsg key;

	if (strlen(id) != QUEUE_ID_LEN)
		return false;
	memcpy(key.id, id, sizeof(key.id));
	return tfind(&key, &rm->msgs, cmp_msg) != NULL;
}

void
queue_remote_flush(struct queue_remote *rm)
{
	struct dest *d;

	TAILQ_FOREACH(d, &rm->dests, entry) {
		d->dead_until = 0;
		d->fails = 0;
	}
}

char *
queue_remote_error(const char *mta, const struct smtpc_rcpt *r)
{
	if (r->remote && mta != NULL)
		return xasprintf("%s said: %s", mta, r->text);
	if (r->status[0] != '\0')	/* bounce_parse_error reads it back */
		return xasprintf("%s %s", r->status, r->text);
	return xstrdup(r->text);
}

static void
bad_auth_line(void *arg, const char *path, unsigned lineno, const char *why)
{
	(void)arg;
	log_warnx("%s:%u: %s; line skipped (want HOST:PORT USER PASSWORD "
	    "[verify], fields with spaces in double quotes)", path, lineno, why);
}

/*
 * Reads data_dir/relay-auth when it exists. A bad line or an unreadable
 * file is logged and leaves those smarthosts without credentials (their
 * mail waits in the queue): local delivery goes on either way.
 */
static void
load_auth(struct queue_remote *rm)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/relay-auth", rm->cfg->data_dir);
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		log_warnx("%s is readable by others: chmod 600 it", path);
	if (relay_auth_load(path, &rm->auths, &rm->nauths, bad_auth_line,
	    NULL) == -1)
		log_warn("%s: smarthost credentials not read", path);
}

struct queue_remote *
queue_remote_new(const struct config *cfg, struct event_base *base,
    queue_remote_done_fn done, void *arg, char *err, size_t errlen)
{
	struct queue_remote *rm = xcalloc(1, sizeof(*rm));
	char terr[256];

	rm->cfg = cfg;
	rm->base = base;
	rm->done = done;
	rm->arg = arg;
	TAILQ_INIT(&rm->dests);
	TAILQ_INIT(&rm->conns);
	TAILQ_INIT(&rm->finished);
	load_auth(rm);
	if ((rm->dns = smtpc_dns_new(base, cfg->dns_server, err, errlen)) ==
	    NULL) {
		relay_auth_free(rm->auths, rm->nauths);
		free(rm);
		return NULL;
	}
	/* Opportunistic TLS (RFC 7435): encrypt when offered, without
	 * authenticating the peer; MX records carry no policy. */
	if ((rm->tls = tls_client_ctx_new(0, NULL, terr, sizeof(terr))) ==
	    NULL)
		log_warnx("outbound TLS unavailable: %s", terr);
	for (size_t i = 0; i < rm->nauths && rm->tls_verify == NULL; i++)
		if (rm->auths[i].verify && (rm->tls_verify =
		    tls_client_ctx_new(1, NULL, terr, sizeof(terr))) == NULL)
			log_warnx("verified TLS unavailable: %s", terr);
	rm->report_ev = event_new(base, -1, 0, on_report, rm);
	return rm;
}

void
queue_remote_free(struct queue_remote **rmp)
{
	struct queue_remote *rm = *rmp;
	struct conn *c;
	struct dest *d;
	struct job *j;

	if (rm == NULL)
		return;
	on_report(-1, 0, rm);	/* results already in hand count */
	rm->stopping = true;
	smtpc_dns_free(&rm->dns);	/* resolving conns end here */
	while ((c = TAILQ_FIRST(&rm->conns)) != NULL) {
		if (c->job != NULL) {
			remote_job_free(rm, c->job);	/* retried at the next start */
			c->job = NULL;
			c->d->nbusy--;
		}
		remote_conn_free(c);
	}
	while ((d = TAILQ_FIRST(&rm->dests)) != NULL) {
		while ((j = TAILQ_FIRST(&d->waiting)) != NULL) {
			TAILQ_REMOVE(&d->waiting, j, entry);
			remote_job_free(rm, j);
		}
		TAILQ_REMOVE(&rm->dests, d, entry);
		free(d->key);
		free(d->name);
		free(d);
	}
	while ((j = TAILQ_FIRST(&rm->finished)) != NULL) {
		TAILQ_REMOVE(&rm->finished, j, entry);
		remote_job_free(rm, j);
	}
	event_free(rm->report_ev);
	if (rm->tls != NULL)
		SSL_CTX_free(rm->tls);
	if (rm->tls_verify != NULL)
		SSL_CTX_free(rm->tls_verify);
	relay_auth_free(rm->auths, rm->nauths);
	free(rm);
	*rmp = NULL;
}
