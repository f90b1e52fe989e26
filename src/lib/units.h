/*
 * units.h: durations and sizes as the config file writes them.
 *
 * Durations: a whole number with an optional suffix s, m, h or d (none means
 * seconds): "15m", "5d", "0". Sizes: a whole number with an optional K, M or
 * G (powers of 1024; none means bytes): "25M". Overflow and junk are errors.
 */
#ifndef LIB_UNITS_H
#define LIB_UNITS_H

#include <stdint.h>

/* 0 and the value in seconds, or -1 with *errstr_out set. */
int units_duration_parse(const char *s, int64_t *out, const char **errstr_out);
/* 0 and the value in bytes, or -1 with *errstr_out set. */
int units_size_parse(const char *s, uint64_t *out, const char **errstr_out);
/* A TCP port 1-65535. */
int units_port_parse(const char *s, uint16_t *out, const char **errstr_out);

#endif
