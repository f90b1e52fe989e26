/*
 * watch.c: `postern watch`: waits in IMAP IDLE (RFC 2177) for at most
 * --interval, or sleeps that long when the server has no IDLE; then NOOP
 * (RFC 3501 §6.1.2) and a UID FETCH of what is above the highest UID
 * seen; prints a summary line per new message, runs --exec CMD when
 * something arrived (POSTERN_NEW=count in its environment), and retries
 * the outbox each round.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "ua/outbox.h"
#include "ua/source.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
ua_cmd_watch(struct ua_ctx *c)
{
	struct ua_src s;
	unsigned long max_uid = 0;
	char set[64];
	long round;
	size_t got, sent, left;
	int idle;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (c->opt.maildir != NULL || c->opt.pop3) {
		ua_warnx("watch needs IMAP");
		return UA_EXIT_ERR;
	}
	if (ua_src_open(c, 1, &s) == -1) {
		ua_src_close(&s);
		return UA_EXIT_ERR;
	}
	/* The highest UID now: only later mail is "new". */
	if (ua_imap_cmd(s.imap, "UID SEARCH ALL") == 0) {
		size_t i, k;
		for (i = 0; i < ua_imap_nresp(s.imap); i++) {
			const struct ua_imap_resp *r = ua_imap_resp_at(s.imap,
			    i);
			const struct ua_imap_node *root = ua_imap_node(r, 0);
			const struct ua_imap_node *x;
			for (k = 1; (x = ua_imap_child(r, root, k)) != NULL;
			    k++)
				if (strtoul(x->s, NULL, 10) > max_uid)
					max_uid = strtoul(x->s, NULL, 10);
		}
	}
	idle = ua_imap_has_cap(s.imap, "IDLE");
	printf("watching %s every %lds%s\n", c->opt.folder ? c->opt.folder :
	    "INBOX", c->opt.interval, idle ? " (IDLE)" : "");
	fflush(stdout);
	for (round = 0; !stop && (c->opt.count == 0 ||
	    round < c->opt.count); round++) {
		if (round > 0 && idle) {
			if (ua_imap_idle(s.imap, (int)c->opt.interval) == -1) {
				ua_warnx("%s", ua_imap_error(s.imap));
				ua_src_close(&s);
				return UA_EXIT_ERR;
			}
		} else if (round > 0)
			sleep((unsigned)c->opt.interval);
		if (stop)
			break;
		if (c->acct.smtp != NULL && ua_outbox_count(c->acct.outbox)
		    > 0)
			(void)ua_outbox_flush(&c->acct, &sent, &left, 0);
		if (ua_imap_cmd(s.imap, "NOOP") == -1) {
			ua_warnx("%s", ua_imap_error(s.imap));
			ua_src_close(&s);
			return UA_EXIT_ERR;
		}
		snprintf(set, sizeof(set), "%lu:*", max_uid + 1);
		if (ua_imap_summaries(s.imap, set, 1, max_uid + 1, &max_uid,
		    &got) == -1) {
			ua_src_close(&s);
			return UA_EXIT_ERR;
		}
		fflush(stdout);
		if (got > 0 && c->opt.exec != NULL) {
			char n[32];
			snprintf(n, sizeof(n), "%zu", got);
			setenv("POSTERN_NEW", n, 1);
			if (system(c->opt.exec) != 0)
				ua_warnx("--exec: %s failed", c->opt.exec);
		}
	}
	ua_src_close(&s);
	return UA_EXIT_OK;
}
