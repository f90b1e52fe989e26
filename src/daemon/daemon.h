/*
 * daemon.h: posternd's master process (master.c, binds.c).
 */
#ifndef DAEMON_DAEMON_H
#define DAEMON_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/config.h"
#include "lib/listen.h"
#include "lib/role.h"

/* One configured HOST:PORT of one service, bound by the master. */
struct daemon_bind {
	const char	*service;	/* static: "smtp", "imaps", ... */
	const char	*role;		/* static: "smtp", "pop3", "imap" */
	bool		 tls;
	char		*hostport;
	int		 fds[LISTEN_MAX_FDS];
	size_t		 nfds;
};

struct daemon_binds {
	struct daemon_bind	*v;
	size_t			 n;
};

/* Binds every *_listen address of cfg, reusing sockets from old (may be
 * NULL) for addresses bound already (SIGHUP keeps them). On -1 nothing new
 * stays open and err says which address failed. */
int daemon_binds_open(const struct config *cfg, struct daemon_binds *old,
    struct daemon_binds *out, char *err, size_t errlen);
void daemon_binds_close(struct daemon_binds *b);

/* Runs the master until SIGTERM; returns the exit status. Takes ownership
 * of cfg, tls and binds. */
int master_run(struct config *cfg, SSL_CTX *tls, struct daemon_binds *binds);

/* Loads the TLS context for cfg (generating the self-signed pair). */
SSL_CTX *daemon_tls_load(const struct config *cfg, char *err, size_t errlen);

#endif
