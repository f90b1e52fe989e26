/*
 * test-batch.c: batched delivery (group commit): staged messages are
 * invisible until the commit, all visible after it, and discarded without
 * a trace when the batch is freed uncommitted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../store/fixture.h"
#include "deliver/deliver.h"
#include "lib/util.h"
#include "store/account.h"
#include "store/alias.h"
#include "store/mbox.h"

static uint32_t
exists(struct fixture *f, const char *user)
{
	struct store_mbox_status st;
	struct store_mbox *m;
	const char *errstr;

	assert_int_equal(store_mbox_open(f->store, user, "INBOX", &m,
	    &errstr), 1);
	assert_int_equal(store_mbox_status(m, &st, &errstr), 0);
	store_mbox_close(&m);
	return st.exists;
}

static int
tmp_files(struct fixture *f, const char *user)
{
	struct store_mbox *m;
	const char *errstr;
	struct dirent *e;
	char *path;
	DIR *d;
	int n = 0;

	assert_int_equal(store_mbox_open(f->store, user, "INBOX", &m,
	    &errstr), 1);
	path = xasprintf("%s/tmp", store_mbox_dir(m));
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	free(path);
	store_mbox_close(&m);
	return n;
}

static struct fixture *
setup(void)
{
	struct fixture *f = fixture_new(NULL);
	const char *t[] = { "bob", "alice", "far@remote.test" };
	const char *errstr;

	assert_int_equal(store_user_add(f->store, "bob@example.org", "pw",
	    &errstr), 0);
	assert_int_equal(store_user_add(f->store, "alice@example.org", "pw",
	    &errstr), 0);
	assert_int_equal(store_alias_add(f->store, "team", t, 3, &errstr), 0);
	return f;
}

static void
test_commit_makes_all_visible(void **state)
{
	struct fixture *f = setup();
	struct deliver_batch *b = deliver_batch_new(f->store);
	struct deliver_report rep;
	const char *msg = "Subject: batch\r\n\r\nbody\r\n";
	const char *errstr;

	(void)state;
	for (uint64_t i = 0; i < 30; i++) {
		assert_int_equal(deliver_batch_rcpt(b, i, "s@remote.test",
		    i % 2 ? "bob@example.org" : "alice@example.org", msg,
		    strlen(msg), &rep), DELIVER_OK);
		deliver_report_free(&rep);
	}
	/* an alias: two local members staged, the remote one forwarded */
	assert_int_equal(deliver_batch_rcpt(b, 99, "s@remote.test",
	    "team@example.org", msg, strlen(msg), &rep), DELIVER_OK);
	assert_int_equal(rep.n, 3);
	assert_int_equal(rep.results[2].status, DELIVER_FORWARD);
	deliver_report_free(&rep);
	assert_int_equal(exists(f, "bob@example.org"), 0);	/* staged only */
	assert_int_equal(tmp_files(f, "bob@example.org"), 16);
	assert_false(deliver_batch_ok(b, 1));
	assert_int_equal(deliver_batch_commit(b, &errstr), 0);
	assert_true(deliver_batch_ok(b, 1));
	assert_true(deliver_batch_ok(b, 99));
	assert_int_equal(exists(f, "bob@example.org"), 16);
	assert_int_equal(exists(f, "alice@example.org"), 16);
	assert_int_equal(tmp_files(f, "bob@example.org"), 0);
	deliver_batch_free(&b);
	assert_int_equal(exists(f, "bob@example.org"), 16);
	fixture_free(f);
}

static void
test_uncommitted_batch_leaves_nothing(void **state)
{
	struct fixture *f = setup();
	struct deliver_batch *b = deliver_batch_new(f->store);
	struct deliver_report rep;
	const char *msg = "Subject: gone\r\n\r\nbody\r\n";

	(void)state;
	assert_int_equal(deliver_batch_rcpt(b, 1, "s@remote.test",
	    "bob@example.org", msg, strlen(msg), &rep), DELIVER_OK);
	deliver_report_free(&rep);
	assert_int_equal(deliver_batch_rcpt(b, 2, "s@remote.test",
	    "nobody@example.org", msg, strlen(msg), &rep), DELIVER_PERMFAIL);
	deliver_report_free(&rep);
	assert_int_equal(tmp_files(f, "bob@example.org"), 1);
	deliver_batch_free(&b);
	assert_int_equal(tmp_files(f, "bob@example.org"), 0);
	assert_int_equal(exists(f, "bob@example.org"), 0);
	fixture_free(f);
}

static void
test_many_mailboxes_beyond_the_handle_cache(void **state)
{
	struct fixture *f = fixture_new(NULL);
	struct deliver_batch *b = deliver_batch_new(f->store);
	struct deliver_report rep;
	const char *msg = "Subject: many\r\n\r\nbody\r\n";
	const char *errstr;
	char user[64];

	(void)state;
	for (int i = 0; i < 20; i++) {
		snprintf(user, sizeof(user), "u%d@example.org", i);
		assert_int_equal(store_user_add(f->store, user, "pw", &errstr),
		    0);
	}
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 20; i++) {
			snprintf(user, sizeof(user), "u%d@example.org", i);
			assert_int_equal(deliver_batch_rcpt(b, (uint64_t)i,
			    "s@remote.test", user, msg, strlen(msg), &rep),
			    DELIVER_OK);
			deliver_report_free(&rep);
		}
	assert_int_equal(deliver_batch_commit(b, &errstr), 0);
	for (int i = 0; i < 20; i++) {
		snprintf(user, sizeof(user), "u%d@example.org", i);
		assert_true(deliver_batch_ok(b, (uint64_t)i));
		assert_int_equal(exists(f, user), 2);
	}
	deliver_batch_free(&b);
	fixture_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commit_makes_all_visible),
		cmocka_unit_test(test_uncommitted_batch_leaves_nothing),
		cmocka_unit_test(test_many_mailboxes_beyond_the_handle_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
