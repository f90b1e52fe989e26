/*
 * binds.c: the master's listening sockets, one entry per configured address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "lib/log.h"
#include "lib/util.h"

/* Every listening service: which config key, which role serves it, and
 * whether TLS starts with the first byte. */
static const struct {
	const char	*service;
	size_t		 off;
	const char	*role;
	bool		 tls;
} services[] = {
#define L(f) offsetof(struct config, f)
	{ "smtp",	 L(smtp_listen),	"smtp", false },
	{ "submission",	 L(submission_listen),	"smtp", false },
	{ "submissions", L(submissions_listen),	"smtp", true },
	{ "pop3",	 L(pop3_listen),	"pop3", false },
	{ "pop3s",	 L(pop3s_listen),	"pop3", true },
	{ "imap",	 L(imap_listen),	"imap", false },
	{ "imaps",	 L(imaps_listen),	"imap", true },
#undef L
};

static struct daemon_bind *
find(struct daemon_binds *b, const char *service, const char *hostport)
{
	if (b == NULL)
		return NULL;
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].nfds > 0 && strcmp(b->v[i].service, service) == 0 &&
		    strcmp(b->v[i].hostport, hostport) == 0)
			return &b->v[i];
	return NULL;
}

int
daemon_binds_open(const struct config *cfg, struct daemon_binds *old,
    struct daemon_binds *out, char *err, size_t errlen)
{
	struct daemon_binds nb = { NULL, 0 };
	char why[CONFIG_ERR_MAX];

	for (size_t s = 0; s < nitems(services); s++) {
		const struct config_list *l = (const struct config_list *)
		    ((const char *)cfg + services[s].off);
		for (size_t i = 0; i < l->n; i++) {
			struct daemon_bind *b, *prev;

			nb.v = xreallocarray(nb.v, nb.n + 1, sizeof(*nb.v));
			b = &nb.v[nb.n];
			memset(b, 0, sizeof(*b));
			b->service = services[s].service;
			b->role = services[s].role;
			b->tls = services[s].tls;
			b->hostport = xstrdup(l->items[i]);
			nb.n++;
			if ((prev = find(old, b->service, b->hostport)) != NULL) {
				/* Hand the socket over; old forgets it. */
				memcpy(b->fds, prev->fds, sizeof(b->fds));
				b->nfds = prev->nfds;
				prev->nfds = 0;
				continue;
			}
			if (find(&nb, b->service, b->hostport) != NULL) {
				snprintf(err, errlen, "%s_listen: %s listed "
				    "twice", b->service, b->hostport);
				goto fail;
			}
			if (listen_open(b->hostport, b->fds, &b->nfds, why,
			    sizeof(why)) == -1) {
				snprintf(err, errlen, "%s_listen: %s",
				    b->service, why);
				goto fail;
			}
		}
	}
	*out = nb;
	return 0;
fail:
	/* Give reused sockets back to old; close only what we opened. */
	for (size_t i = 0; i < nb.n; i++) {
		struct daemon_bind *b = &nb.v[i];
		struct daemon_bind *prev = NULL;
		if (old != NULL)
			for (size_t j = 0; j < old->n; j++)
				if (old->v[j].nfds == 0 &&
				    strcmp(old->v[j].service, b->service) == 0 &&
				    strcmp(old->v[j].hostport, b->hostport) == 0)
					prev = &old->v[j];
		if (prev != NULL && b->nfds > 0) {
			memcpy(prev->fds, b->fds, sizeof(b->fds));
			prev->nfds = b->nfds;
			b->nfds = 0;
		}
	}
	daemon_binds_close(&nb);
	return -1;
}

void
daemon_binds_close(struct daemon_binds *b)
{
	for (size_t i = 0; i < b->n; i++) {
		for (size_t j = 0; j < b->v[i].nfds; j++)
			close(b->v[i].fds[j]);
		free(b->v[i].hostport);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}
