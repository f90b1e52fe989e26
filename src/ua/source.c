/*
 * source.c: message sources of `postern` (see source.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "ua/source.h"
#include "ua/summary.h"

int
ua_src_open(struct ua_ctx *c, int readonly, struct ua_src *s)
{
	char err[1024];
	long n;

	memset(s, 0, sizeof(*s));
	if (c->opt.maildir != NULL) {
		s->kind = UA_SRC_MAILDIR;
		if ((n = ua_maildir_scan(c->opt.maildir, &s->md)) < 0) {
			ua_warnx("%s: cannot read", c->opt.maildir);
			return -1;
		}
		s->count = (size_t)n;
		return 0;
	}
	if (c->opt.pop3 || (c->acct.imap == NULL && c->acct.pop3 != NULL)) {
		s->kind = UA_SRC_POP3;
		if ((s->pop3 = ua_pop3_open(&c->acct, err, sizeof(err)))
		    == NULL) {
			ua_warnx("%s", err);
			return -1;
		}
		if (ua_pop3_cmd(s->pop3, 0, NULL, "STAT") == -1) {
			ua_warnx("%s", ua_pop3_error(s->pop3));
			return -1;
		}
		s->count = strtoul(ua_pop3_text(s->pop3), NULL, 10);
		return 0;
	}
	s->kind = UA_SRC_IMAP;
	if ((s->imap = ua_imap_open(&c->acct, err, sizeof(err))) == NULL) {
		ua_warnx("%s", err);
		return -1;
	}
	/* --progress-fd: the terminal interface shows long downloads */
	if (c->opt.progress_fd > 0)
		ua_imap_set_progress(s->imap, (int)c->opt.progress_fd);
	if (ua_imap_select(s->imap, c->opt.folder, readonly, &s->count)
	    == -1) {
		ua_warnx("%s: %s", c->opt.folder ? c->opt.folder : "INBOX",
		    ua_imap_error(s->imap));
		return -1;
	}
	return 0;
}

void
ua_src_close(struct ua_src *s)
{
	if (s->imap != NULL)
		ua_imap_close(&s->imap);
	if (s->pop3 != NULL)
		(void)ua_pop3_quit(&s->pop3);
	if (s->md != NULL)
		ua_maildir_free(s->md, (long)s->count);
	s->md = NULL;
}

int
ua_src_number(const struct ua_src *s, const char *arg, size_t *n_out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*arg == '\0' || *end != '\0' || v == 0 || v > s->count) {
		ua_warnx("no message %s (there %s %zu)", arg,
		    s->count == 1 ? "is" : "are", s->count);
		return -1;
	}
	*n_out = v;
	return 0;
}

int
ua_src_whole(struct ua_src *s, size_t n, struct buf *out)
{
	size_t i;

	switch (s->kind) {
	case UA_SRC_MAILDIR:
		if (ua_file_read(s->md[n - 1].path, out) == -1) {
			ua_warnx("%s: cannot read", s->md[n - 1].path);
			return -1;
		}
		return 0;
	case UA_SRC_POP3:
		if (ua_pop3_cmd(s->pop3, 1, out, "RETR %zu", n) == -1) {
			ua_warnx("%s", ua_pop3_error(s->pop3));
			return -1;
		}
		return 0;
	case UA_SRC_IMAP:
		if (ua_imap_cmd(s->imap, "FETCH %zu BODY.PEEK[]", n) == -1) {
			ua_warnx("%s", ua_imap_error(s->imap));
			return -1;
		}
		for (i = 0; i < ua_imap_nresp(s->imap); i++) {
			const struct ua_imap_resp *r = ua_imap_resp_at(s->imap,
			    i);
			const struct ua_imap_node *l, *v;
			size_t num;

			if (ua_imap_fetch_resp(r, &num, &l) && num == n &&
			    (v = ua_imap_fetch_item(r, l, "BODY[")) != NULL &&
			    v->type == UA_IMAP_STRING)
				return buf_append(out, v->s, v->len);
		}
		ua_warnx("message %zu: no body in the reply", n);
		return -1;
	}
	return -1;
}

unsigned
ua_imap_flags(const struct ua_imap_resp *r, const struct ua_imap_node *fl)
{
	unsigned f = UA_MSG_NEW;
	size_t i;
	const struct ua_imap_node *x;

	for (i = 0; (x = ua_imap_child(r, fl, i)) != NULL; i++) {
		if (ua_imap_node_is(x, "\\Seen"))
			f &= ~(unsigned)UA_MSG_NEW;
		else if (ua_imap_node_is(x, "\\Answered"))
			f |= UA_MSG_ANSWERED;
		else if (ua_imap_node_is(x, "\\Flagged"))
			f |= UA_MSG_FLAGGED;
	}
	return f;
}
