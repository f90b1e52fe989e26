/*
 * sched.h: when each queued message is due next, in the queue role.
 *
 * A tree of (id, due) plus a min-heap ordered by due with lazy deletion:
 * rescheduling pushes a new heap entry and the stale one is skipped when
 * popped. Memory is one small entry per queued message.
 */
#ifndef QUEUE_SCHED_H
#define QUEUE_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sched;

struct sched *sched_new(void);
void sched_free(struct sched **sp);
/* Sets id's due time (unix seconds), adding it if new. */
void sched_set(struct sched *s, const char *id, int64_t due);
/* Forgets id (it left the queue). */
void sched_remove(struct sched *s, const char *id);
/* Pops one id due at or before now into id_out (QUEUE_ID_LEN + 1 bytes);
 * false when none is due. The id stays known but unscheduled until set. */
bool sched_pop_due(struct sched *s, int64_t now, char *id_out);
/* Earliest due time, or -1 when nothing is scheduled. */
int64_t sched_next(struct sched *s);
/* Makes every known id due at now (queue flush). */
void sched_all_due(struct sched *s, int64_t now);
size_t sched_count(const struct sched *s);

#endif
