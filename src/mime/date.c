/*
 * date.c: RFC 5322 dates and IMAP internal dates, parse and format.
 * Calendar arithmetic is done here (days from the civil date) rather than
 * with timegm, so the results do not depend on the process's TZ.
 */
#include "mime/date.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char wdays[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

/* RFC 5322 §4.3 obs-zone. */
static const struct {
	const char	*name;
	int		 minutes;
} zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
	{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
	{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
};

int64_t
mime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

struct cursor {
	const char	*p, *end;
};

static void
skip_cfws(struct cursor *c)
{
	while (c->p < c->end) {
		if (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' ||
		    *c->p == '\n') {
			c->p++;
			continue;
		}
		if (*c->p != '(')
			return;
		{
			int depth = 0;

			for (; c->p < c->end; c->p++) {
				if (*c->p == '\\' && c->p + 1 < c->end)
					c->p++;
				else if (*c->p == '(')
					depth++;
				else if (*c->p == ')' && --depth == 0) {
					c->p++;
					break;
				}
			}
		}
	}
}

/* Reads 1..max digits; -1 when there are none. */
static long
digits(struct cursor *c, int max, int *n_out)
{
	long v = 0;
	int n = 0;

	while (c->p < c->end && n < max && *c->p >= '0' && *c->p <= '9') {
		v = v * 10 + (*c->p++ - '0');
		n++;
	}
	if (n_out != NULL)
		*n_out = n;
	return n > 0 ? v : -1;
}

static int
month_of(const char *s, size_t n)
{
	int i;

	if (n < 3)
		return -1;
	for (i = 0; i < 12; i++)
		if (strncasecmp(s, months[i], 3) == 0)
			return i + 1;
	return -1;
}

static int
date_fail(const char *why, const char **errstr_out)
{
	if (errstr_out != NULL)
		*errstr_out = why;
	return -1;
}

static int
finish(int64_t y, int mon, long day, long hh, long mm, long ss, int tz,
    time_t *t_out, int *tz_out, const char **errstr_out)
{
	int64_t t;

	if (y < 1 || y > 9999 || day < 1 || day > days_in_month((int)y, mon))
		return date_fail("date: day out of range", errstr_out);
	if (hh > 23 || mm > 59 || ss > 60)
		return date_fail("date: time out of range", errstr_out);
	if (ss == 60)
		ss = 59;	/* a leap second: time_t cannot say it */
	t = mime_days_from_civil(y, (unsigned)mon, (unsigned)day) * 86400 +
	    hh * 3600 + mm * 60 + ss - (int64_t)tz * 60;
	*t_out = (time_t)t;
	*tz_out = tz;
	return 0;
}

int
mime_date_parse(const char *s, size_t len, time_t *t_out, int *tz_out,
    const char **errstr_out)
{
	struct cursor c = { s, s + len };
	long day, year, hh, mm, ss = 0;
	int mon, nd, tz = 0;
	const char *w;

	skip_cfws(&c);
	/* [day-of-week ","] */
	if (c.p < c.end && ((*c.p >= 'A' && *c.p <= 'Z') ||
	    (*c.p >= 'a' && *c.p <= 'z'))) {
		w = c.p;
		while (c.p < c.end && ((*c.p | 0x20) >= 'a' &&
		    (*c.p | 0x20) <= 'z'))
			c.p++;
		skip_cfws(&c);
		if (c.p < c.end && *c.p == ',')
			c.p++;
		else if (month_of(w, c.p - w) < 0)
			return date_fail("date: expected ','", errstr_out);
		skip_cfws(&c);
		(void)w;
	}
	if ((day = digits(&c, 2, NULL)) < 0)
		return date_fail("date: expected day", errstr_out);
	skip_cfws(&c);
	if (c.p < c.end && *c.p == '-')
		c.p++;	/* "21-Nov-97", seen in the wild */
	w = c.p;
	while (c.p < c.end && ((*c.p | 0x20) >= 'a' && (*c.p | 0x20) <= 'z'))
		c.p++;
	if ((mon = month_of(w, c.p - w)) < 0 || c.p - w > 9)
		return date_fail("date: expected month", errstr_out);
	skip_cfws(&c);
	if (c.p < c.end && *c.p == '-')
		c.p++;
	if ((year = digits(&c, 4, &nd)) < 0)
		return date_fail("date: expected year", errstr_out);
	/* RFC 5322 §4.3 obs-year. */
	if (nd == 2)
		year += year < 50 ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	skip_cfws(&c);
	if ((hh = digits(&c, 2, NULL)) < 0)
		return date_fail("date: expected hour", errstr_out);
	skip_cfws(&c);
	if (c.p == c.end || *c.p != ':')
		return date_fail("date: expected ':'", errstr_out);
	c.p++;
	skip_cfws(&c);
	if ((mm = digits(&c, 2, NULL)) < 0)
		return date_fail("date: expected minute", errstr_out);
	skip_cfws(&c);
	if (c.p < c.end && *c.p == ':') {
		c.p++;
		skip_cfws(&c);
		if ((ss = digits(&c, 2, NULL)) < 0)
			return date_fail("date: expected second", errstr_out);
		skip_cfws(&c);
	}
	if (c.p < c.end && (*c.p == '+' || *c.p == '-')) {
		int sign = *c.p++ == '-' ? -1 : 1;
		long z = digits(&c, 4, &nd);

		if (nd != 4 || z % 100 > 59)
			return date_fail("date: bad zone", errstr_out);
		tz = sign * (int)(z / 100 * 60 + z % 100);
	} else if (c.p < c.end) {
		size_t i, n;

		w = c.p;
		while (c.p < c.end && ((*c.p | 0x20) >= 'a' &&
		    (*c.p | 0x20) <= 'z'))
			c.p++;
		n = c.p - w;
		for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
			if (strlen(zones[i].name) == n &&
			    strncasecmp(w, zones[i].name, n) == 0)
				break;
		if (i < sizeof(zones) / sizeof(zones[0]))
			tz = zones[i].minutes;
		else if (n == 1 || n == 0)
			tz = 0;	/* military zone or junk: -0000 (§4.3) */
		else
			return date_fail("date: unknown zone", errstr_out);
	}
	return finish(year, mon, day, hh, mm, ss, tz, t_out, tz_out,
	    errstr_out);
}

static int
split(time_t t, int tz, struct tm *tm)
{
	int64_t local = (int64_t)t + (int64_t)tz * 60;
	int64_t days = local / 86400, rem = local % 86400;
	int64_t z, era;
	unsigned doe, yoe, doy, mp;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	tm->tm_hour = (int)(rem / 3600);
	tm->tm_min = (int)(rem / 60 % 60);
	tm->tm_sec = (int)(rem % 60);
	tm->tm_wday = (int)((days % 7 + 11) % 7);	/* 1970-01-01: Thu */
	/* civil_from_days */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_mon = (int)(mp < 10 ? mp + 3 : mp - 9) - 1;
	tm->tm_year = (int)(yoe + era * 400 + (tm->tm_mon <= 1)) - 1900;
	return 0;
}

int
mime_date_format(time_t t, int tz, struct buf *out)
{
	struct tm tm;
	int a = tz < 0 ? -tz : tz;

	split(t, tz, &tm);
	return buf_printf(out, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d",
	    wdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    tz < 0 ? '-' : '+', a / 60, a % 60);
}

int
mime_date_imap_format(time_t t, int tz, struct buf *out)
{
	struct tm tm;
	int a = tz < 0 ? -tz : tz;

	split(t, tz, &tm);
	return buf_printf(out, "%2d-%s-%04d %02d:%02d:%02d %c%02d%02d",
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, tz < 0 ? '-' : '+', a / 60, a % 60);
}

int
mime_date_imap_parse(const char *s, size_t len, time_t *t_out, int *tz_out,
    const char **errstr_out)
{
	struct cursor c = { s, s + len };
	long day, year, hh, mm, ss, z;
	int mon, nd, sign;

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		c.p++;
		c.end--;
	}
	if (c.p < c.end && *c.p == ' ')
		c.p++;
	if ((day = digits(&c, 2, NULL)) < 0 || c.p == c.end || *c.p++ != '-')
		return date_fail("internaldate: bad day", errstr_out);
	if (c.end - c.p < 4 || (mon = month_of(c.p, 3)) < 0 || c.p[3] != '-')
		return date_fail("internaldate: bad month", errstr_out);
	c.p += 4;
	if ((year = digits(&c, 4, &nd)) < 0 || nd != 4 || c.p == c.end ||
	    *c.p++ != ' ')
		return date_fail("internaldate: bad year", errstr_out);
	if ((hh = digits(&c, 2, &nd)) < 0 || nd != 2 || c.p == c.end ||
	    *c.p++ != ':' || (mm = digits(&c, 2, &nd)) < 0 || nd != 2 ||
	    c.p == c.end || *c.p++ != ':' || (ss = digits(&c, 2, &nd)) < 0 ||
	    nd != 2 || c.p == c.end || *c.p++ != ' ')
		return date_fail("internaldate: bad time", errstr_out);
	if (c.p == c.end || (*c.p != '+' && *c.p != '-'))
		return date_fail("internaldate: bad zone", errstr_out);
	sign = *c.p++ == '-' ? -1 : 1;
	if ((z = digits(&c, 4, &nd)) < 0 || nd != 4 || z % 100 > 59 ||
	    c.p != c.end)
		return date_fail("internaldate: bad zone", errstr_out);
	return finish(year, mon, day, hh, mm, ss,
	    sign * (int)(z / 100 * 60 + z % 100), t_out, tz_out, errstr_out);
}
