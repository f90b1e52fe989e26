/*
 * ctl.h: posternctl, the admin tool. One file per command family
 * (check.c, user.c, alias.c, queue.c, mailbox.c); main.c only loads the
 * config and dispatches through its table.
 *
 * Exit codes: 0 done, 1 the thing asked for is not there (unknown user,
 * queue id...), 2 usage or config error, 75 (EX_TEMPFAIL) environment error.
 */
#ifndef CTL_CTL_H
#define CTL_CTL_H

#include "lib/config.h"

#define CTL_OK		0
#define CTL_NOTFOUND	1
#define CTL_USAGE	2
#define CTL_TEMPFAIL	75

struct ctl {
	struct config	cfg;
};

/* Each handler gets the words after its own name (argv[0] is the name). */
int ctl_check(struct ctl *ctl, int argc, char **argv);
int ctl_user(struct ctl *ctl, int argc, char **argv);
int ctl_alias(struct ctl *ctl, int argc, char **argv);
int ctl_queue(struct ctl *ctl, int argc, char **argv);
int ctl_mailbox(struct ctl *ctl, int argc, char **argv);

/* Shared by handlers: "not yet implemented" until the command's issue lands. */
int ctl_unimplemented(const char *what);

#endif
