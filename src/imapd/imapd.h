/*
 * imapd.h: the IMAP4 role process (RFC 3501), started by posternd's master.
 */
#ifndef IMAPD_IMAPD_H
#define IMAPD_IMAPD_H

#include "lib/role.h"

/* Serves imap_listen (plain, STARTTLS) and imaps_listen (implicit TLS)
 * until SIGTERM; returns the exit status. */
int imapd_role_main(const struct role_env *env);

#endif
