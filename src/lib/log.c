/*
 * log.c: line-per-event logging to stderr.
 *
 * The role name is process state set once at start (log_init) and after
 * fork (log_set_role); it is the only mutable state here and it is per
 * process. Each line is formatted into one buffer and written with a single
 * write(2) so that lines from several processes sharing stderr never mix.
 */
#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static const char *log_role = "postern";
static int log_debug_on;

void
log_init(const char *role, int debug)
{
	log_role = role;
	log_debug_on = debug;
}

void
log_set_role(const char *role)
{
	log_role = role;
}

static void
vlog(const char *level, const char *qid, int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n;
	int r;

	r = snprintf(line, sizeof(line), "%s %s[%ld]: ", level, log_role,
	    (long)getpid());
	n = r < 0 ? 0 : (size_t)r;
	if (qid != NULL && n < sizeof(line)) {
		r = snprintf(line + n, sizeof(line) - n, "qid=%s ", qid);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n < sizeof(line)) {
		r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		n += r < 0 ? 0 : (size_t)r;
	}
	if (errnum != 0 && n < sizeof(line)) {
		r = snprintf(line + n, sizeof(line) - n, ": %s", strerror(errnum));
		n += r < 0 ? 0 : (size_t)r;
	}
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* Control characters from peers never reach the log as such. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

#define LOGFN(name, level, err)                         \
	void name(const char *fmt, ...)                 \
	{                                               \
		int saved = errno;                      \
		va_list ap;                             \
		va_start(ap, fmt);                      \
		vlog(level, NULL, err ? saved : 0, fmt, ap); \
		va_end(ap);                             \
		errno = saved;                          \
	}

LOGFN(log_info, "info", 0)
LOGFN(log_warn, "warn", 1)
LOGFN(log_warnx, "warn", 0)

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	vlog("debug", NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_msg_info(const char *qid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("info", qid, 0, fmt, ap);
	va_end(ap);
}

void
log_msg_warnx(const char *qid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warn", qid, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", NULL, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", NULL, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
