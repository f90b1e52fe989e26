/*
 * imapd_session.c: fuzz the IMAP session engine in each state. A store
 * with one user and a few messages is made once in a temporary folder;
 * the first input byte picks the state the session starts in (not
 * authenticated, authenticated, selected, IDLE) and the rest is the
 * client's bytes, pushed in chunks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imapd/session.h"
#include "lib/config.h"
#include "lib/log.h"
#include "store/account.h"
#include "store/mbox.h"
#include "store/store.h"

static struct config cfg;
static struct store *store;
static char dir[] = "/tmp/imapd-fuzz-XXXXXX";

static void
cleanup(void)
{
	char cmd[64];

	store_close(&store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char conf[256], err[256];
	const char *e;
	struct store_mbox *mbox;
	static const char msg[] = "From: a@example.net\r\nSubject: hi\r\n"
	    "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n"
	    "one\r\n--x\r\nContent-Type: message/rfc822\r\n\r\nSubject: in"
	    "\r\n\r\ntwo\r\n--x--\r\n";

	(void)argc;
	(void)argv;
	log_init("fuzz", 0);
	if (mkdtemp(dir) == NULL)
		abort();
	atexit(cleanup);
	snprintf(conf, sizeof(conf), "domains = example.org\ndata_dir = %s\n",
	    dir);
	if (config_parse(conf, strlen(conf), "fuzz", dir, &cfg, err,
	    sizeof(err)) == -1 || store_open(&cfg, &store, err,
	    sizeof(err)) == -1 || store_user_add(store, "bob@example.org",
	    "pw", &e) == -1)
		abort();
	if (store_mbox_open(store, "bob@example.org", "INBOX", &mbox,
	    &e) != 1)
		abort();
	for (int i = 0; i < 3; i++)
		store_msg_append(mbox, msg, sizeof(msg) - 1, i, NULL, 0, NULL,
		    &e);
	store_mbox_close(&mbox);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const prefix[] = { "", "", "s SELECT INBOX\r\n",
	    "s SELECT INBOX\r\ni IDLE\r\n" };
	struct imapd_settings set = { .hostname = "fuzz.test",
	    .starttls = true, .plaintext_ok = true, .append_max = 1 << 20,
	    .peer = "fuzz" };
	struct imapd_session *s;
	size_t off = 1, chunk;
	unsigned state;

	if (size < 1)
		return 0;
	state = data[0] & 3;
	chunk = (data[0] >> 2) + 1;
	s = imapd_session_new(&set, store);
	if (state > 0)
		imapd_session_preauth(s, "bob@example.org");
	imapd_session_push(s, prefix[state], strlen(prefix[state]));
	while (imapd_session_run(s) == IMAPD_ACT_NONE && off < size) {
		size_t n = size - off < chunk ? size - off : chunk;

		off += imapd_session_push(s, data + off, n);
		buf_reset(imapd_session_output(s));
		if (data[0] & 0x80)
			imapd_session_poll(s);
	}
	imapd_session_free(&s);
	return 0;
}
