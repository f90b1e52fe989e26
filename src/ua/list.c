/*
 * list.c: `postern list` and `postern search`: one summary line per
 * message (summary.h), from IMAP (headers only, BODY.PEEK so nothing is
 * marked seen), POP3 (TOP n 0) or a local Maildir.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "mime/hdr.h"
#include "ua/source.h"
#include "ua/summary.h"

#define LIST_FIELDS	"BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)]"

int
ua_imap_summaries(struct ua_imap *im, const char *set, int uid,
    unsigned long min_uid, unsigned long *max_uid_out, size_t *n_out)
{
	size_t i;

	if (n_out != NULL)
		*n_out = 0;
	if (ua_imap_cmd(im, "%sFETCH %s (UID FLAGS RFC822.SIZE " LIST_FIELDS
	    ")", uid ? "UID " : "", set) == -1) {
		ua_warnx("%s", ua_imap_error(im));
		return -1;
	}
	for (i = 0; i < ua_imap_nresp(im); i++) {
		const struct ua_imap_resp *r = ua_imap_resp_at(im, i);
		const struct ua_imap_node *l, *hdr, *size, *fl, *u;
		unsigned long uidv;
		size_t num;

		if (!ua_imap_fetch_resp(r, &num, &l))
			continue;
		u = ua_imap_fetch_item(r, l, "UID");
		uidv = u != NULL ? strtoul(u->s, NULL, 10) : 0;
		if (uid && uidv < min_uid)
			continue;	/* "UID FETCH n:*" gives the last */
		if (max_uid_out != NULL && uidv > *max_uid_out)
			*max_uid_out = uidv;
		hdr = ua_imap_fetch_item(r, l, "BODY[");
		size = ua_imap_fetch_item(r, l, "RFC822.SIZE");
		fl = ua_imap_fetch_item(r, l, "FLAGS");
		if (hdr == NULL || size == NULL)
			continue;	/* an unsolicited FETCH (flags) */
		ua_summary_print(num, ua_imap_flags(r, fl),
		    hdr->type == UA_IMAP_STRING ? hdr->s : "",
		    hdr->type == UA_IMAP_STRING ? hdr->len : 0,
		    strtoull(size->s, NULL, 10));
		if (n_out != NULL)
			(*n_out)++;
	}
	return 0;
}

static int
pop3_list(struct ua_src *s)
{
	struct buf hdr;
	size_t n;
	int rc = 0;

	buf_init(&hdr, UA_MSG_MAX);
	for (n = 1; n <= s->count && rc == 0; n++) {
		unsigned long long size;

		if (ua_pop3_cmd(s->pop3, 0, NULL, "LIST %zu", n) == -1 ||
		    sscanf(ua_pop3_text(s->pop3), "%*u %llu", &size) != 1) {
			ua_warnx("%s", ua_pop3_error(s->pop3));
			rc = -1;
			break;
		}
		buf_reset(&hdr);
		/* RFC 1939 §7: TOP is optional; fall back to RETR. */
		if (ua_pop3_cmd(s->pop3, 1, &hdr, "TOP %zu 0", n) == -1 &&
		    ua_src_whole(s, n, &hdr) == -1) {
			rc = -1;
			break;
		}
		ua_summary_print(n, 0, hdr.data ? hdr.data : "", hdr.len,
		    size);
	}
	buf_free(&hdr);
	return rc;
}

static int
maildir_list(struct ua_src *s)
{
	struct buf msg;
	size_t n, pos;
	struct mime_hdr_field f;
	int rc = 0;

	buf_init(&msg, UA_MSG_MAX);
	for (n = 1; n <= s->count; n++) {
		buf_reset(&msg);
		if (ua_src_whole(s, n, &msg) == -1) {
			rc = -1;
			continue;
		}
		pos = 0;
		while (mime_hdr_scan(msg.data ? msg.data : "", msg.len, &pos,
		    &f) == 1)
			;
		ua_summary_print(n, s->md[n - 1].flags, buf_cstr(&msg), pos,
		    s->md[n - 1].size);
	}
	buf_free(&msg);
	return rc;
}

int
ua_cmd_list(struct ua_ctx *c)
{
	struct ua_src s;
	int rc;

	if (ua_src_open(c, 1, &s) == -1) {
		ua_src_close(&s);
		return UA_EXIT_ERR;
	}
	if (s.count == 0)
		rc = 0;
	else if (s.kind == UA_SRC_IMAP)
		rc = ua_imap_summaries(s.imap, "1:*", 0, 0, NULL, NULL);
	else if (s.kind == UA_SRC_POP3)
		rc = pop3_list(&s);
	else
		rc = maildir_list(&s);
	fflush(stdout);
	ua_src_close(&s);
	if (rc == -1)
		return UA_EXIT_ERR;
	return s.count == 0 ? UA_EXIT_NONE : UA_EXIT_OK;
}

/* Appends an IMAP astring argument (quoted). */
static void
arg(struct buf *b, const char *key, const char *v)
{
	buf_printf(b, " %s ", key);
	ua_imap_quote(v, b);
}

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* --since accepts YYYY-MM-DD or the IMAP form 1-Feb-2026. */
static int
imap_date(const char *s, char *out, size_t len)
{
	static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, m, d;

	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12 &&
	    d >= 1 && d <= 31) {
		snprintf(out, len, "%d-%s-%04d", d, mon[m - 1], y);
		return 0;
	}
	if (strspn(s, "0123456789-ADFJMNOSTabceghilnoprtuvy") == strlen(s) &&
	    strlen(s) < len) {
		snprintf(out, len, "%s", s);
		return 0;
	}
	return -1;
}

int
ua_cmd_search(struct ua_ctx *c)
{
	struct ua_opts *o = &c->opt;
	struct ua_src s;
	struct buf crit, set;
	char date[32];
	size_t i, k, found = 0;
	unsigned long first = 0, last = 0;
	int rc = UA_EXIT_ERR;

	if (o->maildir != NULL || o->pop3) {
		ua_warnx("search needs IMAP");
		return UA_EXIT_ERR;
	}
	buf_init(&crit, 64 * 1024);
	buf_init(&set, 1024 * 1024);
	for (i = 0; i < o->nargs; i++)
		arg(&crit, "TEXT", o->args[i]);
	if (o->from != NULL)
		arg(&crit, "FROM", o->from);
	if (o->subject != NULL)
		arg(&crit, "SUBJECT", o->subject);
	if (o->since != NULL) {
		if (imap_date(o->since, date, sizeof(date)) == -1) {
			ua_warnx("--since: expected YYYY-MM-DD");
			goto out;
		}
		buf_printf(&crit, " SINCE %s", date);
	}
	if (o->nargs == 0 && o->from == NULL && o->subject == NULL &&
	    o->since == NULL)
		buf_puts(&crit, " ALL");
	if (ua_src_open(c, 1, &s) == -1)
		goto close;
	if (s.count == 0) {
		rc = UA_EXIT_NONE;
		goto close;
	}
	/* Non-ASCII criteria need CHARSET; plain ASCII works everywhere. */
	if (ua_imap_cmd(s.imap, "SEARCH%s%s", is_ascii(buf_cstr(&crit)) ? "" :
	    " CHARSET UTF-8", buf_cstr(&crit)) == -1) {
		ua_warnx("%s", ua_imap_error(s.imap));
		goto close;
	}
	for (i = 0; i < ua_imap_nresp(s.imap); i++) {
		const struct ua_imap_resp *r = ua_imap_resp_at(s.imap, i);
		const struct ua_imap_node *root = ua_imap_node(r, 0), *x;

		if (r->status != NULL || !ua_imap_node_is(ua_imap_child(r,
		    root, 0), "SEARCH"))
			continue;
		for (k = 1; (x = ua_imap_child(r, root, k)) != NULL; k++) {
			unsigned long v;
			if (x->type != UA_IMAP_ATOM ||
			    (v = strtoul(x->s, NULL, 10)) == 0)
				continue;
			/* RFC 3501 §9 sequence-set: runs become "a:b" */
			if (found > 0 && v == last + 1) {
				last = v;
				continue;
			}
			if (found > 0 && last != first)
				buf_printf(&set, ":%lu", last);
			buf_printf(&set, "%s%lu", found ? "," : "", v);
			first = last = v;
			found++;
		}
	}
	if (found > 0 && last != first)
		buf_printf(&set, ":%lu", last);
	if (found == 0)
		rc = UA_EXIT_NONE;
	else
		rc = ua_imap_summaries(s.imap, buf_cstr(&set), 0, 0, NULL,
		    NULL) == 0 ?
		    UA_EXIT_OK : UA_EXIT_ERR;
close:
	fflush(stdout);
	ua_src_close(&s);
out:
	buf_free(&crit);
	buf_free(&set);
	return rc;
}
