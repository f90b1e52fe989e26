/*
 * smtpd.h: the smtp role process — serves smtp_listen (the MTA's port 25
 * role), submission_listen (STARTTLS, AUTH before MAIL) and
 * submissions_listen (implicit TLS), one session engine (session.h) per
 * connection, queue files written through the spool's group commit.
 */
#ifndef SMTPD_SMTPD_H
#define SMTPD_SMTPD_H

#include "lib/role.h"

/* Connections one client address may hold at once; more get a 421. */
#define SMTPD_PER_IP_MAX	64
/* Free space kept in data_dir beyond a message's declared size. */
#define SMTPD_SPACE_RESERVE	(64ULL * 1024 * 1024)
/* Seconds sessions get to finish after SIGTERM before the role exits. */
#define SMTPD_STOP_GRACE	5

int smtpd_role_main(const struct role_env *env);

#endif
