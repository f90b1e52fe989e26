/*
 * units.c: parsing of config durations, sizes and ports (see units.h).
 */
#include "lib/units.h"

#include <ctype.h>
#include <stddef.h>

/* Reads the leading decimal digits; -1 when there are none or they overflow. */
static int
digits(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return 0;
}

static int
scaled(const char *s, const char *suffixes, const uint64_t *mult,
    uint64_t limit, uint64_t *out, const char **errstr_out)
{
	uint64_t v, m = 1;

	if (digits(&s, &v) == -1) {
		*errstr_out = "expected a number";
		return -1;
	}
	if (*s != '\0') {
		size_t i;
		for (i = 0; suffixes[i] != '\0'; i++)
			if (*s == suffixes[i])
				break;
		if (suffixes[i] == '\0' || s[1] != '\0') {
			*errstr_out = "unknown unit suffix";
			return -1;
		}
		m = mult[i];
	}
	if (v > limit / m) {
		*errstr_out = "value too large";
		return -1;
	}
	*out = v * m;
	return 0;
}

int
units_duration_parse(const char *s, int64_t *out, const char **errstr_out)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };
	uint64_t v;

	/* Ten years is far past any sane timer and keeps time_t math safe. */
	if (scaled(s, "smhd", mult, 10ULL * 366 * 86400, &v, errstr_out) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int
units_size_parse(const char *s, uint64_t *out, const char **errstr_out)
{
	static const uint64_t mult[] = { 1024, 1024 * 1024, 1024 * 1024 * 1024 };

	return scaled(s, "KMG", mult, 1ULL << 50, out, errstr_out);
}

int
units_port_parse(const char *s, uint16_t *out, const char **errstr_out)
{
	uint64_t v;

	if (digits(&s, &v) == -1 || *s != '\0') {
		*errstr_out = "bad port";
		return -1;
	}
	if (v == 0 || v > 65535) {
		*errstr_out = "port out of range";
		return -1;
	}
	*out = (uint16_t)v;
	return 0;
}
