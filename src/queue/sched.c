/*
 * sched.c: due times of queued messages (see sched.h).
 */
#include "queue/sched.h"

#include <search.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "queue/envelope.h"

struct sched_entry {
	char	id[QUEUE_ID_LEN + 1];
	int64_t	due;		/* -1: known, not scheduled */
};

struct heapent {
	int64_t	 due;
	struct sched_entry *e;	/* valid while e->due == due */
};

struct sched {
	void		*root;	/* tsearch tree of struct sched_entry */
	size_t		 count;
	struct heapent	*heap;
	size_t		 nheap, capheap;
};

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct sched_entry *)a)->id,
	    ((const struct sched_entry *)b)->id);
}

struct sched *
sched_new(void)
{
	return xcalloc(1, sizeof(struct sched));
}

static void
free_entry(void *p)
{
	free(p);
}

void
sched_free(struct sched **sp)
{
	struct sched *s = *sp;

	if (s == NULL)
		return;
	tdestroy(s->root, free_entry);
	free(s->heap);
	free(s);
	*sp = NULL;
}

/* Heap order: due time, then queue id — ids begin with the arrival time,
 * so messages due together are delivered in the order they came. */
static bool
before(const struct heapent *a, const struct heapent *b)
{
	if (a->due != b->due)
		return a->due < b->due;
	if (a->e == NULL || b->e == NULL)
		return a->e == NULL;	/* stale entries first: cheap to drop */
	return strcmp(a->e->id, b->e->id) < 0;
}

static void
heap_push(struct sched *s, struct sched_entry *e)
{
	size_t i;

	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? s->capheap * 2 : 64;
		s->heap = xreallocarray(s->heap, s->capheap, sizeof(*s->heap));
	}
	i = s->nheap++;
	s->heap[i].due = e->due;
	s->heap[i].e = e;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		struct heapent t;
		if (!before(&s->heap[i], &s->heap[parent]))
			break;
		t = s->heap[parent];
		s->heap[parent] = s->heap[i];
		s->heap[i] = t;
		i = parent;
	}
}

static void
heap_pop(struct sched *s)
{
	size_t i = 0;

	s->heap[0] = s->heap[--s->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct heapent t;
		if (l < s->nheap && before(&s->heap[l], &s->heap[m]))
			m = l;
		if (r < s->nheap && before(&s->heap[r], &s->heap[m]))
			m = r;
		if (m == i)
			break;
		t = s->heap[m];
		s->heap[m] = s->heap[i];
		s->heap[i] = t;
		i = m;
	}
}

/* Drops heap tops that no longer match their entry. */
static void
heap_clean(struct sched *s)
{
	while (s->nheap > 0 && (s->heap[0].e == NULL ||
	    s->heap[0].e->due != s->heap[0].due))
		heap_pop(s);
}

static void
heap_forget(struct sched *s, struct sched_entry *e)
{
	for (size_t i = 0; i < s->nheap; i++)
		if (s->heap[i].e == e)
			s->heap[i].e = NULL;
}

void
sched_set(struct sched *s, const char *id, int64_t due)
{
	struct sched_entry key, *e, **found;

	if (strlen(id) != QUEUE_ID_LEN)
		return;
	memcpy(key.id, id, sizeof(key.id));
	found = tfind(&key, &s->root, cmp_entry);
	if (found == NULL) {
		e = xcalloc(1, sizeof(*e));
		memcpy(e->id, id, sizeof(e->id));
		e->due = -1;	/* known, not yet scheduled */
		if (tsearch(e, &s->root, cmp_entry) == NULL)
			abort();
		s->count++;
	} else
		e = *found;
	if (e->due == due && due != -1)
		return;
	e->due = due;
	if (due >= 0)
		heap_push(s, e);
	/* A heap far larger than the queue is mostly stale: rebuild it. */
	if (s->nheap > 64 && s->nheap > 4 * s->count) {
		size_t w = 0;
		for (size_t i = 0; i < s->nheap; i++)
			if (s->heap[i].e && s->heap[i].e->due ==
			    s->heap[i].due)
				s->heap[w++] = s->heap[i];
		s->nheap = 0;
		for (size_t i = 0; i < w; i++) {
			struct heapent h = s->heap[i];
			h.e->due = h.due;
			heap_push(s, h.e);
		}
	}
}

void
sched_remove(struct sched *s, const char *id)
{
	struct sched_entry key, **found, *e;

	if (strlen(id) != QUEUE_ID_LEN)
		return;
	memcpy(key.id, id, sizeof(key.id));
	found = tfind(&key, &s->root, cmp_entry);
	if (found == NULL)
		return;
	e = *found;
	tdelete(&key, &s->root, cmp_entry);
	heap_forget(s, e);
	free(e);
	s->count--;
}

bool
sched_pop_due(struct sched *s, int64_t now, char *id_out)
{
	struct sched_entry *e;

	heap_clean(s);
	if (s->nheap == 0 || s->heap[0].due > now)
		return false;
	e = s->heap[0].e;
	heap_pop(s);
	e->due = -1;
	memcpy(id_out, e->id, QUEUE_ID_LEN + 1);
	return true;
}

int64_t
sched_next(struct sched *s)
{
	heap_clean(s);
	return s->nheap ? s->heap[0].due : -1;
}

struct walk {
	struct sched	*s;
	int64_t		 now;
};

static void
walk_due(const void *node, VISIT which, void *arg)
{
	struct sched_entry *e = *(struct sched_entry *const *)node;
	struct walk *w = arg;

	if (which == postorder || which == leaf) {
		e->due = w->now;
		heap_push(w->s, e);
	}
}

void
sched_all_due(struct sched *s, int64_t now)
{
	struct walk w = { s, now };

	/* Rebuild the heap from the tree: every entry due now. */
	s->nheap = 0;
	twalk_r(s->root, walk_due, &w);
}

size_t
sched_count(const struct sched *s)
{
	return s->count;
}
