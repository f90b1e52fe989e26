/*
 * log.h: one line per event on stderr (style(9) err/errx convention).
 *
 * Every line is "LEVEL ROLE[PID]: message". Lines about a message carry its
 * queue id: log_msg_info(qid, ...) prefixes "qid=ID ". log_warn and fatal add
 * strerror(errno); the x variants do not. fatal/fatalx exit(1); lib code
 * other than the x-allocators never calls them (it returns errors instead).
 */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <stdarg.h>

/* Names the process in every line ("master", "smtp", ...); a static string. */
void log_init(const char *role, int debug);
void log_set_role(const char *role);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, about one queued message. */
void log_msg_info(const char *qid, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_msg_warnx(const char *qid, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
