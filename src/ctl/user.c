/*
 * user.c: posternctl user ... (its issue fills this in).
 */
#include "ctl/ctl.h"

int
ctl_user(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argc;
	(void)argv;
	return ctl_unimplemented("user");
}
