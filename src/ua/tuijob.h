/*
 * tuijob.h: a child `postern` command run by the terminal interface, with
 * its stdout and stderr captured and an optional progress pipe on the
 * child's descriptor 3 (`--progress-fd 3`: "progress DONE TOTAL" lines
 * written while a large IMAP literal arrives).
 */
#ifndef UA_TUIJOB_H
#define UA_TUIJOB_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"

#define UA_JOB_PROGRESS_FD	3
#define UA_JOB_PROGRESS_LINE	128	/* longest progress line kept */

enum ua_job_event {
	UA_JOB_RUNNING,		/* nothing new before the time ran out */
	UA_JOB_PROGRESS,	/* done/total changed */
	UA_JOB_OUTPUT,		/* more stdout or stderr bytes */
	UA_JOB_INPUT,		/* the extra descriptor is readable */
	UA_JOB_DONE,		/* every pipe closed and the child reaped */
};

struct ua_job {
	pid_t		 pid;		/* -1 once reaped */
	int		 fd[3];		/* stdout, stderr, progress; -1 closed */
	struct buf	 out, err;	/* captured, bounded */
	struct buf	 prog;		/* partial progress line */
	size_t		 done, total;	/* last progress report */
	int		 status;	/* exit code, -1 when killed */
};

/*
 * Starts argv[0] with argv, stdin from /dev/null. out_max bounds what
 * stdout may hold. 0, or -1 (nothing started, j freed).
 */
int ua_job_start(struct ua_job *j, char *const argv[], size_t out_max);

/*
 * Waits up to ms milliseconds (-1: forever) for the child's output, or
 * for also_fd (-1: none) to become readable. Returns a UA_JOB_* event;
 * after UA_JOB_DONE, j->status holds the exit code.
 */
enum ua_job_event ua_job_wait(struct ua_job *j, int ms, int also_fd);

/* Stops a running child (SIGTERM, then SIGKILL after a second), reaps
 * it and frees the buffers. */
void ua_job_free(struct ua_job *j);

#endif
