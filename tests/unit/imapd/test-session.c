/*
 * test-session.c: runs the IMAP session engine through the transcripts in
 * the .chat files in tests/proto/imapd, without a network (STYLE §7). Each transcript
 * gets a fresh store in a temporary data dir with the user
 * bob@example.org (password "secret word").
 *
 * Lines:  C: text      the client sends text CRLF
 *         S: text      the next line the server sends is exactly text
 *         S* prefix    the next line starts with prefix
 *         M: subject   a message is delivered to bob's INBOX
 *         P:           the glue polls the session (IDLE updates)
 *         !plaintext=no / !tls=yes   session settings (before any C:)
 *         # comment
 * After the last line nothing more may have been sent.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "imapd/session.h"
#include "lib/buf.h"
#include "lib/config.h"
#include "store/account.h"
#include "store/mbox.h"
#include "store/store.h"

#define PROTO_DIR "tests/proto/imapd"

struct chat {
	const char		*file;
	struct config		 cfg;
	struct store		*store;
	struct imapd_session	*s;
	struct imapd_settings	 set;
	char			 dir[64];
	struct buf		 pending;	/* output not yet matched */
	int			 lineno;
};

static void
run_engine(struct chat *c)
{
	struct buf *out = imapd_session_output(c->s);

	(void)imapd_session_run(c->s);
	buf_append(&c->pending, out->data ? out->data : "", out->len);
	buf_reset(out);
}

static void
setup(struct chat *c)
{
	char conf[256], err[256];
	const char *e = NULL;

	strcpy(c->dir, "/tmp/imapd-chat-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(conf, sizeof(conf), "hostname = imap.test\ndomains = "
	    "example.org\ndata_dir = %s\n", c->dir);
	assert_int_equal(config_parse(conf, strlen(conf), "chat", c->dir,
	    &c->cfg, err, sizeof(err)), 0);
	assert_int_equal(store_open(&c->cfg, &c->store, err, sizeof(err)), 0);
	if (store_user_add(c->store, "bob@example.org", "secret word", &e) ==
	    -1)
		fail_msg("user add: %s", e);
	memset(&c->set, 0, sizeof(c->set));
	c->set.hostname = "imap.test";
	c->set.plaintext_ok = true;
	c->set.starttls = true;
	c->set.peer = "test";
	buf_init(&c->pending, 1 << 24);
}

static void
deliver(struct chat *c, const char *subject)
{
	struct store_mbox *mbox;
	const char *err;
	char msg[512];

	snprintf(msg, sizeof(msg), "From: alice@example.net\r\nTo: "
	    "bob@example.org\r\nSubject: %s\r\n\r\nHello %s\r\n", subject,
	    subject);
	assert_int_equal(store_mbox_open(c->store, "bob@example.org", "INBOX",
	    &mbox, &err), 1);
	assert_int_equal(store_msg_append(mbox, msg, strlen(msg), 0, NULL,
	    1600000000, NULL, &err), 0);
	store_mbox_close(&mbox);
}

/* Takes the next output line (without CRLF) into line. */
static bool
next_out(struct chat *c, char *line, size_t len)
{
	char *eol = memchr(c->pending.data ? c->pending.data : "", '\n',
	    c->pending.len);
	size_t n;

	if (eol == NULL)
		return false;
	n = (size_t)(eol - c->pending.data);
	if (n > 0 && c->pending.data[n - 1] == '\r')
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(line, c->pending.data, n);
	line[n] = '\0';
	buf_consume(&c->pending, (size_t)(eol - c->pending.data) + 1);
	return true;
}

static int
run_chat(const char *path)
{
	struct chat c;
	FILE *fp = fopen(path, "r");
	char line[8192], got[8192], cmd[256];
	int failed = 0;

	assert_non_null(fp);
	memset(&c, 0, sizeof(c));
	c.file = path;
	setup(&c);
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strcspn(line, "\r\n");

		line[len] = '\0';
		c.lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] == '!') {
			if (strcmp(line, "!plaintext=no") == 0)
				c.set.plaintext_ok = false;
			else if (strcmp(line, "!tls=yes") == 0)
				c.set.tls = true;
			continue;
		}
		if (c.s == NULL) {
			c.s = imapd_session_new(&c.set, c.store);
			imapd_session_greet(c.s);
			run_engine(&c);
		}
		if (strncmp(line, "C: ", 3) == 0) {
			struct buf in;

			buf_init(&in, sizeof(line) + 2);
			buf_printf(&in, "%s\r\n", line + 3);
			/* one byte at a time: the engine must not care */
			for (size_t i = 0; i < in.len; i++) {
				imapd_session_push(c.s, in.data + i, 1);
				run_engine(&c);
			}
			buf_free(&in);
		} else if (strncmp(line, "M: ", 3) == 0) {
			deliver(&c, line + 3);
		} else if (strcmp(line, "P:") == 0) {
			imapd_session_poll(c.s);
			run_engine(&c);
		} else if (strncmp(line, "S: ", 3) == 0 ||
		    strncmp(line, "S* ", 3) == 0) {
			bool prefix = line[1] == '*';

			if (!next_out(&c, got, sizeof(got))) {
				print_error("%s:%d: no output, want '%s'\n",
				    path, c.lineno, line + 3);
				failed = 1;
				break;
			}
			if (prefix ? strncmp(got, line + 3, strlen(line + 3))
			    != 0 : strcmp(got, line + 3) != 0) {
				print_error("%s:%d: got '%s' want '%s'\n", path,
				    c.lineno, got, line + 3);
				failed = 1;
				break;
			}
		} else {
			print_error("%s:%d: bad line\n", path, c.lineno);
			failed = 1;
			break;
		}
	}
	if (!failed && c.pending.len > 0) {
		print_error("%s: unexpected output '%.*s'\n", path,
		    (int)c.pending.len, c.pending.data);
		failed = 1;
	}
	fclose(fp);
	imapd_session_free(&c.s);
	store_close(&c.store);
	config_free(&c.cfg);
	buf_free(&c.pending);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c.dir);
	if (system(cmd) != 0)
		print_error("cannot remove %s\n", c.dir);
	return failed;
}

static void
test_chats(void **state)
{
	DIR *d = opendir(PROTO_DIR);
	struct dirent *de;
	int failed = 0, n = 0;
	char path[512];

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".chat") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", PROTO_DIR, de->d_name);
		failed |= run_chat(path);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
