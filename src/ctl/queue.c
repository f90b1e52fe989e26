/*
 * queue.c: posternctl queue ... (its issue fills this in).
 */
#include "ctl/ctl.h"

int
ctl_queue(struct ctl *ctl, int argc, char **argv)
{
	(void)ctl;
	(void)argc;
	(void)argv;
	return ctl_unimplemented("queue");
}
