/*
 * received.c: the Received: field (see received.h).
 */
#include "smtpd/received.h"

#include <string.h>

int
smtpd_date_format(struct buf *out, time_t when)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL || tm.tm_wday < 0 ||
	    tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	return buf_printf(out, "%s, %d %s %d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
smtpd_received_format(struct buf *out, const struct smtpd_received *r)
{
	size_t mark = out->len;
	/* TCP-info (§4.4): an IPv6 address literal carries its tag. */
	const char *tag = strchr(r->peer_addr, ':') ? "IPv6:" : "";

	if (buf_printf(out, "Received: from %s (", r->helo) == -1)
		goto full;
	if (r->peer_name != NULL && r->peer_name[0] != '\0' &&
	    buf_printf(out, "%s ", r->peer_name) == -1)
		goto full;
	if (buf_printf(out, "[%s%s])\r\n\tby %s (Postern) with %s",
	    tag, r->peer_addr, r->hostname, r->protocol) == -1)
		goto full;
	if (r->queue_id != NULL && r->queue_id[0] != '\0' &&
	    buf_printf(out, " id %s", r->queue_id) == -1)
		goto full;
	if (r->rcpt != NULL && buf_printf(out, "\r\n\tfor <%s>", r->rcpt) == -1)
		goto full;
	if (buf_puts(out, ";\r\n\t") == -1 ||
	    smtpd_date_format(out, r->when) == -1 ||
	    buf_puts(out, "\r\n") == -1)
		goto full;
	return 0;
full:
	buf_truncate(out, mark);
	return -1;
}
