/*
 * test-deliver.c: local delivery: headers prepended, per-destination
 * results for aliases with local and remote members, unknown recipients,
 * loops by Delivered-To, LF messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../store/fixture.h"
#include "deliver/deliver.h"
#include "lib/util.h"
#include "store/account.h"
#include "store/alias.h"
#include "store/mbox.h"

static char *
read_uid(struct fixture *f, const char *user, uint32_t uid)
{
	struct store_mbox *m;
	const char *errstr;
	char buf[4096];
	ssize_t n;
	int fd;

	assert_int_equal(store_mbox_open(f->store, user, "INBOX", &m,
	    &errstr), 1);
	assert_int_equal(store_msg_open(m, uid, &fd, &errstr), 1);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	store_mbox_close(&m);
	return xstrdup(buf);
}

static struct fixture *
setup(void)
{
	struct fixture *f = fixture_new(NULL);
	const char *t[] = { "bob", "alice", "far@remote.test", "bob" };
	const char *loop[] = { "loopy" };
	const char *errstr;

	assert_int_equal(store_user_add(f->store, "bob@example.org", "pw",
	    &errstr), 0);
	assert_int_equal(store_user_add(f->store, "alice@example.org", "pw",
	    &errstr), 0);
	assert_int_equal(store_alias_add(f->store, "team", t, 4, &errstr), 0);
	assert_int_equal(store_alias_add(f->store, "loopy", loop, 1, &errstr),
	    0);
	return f;
}

static void
test_user(void **state)
{
	struct fixture *f = setup();
	struct deliver_report rep;
	const char *msg = "Subject: hi\r\n\r\nbody\r\n";
	char *got;

	(void)state;
	assert_int_equal(deliver_rcpt(f->store, "s@remote.test",
	    "bob+tag@EXAMPLE.org", msg, strlen(msg), &rep), DELIVER_OK);
	assert_int_equal(rep.n, 1);
	assert_string_equal(rep.results[0].address, "bob@example.org");
	assert_int_equal(rep.results[0].status, DELIVER_OK);
	assert_non_null(strstr(rep.results[0].text, "2.0.0"));
	deliver_report_free(&rep);
	got = read_uid(f, "bob@example.org", 1);
	assert_string_equal(got, "Return-Path: <s@remote.test>\r\n"
	    "Delivered-To: bob@example.org\r\nSubject: hi\r\n\r\nbody\r\n");
	free(got);

	/* Null sender; LF message gets LF header lines. */
	msg = "Subject: lf\n\nbody\n";
	assert_int_equal(deliver_rcpt(f->store, "", "bob@example.org", msg,
	    strlen(msg), &rep), DELIVER_OK);
	deliver_report_free(&rep);
	got = read_uid(f, "bob@example.org", 2);
	assert_string_equal(got, "Return-Path: <>\nDelivered-To: "
	    "bob@example.org\nSubject: lf\n\nbody\n");
	free(got);
	fixture_free(f);
}

static void
test_alias_results(void **state)
{
	struct fixture *f = setup();
	struct deliver_report rep;
	const char *msg = "Subject: list\r\n\r\nx\r\n";

	(void)state;
	assert_int_equal(deliver_rcpt(f->store, "s@remote.test",
	    "team@example.org", msg, strlen(msg), &rep), DELIVER_OK);
	assert_int_equal(rep.n, 3);
	assert_string_equal(rep.results[0].address, "bob@example.org");
	assert_int_equal(rep.results[0].status, DELIVER_OK);
	assert_string_equal(rep.results[1].address, "alice@example.org");
	assert_int_equal(rep.results[1].status, DELIVER_OK);
	assert_string_equal(rep.results[2].address, "far@remote.test");
	assert_int_equal(rep.results[2].status, DELIVER_FORWARD);
	deliver_report_free(&rep);
	fixture_free(f);
}

static void
test_failures(void **state)
{
	struct fixture *f = setup();
	struct deliver_report rep;
	enum deliver_status st;
	char text[DELIVER_TEXT_MAX];
	const char *looped = "Delivered-To: bob@example.org\r\n"
	    "Subject: again\r\n\r\nx\r\n";
	const char *msg = "Subject: x\r\n\r\nx\r\n";

	(void)state;
	static const struct {
		const char *rcpt;
		enum deliver_status status;
		const char *code;
	} rows[] = {
		{ "nobody@example.org", DELIVER_PERMFAIL, "5.1.1" },
		{ "loopy@example.org", DELIVER_PERMFAIL, "5.1.1" },
		{ "bad address", DELIVER_PERMFAIL, "5.1.1" },
	};
	for (size_t i = 0; i < nitems(rows); i++) {
		assert_int_equal(deliver_rcpt(f->store, "s@x.test",
		    rows[i].rcpt, msg, strlen(msg), &rep), rows[i].status);
		if (strncmp(rep.text, rows[i].code, 5) != 0)
			fail_msg("row %zu: %s", i, rep.text);
		deliver_report_free(&rep);
	}
	/* A message that was delivered to bob before comes back: loop. */
	assert_int_equal(deliver_rcpt(f->store, "s@x.test", "bob@example.org",
	    looped, strlen(looped), &rep), DELIVER_PERMFAIL);
	assert_int_equal(rep.results[0].status, DELIVER_PERMFAIL);
	assert_non_null(strstr(rep.results[0].text, "5.4.6"));
	deliver_report_free(&rep);
	/* Through the list, only bob's copy loops; alice still gets it. */
	assert_int_equal(deliver_rcpt(f->store, "s@x.test", "team@example.org",
	    looped, strlen(looped), &rep), DELIVER_OK);
	assert_int_equal(rep.results[0].status, DELIVER_PERMFAIL);
	assert_int_equal(rep.results[1].status, DELIVER_OK);
	deliver_report_free(&rep);
	st = deliver_mailbox(f->store, "bad\r\nsender", "bob@example.org",
	    msg, strlen(msg), text);
	assert_int_equal(st, DELIVER_PERMFAIL);
	fixture_free(f);
}

static void
test_quota(void **state)
{
	struct fixture *f = setup();
	struct deliver_report rep;
	const char *errstr, *msg = "Subject: q\r\n\r\n0123456789\r\n";

	(void)state;
	/* Each copy is the message plus ~60 bytes of prepended headers. */
	assert_int_equal(store_user_set_quota(f->store, "bob@example.org",
	    150, &errstr), 1);
	assert_int_equal(deliver_rcpt(f->store, "s@x.test", "bob@example.org",
	    msg, strlen(msg), &rep), DELIVER_OK);
	deliver_report_free(&rep);
	assert_int_equal(deliver_rcpt(f->store, "s@x.test", "bob@example.org",
	    msg, strlen(msg), &rep), DELIVER_OK);
	deliver_report_free(&rep);
	assert_int_equal(deliver_rcpt(f->store, "s@x.test", "bob@example.org",
	    msg, strlen(msg), &rep), DELIVER_TEMPFAIL);
	assert_non_null(strstr(rep.results[0].text, "4.2.2"));
	deliver_report_free(&rep);
	assert_int_equal(store_user_set_quota(f->store, "bob@example.org",
	    0, &errstr), 1);
	assert_int_equal(deliver_rcpt(f->store, "s@x.test", "bob@example.org",
	    msg, strlen(msg), &rep), DELIVER_OK);
	deliver_report_free(&rep);
	assert_int_equal(store_user_set_quota(f->store, "zed@example.org",
	    1, &errstr), 0);
	/* Disabled users still get mail but cannot log in. */
	assert_int_equal(store_user_set_enabled(f->store, "bob@example.org",
	    false, &errstr), 1);
	assert_int_equal(store_user_verify(f->store, "bob@example.org", "pw",
	    NULL, &errstr), 0);
	assert_int_equal(deliver_rcpt(f->store, "s@x.test", "bob@example.org",
	    msg, strlen(msg), &rep), DELIVER_OK);
	deliver_report_free(&rep);
	fixture_free(f);
}

static void
test_cached_handle(void **state)
{
	struct fixture *f = setup();
	struct deliver_report rep;
	struct store_mbox *m;
	struct store_mbox_status s;
	const char *errstr, *msg = "Subject: c\r\n\r\nx\r\n";

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(deliver_rcpt(f->store, "s@x.test",
		    "bob@example.org", msg, strlen(msg), &rep), DELIVER_OK);
		deliver_report_free(&rep);
	}
	/* Deleted and added again: the cached INBOX handle must not write
	 * into the old, moved-aside index. */
	assert_int_equal(store_user_del(f->store, "bob@example.org", &errstr),
	    1);
	assert_int_equal(deliver_rcpt(f->store, "s@x.test", "bob@example.org",
	    msg, strlen(msg), &rep), DELIVER_PERMFAIL);
	deliver_report_free(&rep);
	assert_int_equal(store_user_add(f->store, "bob@example.org", "pw",
	    &errstr), 0);
	assert_int_equal(deliver_rcpt(f->store, "s@x.test", "bob@example.org",
	    msg, strlen(msg), &rep), DELIVER_OK);
	assert_non_null(strstr(rep.results[0].text, "UID 1"));
	deliver_report_free(&rep);
	assert_int_equal(store_mbox_open(f->store, "bob@example.org", "INBOX",
	    &m, &errstr), 1);
	assert_int_equal(store_mbox_status(m, &s, &errstr), 0);
	assert_int_equal(s.exists, 1);
	store_mbox_close(&m);
	fixture_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_alias_results),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_quota),
		cmocka_unit_test(test_cached_handle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
