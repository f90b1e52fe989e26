/*
 * pop3-fill.c: puts messages into a user's INBOX byte for byte, for the
 * POP3 integration tests (no SMTP needed, no header lines added).
 *
 *   pop3-fill -c CONF USER FILE...     appends each FILE ("-": stdin),
 *                                      prints "UIDVALIDITY UID" per file
 *
 * Exit 0 when every message was stored, 1 otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "store/mbox.h"
#include "store/store.h"

static int
slurp(const char *path, struct buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) == -1)
			return -1;
	if (f != stdin)
		fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct store *store;
	struct store_mbox *mbox;
	struct store_mbox_status st;
	const char *errstr;
	char err[CONFIG_ERR_MAX];
	int rc = 0;

	if (argc < 5 || strcmp(argv[1], "-c") != 0) {
		fprintf(stderr, "usage: pop3-fill -c CONF USER FILE...\n");
		return 1;
	}
	if (config_load(argv[2], &cfg, err, sizeof(err)) == -1 ||
	    store_open(&cfg, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (store_mbox_open(store, argv[3], "INBOX", &mbox, &errstr) != 1 ||
	    store_mbox_status(mbox, &st, &errstr) == -1) {
		fprintf(stderr, "%s: no INBOX\n", argv[3]);
		return 1;
	}
	for (int i = 4; i < argc; i++) {
		struct buf b;
		uint32_t uid;

		buf_init(&b, STORE_MSG_MAX);
		if (slurp(argv[i], &b) == -1 ||
		    store_msg_append(mbox, b.data ? b.data : "", b.len, 0, NULL,
		    0, &uid, &errstr) == -1) {
			fprintf(stderr, "%s: cannot store\n", argv[i]);
			rc = 1;
		} else
			printf("%" PRIu32 " %" PRIu32 "\n", st.uidvalidity,
			    uid);
		buf_free(&b);
	}
	store_mbox_close(&mbox);
	store_close(&store);
	config_free(&cfg);
	return rc;
}
