/*
 * tuijob.c: child commands of the terminal interface (tui.c). The child
 * is this same program running a scriptable subcommand; its output is
 * read through pipes while the screen stays responsive, and its progress
 * pipe (descriptor 3) feeds the status line during long downloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ua/tuijob.h"

#define ERR_MAX		(64 * 1024)

static void
close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

int
ua_job_start(struct ua_job *j, char *const argv[], size_t out_max)
{
	int p[3][2], k, devnull;

	memset(j, 0, sizeof(*j));
	j->pid = -1;
	j->status = -1;
	for (k = 0; k < 3; k++)
		j->fd[k] = -1;
	buf_init(&j->out, out_max);
	buf_init(&j->err, ERR_MAX);
	buf_init(&j->prog, UA_JOB_PROGRESS_LINE);
	for (k = 0; k < 3; k++)
		p[k][0] = p[k][1] = -1;
	for (k = 0; k < 3; k++)
		if (pipe2(p[k], O_CLOEXEC) == -1)
			goto fail;
	if ((j->pid = fork()) == -1)
		goto fail;
	if (j->pid == 0) {
		/* The pipes are all above 2 (stdio is open), so these
		 * dup2 calls cannot clobber one another except at 3,
		 * which is set last. */
		/* A child outliving the interface (a watch in IDLE) is
		 * told to stop when it goes. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if ((devnull = open("/dev/null", O_RDONLY)) != -1)
			dup2(devnull, STDIN_FILENO);
		dup2(p[0][1], STDOUT_FILENO);
		dup2(p[1][1], STDERR_FILENO);
		if (p[2][1] == UA_JOB_PROGRESS_FD)
			(void)fcntl(UA_JOB_PROGRESS_FD, F_SETFD, 0);
		else
			dup2(p[2][1], UA_JOB_PROGRESS_FD);
		execv(argv[0], argv);
		_exit(127);
	}
	for (k = 0; k < 3; k++) {
		close(p[k][1]);
		j->fd[k] = p[k][0];
	}
	return 0;
fail:
	for (k = 0; k < 3; k++) {
		close_fd(&p[k][0]);
		close_fd(&p[k][1]);
	}
	j->pid = -1;
	ua_job_free(j);
	return -1;
}

/* Takes complete "progress DONE TOTAL" lines; 1 when one was new. */
static int
progress_lines(struct ua_job *j, const char *data, size_t len)
{
	int changed = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned long long d, t;
		char tail;

		if (data[i] != '\n') {
			if (j->prog.len + 1 < UA_JOB_PROGRESS_LINE)
				(void)buf_putc(&j->prog, data[i]);
			continue;
		}
		if (sscanf(buf_cstr(&j->prog), "progress %llu %llu%c", &d, &t,
		    &tail) == 2 && d <= t) {
			j->done = (size_t)d;
			j->total = (size_t)t;
			changed = 1;
		}
		buf_reset(&j->prog);
	}
	return changed;
}

static void
reap(struct ua_job *j)
{
	int st;

	if (j->pid <= 0)
		return;
	while (waitpid(j->pid, &st, 0) == -1 && errno == EINTR)
		;
	j->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	j->pid = -1;
}

enum ua_job_event
ua_job_wait(struct ua_job *j, int ms, int also_fd)
{
	struct pollfd p[4];
	char chunk[65536];
	enum ua_job_event ev = UA_JOB_RUNNING;
	int k, r;

	if (j->fd[0] == -1 && j->fd[1] == -1 && j->fd[2] == -1) {
		reap(j);
		if (also_fd == -1)
			return UA_JOB_DONE;
	}
	for (k = 0; k < 3; k++)
		p[k] = (struct pollfd){ j->fd[k], POLLIN, 0 };
	p[3] = (struct pollfd){ also_fd, POLLIN, 0 };
	if ((r = poll(p, 4, ms)) <= 0)
		return UA_JOB_RUNNING;		/* timeout or a signal */
	for (k = 0; k < 3; k++) {
		ssize_t n;

		if (p[k].fd == -1 || p[k].revents == 0)
			continue;
		if ((n = read(p[k].fd, chunk, sizeof(chunk))) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			close_fd(&j->fd[k]);
			continue;
		}
		if (k == 2) {
			if (progress_lines(j, chunk, (size_t)n))
				ev = UA_JOB_PROGRESS;
		} else {
			/* Past its bound the output is cut, not fatal. */
			(void)buf_append(k == 0 ? &j->out : &j->err, chunk,
			    (size_t)n);
			if (ev == UA_JOB_RUNNING)
				ev = UA_JOB_OUTPUT;
		}
	}
	if (ev == UA_JOB_RUNNING && also_fd != -1 && p[3].revents != 0)
		return UA_JOB_INPUT;
	return ev;
}

void
ua_job_free(struct ua_job *j)
{
	int k;

	for (k = 0; k < 3; k++)
		close_fd(&j->fd[k]);
	if (j->pid > 0) {
		/* SIGTERM first; a child blocked in IMAP IDLE may only
		 * notice at its next timeout, so SIGKILL after a second. */
		int i, st;

		kill(j->pid, SIGTERM);
		for (i = 0; i < 20; i++) {
			if (waitpid(j->pid, &st, WNOHANG) == j->pid) {
				j->status = WIFEXITED(st) ? WEXITSTATUS(st) :
				    -1;
				j->pid = -1;
				break;
			}
			usleep(50 * 1000);
		}
		if (j->pid > 0)
			kill(j->pid, SIGKILL);
	}
	reap(j);
	buf_free(&j->out);
	buf_free(&j->err);
	buf_free(&j->prog);
}
