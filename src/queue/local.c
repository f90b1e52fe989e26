/*
 * local.c: local delivery from the queue (see local.h), through the store
 * (src/deliver: alias expansion, Maildir append, Return-Path and
 * Delivered-To).
 */
#include "queue/local.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "deliver/deliver.h"
#include "lib/util.h"
#include "store/store.h"

struct queue_local {
	const struct config	*cfg;
	struct store		*store;
};

struct queue_local *
queue_local_new(const struct config *cfg, char *err, size_t errlen)
{
	struct queue_local *l = xcalloc(1, sizeof(*l));

	l->cfg = cfg;
	if (store_open(cfg, &l->store, err, errlen) == -1) {
		free(l);
		return NULL;
	}
	return l;
}

void
queue_local_free(struct queue_local **lp)
{
	struct queue_local *l = *lp;

	if (l == NULL)
		return;
	store_close(&l->store);
	free(l);
	*lp = NULL;
}

static enum queue_local_result
result_of(enum deliver_status st)
{
	switch (st) {
	case DELIVER_OK:
	case DELIVER_FORWARD:
		return QUEUE_LOCAL_OK;
	case DELIVER_TEMPFAIL:
		return QUEUE_LOCAL_TEMPFAIL;
	case DELIVER_PERMFAIL:
		break;
	}
	return QUEUE_LOCAL_PERMFAIL;
}

/* Appends one destination of recipient i as a recipient of its own. */
static void
add_child(struct queue_envelope *env, size_t i, const struct deliver_result *d)
{
	const struct queue_rcpt *parent = &env->rcpts[i];
	char *orcpt = parent->orcpt ? xstrdup(parent->orcpt) : NULL;
	unsigned notify = parent->notify;
	struct queue_rcpt *c;

	if (queue_env_add_rcpt(env, d->address, orcpt, notify) == -1) {
		free(orcpt);
		return;	/* QUEUE_RCPT_MAX: the caller defers the parent */
	}
	free(orcpt);
	c = &env->rcpts[env->nrcpts - 1];
	c->expanded = true;
	if (d->status == DELIVER_PERMFAIL) {
		c->status = QUEUE_RCPT_FAILED;
		c->error = xstrdup(d->text);
	}
}

struct deliver_batch *
queue_local_batch(struct queue_local *l)
{
	return deliver_batch_new(l->store);
}

void
queue_local_set_sync(struct queue_local *l, struct syncshare *ss)
{
	store_set_sync(l->store, ss);
}

void
queue_local_lookups(struct queue_local *l, bool begin)
{
	/* Without the snapshot each lookup still works on its own. */
	if (begin)
		(void)store_read_begin(l->store, NULL);
	else
		store_read_end(l->store);
}

int
queue_local_sync(struct queue_local *l, const char **errstr_out)
{
	return store_sync(l->store, errstr_out);
}

int
queue_local_publish(struct deliver_batch *b, const char **errstr_out)
{
	return deliver_batch_publish(b, errstr_out);
}

void
queue_local_fail(struct deliver_batch *b)
{
	deliver_batch_fail(b);
}

bool
queue_local_ok(const struct deliver_batch *b, uint64_t tag)
{
	return deliver_batch_ok(b, tag);
}

void
queue_local_batch_free(struct deliver_batch **bp)
{
	deliver_batch_free(bp);
}

enum queue_local_result
queue_local_deliver(struct queue_local *l, struct deliver_batch *b,
    struct queue_envelope *env, size_t i, int fd, off_t off, off_t size,
    uint64_t tag, char **error_out)
{
	struct deliver_report rep;
	enum queue_local_result res;
	char text[DELIVER_TEXT_MAX];
	void *map;
	size_t maplen = (size_t)(off + size);
	const char *msg;
	bool mixed = false;

	*error_out = NULL;
	map = mmap(NULL, maplen ? maplen : 1, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		*error_out = xasprintf("4.3.0 cannot map queue file: %s",
		    strerror(errno));
		return QUEUE_LOCAL_TEMPFAIL;
	}
	msg = (const char *)map + off;
	if (env->rcpts[i].expanded) {
		enum deliver_status st = deliver_batch_mailbox(b, tag,
		    env->sender, env->rcpts[i].addr, msg, (size_t)size, text);
		munmap(map, maplen ? maplen : 1);
		res = result_of(st);
		if (res != QUEUE_LOCAL_OK)
			*error_out = xstrdup(text);
		return res;
	}
	deliver_batch_rcpt(b, tag, env->sender, env->rcpts[i].addr,
	    msg, (size_t)size, &rep);
	munmap(map, maplen ? maplen : 1);

	for (size_t k = 0; k < rep.n; k++)
		if (rep.results[k].status != DELIVER_OK)
			mixed = true;
	res = result_of(rep.status);
	if (res == QUEUE_LOCAL_TEMPFAIL) {
		bool any_ok = false;
		for (size_t k = 0; k < rep.n; k++)
			if (rep.results[k].status == DELIVER_OK ||
			    rep.results[k].status == DELIVER_FORWARD)
				any_ok = true;
		if (!any_ok) {
			*error_out = xstrdup(rep.text);
			deliver_report_free(&rep);
			return QUEUE_LOCAL_TEMPFAIL;
		}
		res = QUEUE_LOCAL_OK;	/* split below */
	}
	if (res == QUEUE_LOCAL_OK && mixed) {
		size_t room = QUEUE_RCPT_MAX - env->nrcpts;
		size_t need = 0;
		for (size_t k = 0; k < rep.n; k++)
			need += rep.results[k].status != DELIVER_OK;
		if (need > room) {
			*error_out = xstrdup("4.5.3 too many recipients "
			    "after alias expansion");
			deliver_report_free(&rep);
			return QUEUE_LOCAL_TEMPFAIL;
		}
		for (size_t k = 0; k < rep.n; k++)
			if (rep.results[k].status != DELIVER_OK)
				add_child(env, i, &rep.results[k]);
	}
	if (res != QUEUE_LOCAL_OK)
		*error_out = xstrdup(rep.text);
	deliver_report_free(&rep);
	return res;
}
