/*
 * local.c: local delivery from the queue. The store issue provides the
 * mailbox side; until it lands, local recipients are deferred (kept in the
 * queue and retried), never dropped.
 */
#include "queue/local.h"

#include <stdlib.h>

#include "lib/util.h"

struct queue_local {
	const struct config	*cfg;
};

struct queue_local *
queue_local_new(const struct config *cfg, char *err, size_t errlen)
{
	struct queue_local *l = xcalloc(1, sizeof(*l));

	(void)err;
	(void)errlen;
	l->cfg = cfg;
	return l;
}

void
queue_local_free(struct queue_local **lp)
{
	free(*lp);
	*lp = NULL;
}

enum queue_local_result
queue_local_deliver(struct queue_local *l, const struct queue_envelope *env,
    size_t i, int fd, off_t off, off_t size, char **error_out)
{
	(void)l;
	(void)env;
	(void)i;
	(void)fd;
	(void)off;
	(void)size;
	*error_out = xstrdup("local delivery is not available yet");
	return QUEUE_LOCAL_TEMPFAIL;
}
