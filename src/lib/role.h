/*
 * role.h: what the master hands a role process (smtp, queue, pop3, imap).
 *
 * The master reads the config, loads TLS and binds every listener before it
 * forks; a role process gets this environment, already running as the
 * unprivileged user when one is configured, and runs its own event loop
 * until SIGTERM. A role's main returns the process exit status.
 */
#ifndef LIB_ROLE_H
#define LIB_ROLE_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "lib/config.h"
#include "lib/server.h"
#include "lib/syncshare.h"

struct role_env {
	const char		*role;		/* "smtp", "queue", ... */
	const struct config	*cfg;
	SSL_CTX			*tls;		/* server context, never NULL */
	struct server_listener	*listeners;	/* this role's sockets */
	size_t			 nlisteners;
	struct syncshare	*sync;		/* file-system syncs, shared */
};

typedef int (*role_main_fn)(const struct role_env *env);

#endif
