/*
 * pop3d.h: the POP3 role process (role.c): serves pop3_listen (plain text
 * with STLS) and pop3s_listen (implicit TLS) with one libevent loop.
 */
#ifndef POP3D_POP3D_H
#define POP3D_POP3D_H

#include "lib/role.h"

/* Runs the pop3 role until SIGTERM; returns the exit status. */
int pop3d_role_main(const struct role_env *env);

#endif
