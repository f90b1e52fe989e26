/*
 * date.h: RFC 5322 §3.3 date-time (with the obsolete forms of §4.3) and the
 * IMAP INTERNALDATE form (RFC 3501 §9 date-time).
 *
 * A date is a time_t (UTC seconds) plus the zone it was written in, in
 * minutes east of UTC, so that formatting gives back the writer's zone.
 */
#ifndef MIME_DATE_H
#define MIME_DATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"

/*
 * Parses "[Day,] DD Mon YYYY HH:MM[:SS] zone" with comments and folding
 * white space anywhere between tokens, two- and three-digit years (§4.3:
 * 00-49 are 2000-2049, 50-999 add 1900), the obsolete zone names (UT, GMT,
 * EST...) and military letters (taken as -0000, as §4.3 advises). A missing
 * zone is taken as +0000. The day of the week is not checked against the
 * date. Returns 0 with *t_out and *tz_out set, or -1 with *errstr_out.
 */
/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
int64_t mime_days_from_civil(int64_t y, unsigned m, unsigned d);
int mime_date_parse(const char *s, size_t len, time_t *t_out, int *tz_out,
    const char **errstr_out);
/* Appends "Fri, 21 Nov 1997 09:55:06 -0600"; 0, or -1 when out is full. */
int mime_date_format(time_t t, int tz, struct buf *out);

/*
 * IMAP date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day space-padded or one
 * or two digits), with or without the surrounding double quotes.
 * Returns 0 or -1 with *errstr_out, as mime_date_parse.
 */
int mime_date_imap_parse(const char *s, size_t len, time_t *t_out,
    int *tz_out, const char **errstr_out);
/* Appends "21-Nov-1997 09:55:06 -0600" (no quotes; day space-padded). */
int mime_date_imap_format(time_t t, int tz, struct buf *out);

#endif
