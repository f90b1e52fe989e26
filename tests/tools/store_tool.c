/*
 * store_tool.c: drives the store from integration tests and the bench.
 *
 *   store_tool -c CONF deliver SENDER RCPT COUNT TAG [SIZE]
 *       delivers COUNT messages of about SIZE bytes (default 5120), each
 *       with "X-Seq: TAG-i"; prints "TAG-i UID" per delivered copy.
 *   store_tool -c CONF list USER FOLDER      "uid flags modseq file"
 *   store_tool -c CONF status USER FOLDER    "uidvalidity uidnext exists"
 *   store_tool -c CONF churn USER FOLDER MAXUID SECONDS
 *       for SECONDS: expunges messages with UID <= MAXUID one at a time
 *       and toggles \Seen and \Flagged on the others.
 *   store_tool -c CONF sync USER FOLDER
 *   store_tool -c CONF expand ADDRESS        "local|remote ADDRESS" lines
 *   store_tool -c CONF rcpt ADDRESS          "user", "alias" or "unknown"
 *
 * Exit 0 when everything worked, 1 otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "lib/config.h"
#include "lib/util.h"
#include "store/alias.h"
#include "store/mbox.h"
#include "store/store.h"

static int
cmd_deliver(struct store *store, int argc, char **argv)
{
	struct deliver_report rep;
	size_t size = argc > 5 ? strtoul(argv[5], NULL, 10) : 5120;
	char *body, *msg;
	int bad = 0;

	if (argc < 5)
		return 1;
	body = xmalloc(size + 1);
	for (size_t i = 0; i < size; i++)
		body[i] = (i % 72 == 71) ? '\n' : (char)('a' + i % 26);
	body[size] = '\0';
	for (long i = 0; i < atol(argv[3]); i++) {
		msg = xasprintf("From: %s\r\nTo: %s\r\nSubject: test %s-%ld\r\n"
		    "X-Seq: %s-%ld\r\n\r\n%s\r\n", argv[1], argv[2], argv[4], i,
		    argv[4], i, body);
		deliver_rcpt(store, argv[1], argv[2], msg, strlen(msg), &rep);
		for (size_t j = 0; j < rep.n; j++) {
			const char *u = strstr(rep.results[j].text, "UID ");
			printf("%s-%ld %s %s\n", argv[4], i,
			    rep.results[j].address, u ? u + 4 : "-");
		}
		if (rep.status != DELIVER_OK) {
			fprintf(stderr, "%s\n", rep.text);
			for (size_t j = 0; j < rep.n; j++)
				fprintf(stderr, "  %s: %s\n",
				    rep.results[j].address,
				    rep.results[j].text);
			bad = 1;
		}
		deliver_report_free(&rep);
		free(msg);
	}
	free(body);
	return bad;
}

static int
open_mbox(struct store *store, char **argv, struct store_mbox **mbox)
{
	const char *errstr;

	if (store_mbox_open(store, argv[1], argv[2], mbox, &errstr) != 1) {
		fprintf(stderr, "open %s %s failed\n", argv[1], argv[2]);
		return -1;
	}
	return 0;
}

static int
cmd_list(struct store *store, int argc, char **argv)
{
	struct store_mbox *mbox;
	struct store_msg_iter *it;
	const struct store_msg *m;
	const char *errstr;
	int r;

	if (argc != 3 || open_mbox(store, argv, &mbox) == -1)
		return 1;
	if (store_msg_iter_new(mbox, 1, 0, 0, &it, &errstr) == -1)
		return 1;
	while ((r = store_msg_iter_next(it, &m, &errstr)) == 1)
		printf("%" PRIu32 " %u %" PRIu64 " %s\n", m->uid, m->flags,
		    m->modseq, m->file);
	store_msg_iter_free(&it);
	store_mbox_close(&mbox);
	return r == -1;
}

static int
cmd_status(struct store *store, int argc, char **argv)
{
	struct store_mbox_status s;
	struct store_mbox *mbox;
	const char *errstr;
	int r;

	if (argc != 3 || open_mbox(store, argv, &mbox) == -1)
		return 1;
	r = store_mbox_status(mbox, &s, &errstr);
	if (r == 0)
		printf("%u %u %u %" PRIu64 "\n", s.uidvalidity, s.uidnext,
		    s.exists, s.highestmodseq);
	store_mbox_close(&mbox);
	return r == -1;
}

static int
cmd_churn(struct store *store, int argc, char **argv)
{
	struct store_mbox *mbox;
	const char *errstr;
	uint32_t maxuid, next = 1;
	time_t end;
	long flagged = 0, expunged = 0;

	if (argc != 5 || open_mbox(store, argv, &mbox) == -1)
		return 1;
	maxuid = (uint32_t)strtoul(argv[3], NULL, 10);
	end = time(NULL) + atol(argv[4]);
	while (time(NULL) < end || next <= maxuid) {
		struct store_mbox_status s;
		if (store_mbox_status(mbox, &s, &errstr) == -1)
			goto fail;
		if (next <= maxuid) {
			if (store_msg_flags(mbox, next, STORE_FLAGS_ADD,
			    STORE_FLAG_DELETED, NULL, NULL, &errstr) == -1 ||
			    store_msg_expunge(mbox, next, &errstr) == -1)
				goto fail;
			next++;
			expunged++;
		}
		if (s.uidnext > maxuid + 1) {
			uint32_t u = maxuid + 1 + arc4random_uniform(
			    s.uidnext - maxuid - 1);
			if (store_msg_flags(mbox, u, (arc4random() & 1) ?
			    STORE_FLAGS_ADD : STORE_FLAGS_REMOVE,
			    STORE_FLAG_SEEN | STORE_FLAG_FLAGGED, "$label1",
			    NULL, &errstr) == -1)
				goto fail;
			flagged++;
		}
		usleep(2000);
	}
	printf("expunged %ld flagged %ld\n", expunged, flagged);
	store_mbox_close(&mbox);
	return 0;
fail:
	fprintf(stderr, "churn: %s\n", errstr);
	store_mbox_close(&mbox);
	return 1;
}

static int
cmd_sync(struct store *store, int argc, char **argv)
{
	struct store_mbox *mbox;
	const char *errstr;
	bool changed;
	int r;

	if (argc != 3 || open_mbox(store, argv, &mbox) == -1)
		return 1;
	r = store_mbox_sync(mbox, &changed, &errstr);
	if (r == -1)
		fprintf(stderr, "sync: %s\n", errstr);
	else
		printf("%s\n", changed ? "changed" : "unchanged");
	store_mbox_close(&mbox);
	return r == -1;
}

static int
cmd_expand(struct store *store, int argc, char **argv)
{
	struct store_expansion exp;
	const char *errstr;
	int r;

	if (argc != 2)
		return 1;
	r = store_expand(store, argv[1], &exp, &errstr);
	if (r == -1) {
		fprintf(stderr, "expand: %s\n", errstr);
		return 1;
	}
	if (r == 0) {
		printf("unknown\n");
		return 0;
	}
	for (size_t i = 0; i < exp.n; i++)
		printf("%s %s\n", exp.dests[i].kind == STORE_DEST_LOCAL ?
		    "local" : "remote", exp.dests[i].address);
	printf("unknown=%zu loops=%zu truncated=%d\n", exp.nunknown,
	    exp.nloops, exp.truncated);
	store_expansion_free(&exp);
	return 0;
}

static int
cmd_rcpt(struct store *store, int argc, char **argv)
{
	enum store_rcpt_kind kind;
	const char *errstr;
	int r;

	if (argc != 2)
		return 1;
	r = store_rcpt_lookup(store, argv[1], &kind, &errstr);
	if (r == -1)
		return 1;
	printf("%s\n", r == 0 ? "unknown" : kind == STORE_RCPT_USER ?
	    "user" : "alias");
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char *name;
		int (*fn)(struct store *, int, char **);
	} cmds[] = {
		{ "deliver", cmd_deliver }, { "list", cmd_list },
		{ "status", cmd_status }, { "churn", cmd_churn },
		{ "sync", cmd_sync }, { "expand", cmd_expand },
		{ "rcpt", cmd_rcpt },
	};
	char err[CONFIG_ERR_MAX];
	struct config cfg;
	struct store *store;
	int r = 1;

	/* Line by line: a test that kills this process knows exactly
	 * which deliveries it was told about. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 4 || strcmp(argv[1], "-c") != 0) {
		fprintf(stderr, "usage: store_tool -c CONF COMMAND ...\n");
		return 1;
	}
	if (config_load(argv[2], &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (store_open(&cfg, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (size_t i = 0; i < nitems(cmds); i++)
		if (strcmp(argv[3], cmds[i].name) == 0)
			r = cmds[i].fn(store, argc - 3, argv + 3);
	store_close(&store);
	config_free(&cfg);
	return r;
}
