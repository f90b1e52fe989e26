/*
 * test-maildrop.c: the POP3 maildrop against a real store in a temporary
 * data_dir: locking, listing with CRLF-form sizes, UPDATE (expunge and
 * \Seen), the pop3_expire record and policy (expire.h), leave on server
 * and the login delay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/config.h"
#include "pop3d/expire.h"
#include "pop3d/maildrop.h"
#include "store/account.h"
#include "store/mbox.h"
#include "store/store.h"

#define USER "bob@example.org"

struct env {
	char		 dir[64];
	struct config	 cfg;
	struct store	*store;
	struct store_mbox *inbox;	/* for appending and checking */
	uint32_t	 uid[3];
};

static const char *const msgs[3] = {
	"Subject: crlf\r\n\r\nbody\r\n",		/* 23 octets as is */
	"Subject: lf\n\nbody\n",			/* 18 + 3 CRs */
	"Subject: open\r\n\r\nno end",			/* 23 + CRLF */
};
static const uint64_t sizes[3] = { 23, 21, 25 };

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[CONFIG_ERR_MAX];
	const char *errstr;
	static const char conf[] = "data_dir = data\ndomains = example.org\n";

	snprintf(e->dir, sizeof(e->dir), "/tmp/pop3d-test-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	assert_int_equal(config_parse(conf, sizeof(conf) - 1, "t.conf", e->dir,
	    &e->cfg, err, sizeof(err)), 0);
	assert_int_equal(store_open(&e->cfg, &e->store, err, sizeof(err)), 0);
	assert_int_equal(store_user_add(e->store, USER, "pw", &errstr), 0);
	assert_int_equal(store_mbox_open(e->store, USER, "INBOX", &e->inbox,
	    &errstr), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_msg_append(e->inbox, msgs[i],
		    strlen(msgs[i]), 0, NULL, 0, &e->uid[i], &errstr), 0);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	store_mbox_close(&e->inbox);
	store_close(&e->store);
	config_free(&e->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

static int
open_opts(struct env *e, const struct pop3d_maildrop_opts *o,
    struct pop3d_maildrop **md, struct pop3d_msginfo **m, size_t *n)
{
	const char *errstr;
	uint32_t uv;

	switch (pop3d_maildrop_open(e->store, NULL, USER, o, md, m, n, &uv,
	    &errstr)) {
	case POP3D_AUTH_OK:
		return 1;
	case POP3D_AUTH_INUSE:
		return 0;
	case POP3D_AUTH_DELAY:
		return 2;
	default:
		return -1;
	}
}

static int
open_md(struct env *e, int expire_days, struct pop3d_maildrop **md,
    struct pop3d_msginfo **m, size_t *n)
{
	struct pop3d_maildrop_opts o = { .expire_days = expire_days };

	return open_opts(e, &o, md, m, n);
}

/* The INBOX's UIDs and whether each is \Seen, as IMAP sees them. */
static size_t
inbox(struct env *e, uint32_t *uids, bool *seen)
{
	struct store_msg_iter *it;
	const struct store_msg *sm;
	const char *errstr;
	size_t n = 0;

	assert_int_equal(store_msg_iter_new(e->inbox, 1, 0, 0, &it, &errstr),
	    0);
	while (store_msg_iter_next(it, &sm, &errstr) == 1) {
		uids[n] = sm->uid;
		seen[n++] = (sm->flags & STORE_FLAG_SEEN) != 0;
	}
	store_msg_iter_free(&it);
	return n;
}

static void
test_leave_on_server(void **state)
{
	struct env *e = *state;
	struct pop3d_maildrop_opts o = { .expire_days = -1,
	    .leave_on_server = true };
	struct pop3d_maildrop *md;
	struct pop3d_msginfo *m;
	const char *errstr;
	uint32_t uids[3];
	bool seen[3];
	size_t n;

	/* Message 1 retrieved and deleted, 2 deleted unread, 3 retrieved. */
	assert_int_equal(open_opts(e, &o, &md, &m, &n), 1);
	assert_int_equal(n, 3);
	uint32_t dele[2] = { e->uid[0], e->uid[1] }, ret[1] = { e->uid[2] };
	assert_int_equal(pop3d_maildrop_update(md, dele, 2, ret, 1, &errstr),
	    0);
	pop3d_maildrop_close(&md);
	free(m);
	/* IMAP still has all three, read. */
	assert_int_equal(inbox(e, uids, seen), 3);
	for (int i = 0; i < 3; i++)
		assert_true(seen[i]);
	/* POP3 lists only the one not deleted, in either mode now. */
	assert_int_equal(open_opts(e, &o, &md, &m, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].uid, e->uid[2]);
	pop3d_maildrop_close(&md);
	free(m);
	assert_int_equal(open_md(e, -1, &md, &m, &n), 1);
	assert_int_equal(n, 1);
	/* Delete mode: a DELE expunges. */
	uint32_t last[1] = { e->uid[2] };
	assert_int_equal(pop3d_maildrop_update(md, last, 1, NULL, 0,
	    &errstr), 0);
	pop3d_maildrop_close(&md);
	free(m);
	assert_int_equal(inbox(e, uids, seen), 2);
	/* pop3_expire still applies to hidden mail: EXPIRE 0 removes it. */
	assert_int_equal(open_md(e, 0, &md, &m, &n), 1);
	assert_int_equal(n, 0);
	pop3d_maildrop_close(&md);
	free(m);
	assert_int_equal(inbox(e, uids, seen), 0);
}

static void
test_login_delay(void **state)
{
	struct env *e = *state;
	struct pop3d_maildrop_opts o = { .expire_days = -1,
	    .login_delay_s = 60 };
	struct pop3d_maildrop *md;
	struct pop3d_msginfo *m;
	size_t n;

	assert_int_equal(open_opts(e, &o, &md, &m, &n), 1);
	pop3d_maildrop_close(&md);
	free(m);
	/* Too soon; and a refused try does not restart the wait. */
	assert_int_equal(open_opts(e, &o, &md, &m, &n), 2);
	assert_null(md);
	assert_int_equal(open_opts(e, &o, &md, &m, &n), 2);
	/* Without a delay the same user gets in at once. */
	assert_int_equal(open_md(e, -1, &md, &m, &n), 1);
	pop3d_maildrop_close(&md);
	free(m);
	o.login_delay_s = 1;
	sleep(2);
	assert_int_equal(open_opts(e, &o, &md, &m, &n), 1);
	pop3d_maildrop_close(&md);
	free(m);
}

static void
test_lock_and_list(void **state)
{
	struct env *e = *state;
	struct pop3d_maildrop *a = NULL, *b = NULL;
	struct pop3d_msginfo *m = NULL, *m2 = NULL;
	size_t n, n2;

	assert_int_equal(open_md(e, -1, &a, &m, &n), 1);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(m[i].uid, e->uid[i]);
		assert_int_equal(m[i].size, sizes[i]);
	}
	/* RFC 1939 §8: one session per maildrop. */
	assert_int_equal(open_md(e, -1, &b, &m2, &n2), 0);
	assert_null(b);
	pop3d_maildrop_close(&a);
	assert_null(a);
	assert_int_equal(open_md(e, -1, &b, &m2, &n2), 1);
	assert_int_equal(n2, 3);
	pop3d_maildrop_close(&b);
	free(m);
	free(m2);
}

static void
test_update(void **state)
{
	struct env *e = *state;
	struct pop3d_maildrop *md;
	struct pop3d_msginfo *m;
	struct store_msg_iter *it;
	const struct store_msg *sm;
	const char *errstr;
	size_t n;
	int fd;

	assert_int_equal(open_md(e, -1, &md, &m, &n), 1);
	assert_int_equal(pop3d_maildrop_msg_open(md, e->uid[1], &fd, &errstr),
	    1);
	close(fd);
	/* A message already gone counts as deleted. */
	uint32_t dele[2] = { e->uid[0], 999 }, seen[1] = { e->uid[2] };
	assert_int_equal(pop3d_maildrop_update(md, dele, 2, seen, 1, &errstr),
	    0);
	pop3d_maildrop_close(&md);
	free(m);
	assert_int_equal(store_msg_iter_new(e->inbox, 1, 0, 0, &it, &errstr),
	    0);
	assert_int_equal(store_msg_iter_next(it, &sm, &errstr), 1);
	assert_int_equal(sm->uid, e->uid[1]);
	assert_int_equal(sm->flags & STORE_FLAG_SEEN, 0);
	assert_int_equal(store_msg_iter_next(it, &sm, &errstr), 1);
	assert_int_equal(sm->uid, e->uid[2]);
	assert_int_not_equal(sm->flags & STORE_FLAG_SEEN, 0);
	assert_int_equal(store_msg_iter_next(it, &sm, &errstr), 0);
	store_msg_iter_free(&it);
}

static void
test_expire(void **state)
{
	struct env *e = *state;
	struct pop3d_maildrop *md;
	struct pop3d_msginfo *m;
	struct store_mbox_status st;
	const char *errstr;
	size_t n;
	uint32_t seen[2] = { e->uid[0], e->uid[1] };

	/* Without expiry nothing is recorded and nothing goes. */
	assert_int_equal(open_md(e, -1, &md, &m, &n), 1);
	assert_int_equal(pop3d_maildrop_update(md, NULL, 0, seen, 2, &errstr),
	    0);
	pop3d_maildrop_close(&md);
	free(m);
	assert_int_equal(open_md(e, 0, &md, &m, &n), 1);
	assert_int_equal(n, 3);
	/* Retrieved now, kept for 5 days: still there on the next login. */
	assert_int_equal(pop3d_maildrop_update(md, NULL, 0, seen, 2, &errstr),
	    0);
	pop3d_maildrop_close(&md);
	free(m);
	assert_int_equal(open_md(e, 5, &md, &m, &n), 1);
	assert_int_equal(n, 3);
	pop3d_maildrop_close(&md);
	free(m);
	/* Six days later (the record is backdated), message 1 goes; 2 was
	 * retrieved a day ago and stays; 3 was never retrieved. */
	assert_int_equal(store_mbox_status(e->inbox, &st, &errstr), 0);
	struct pop3d_retrieved old[2] = {
		{ e->uid[0], time(NULL) - 6 * 86400, false },
		{ e->uid[1], time(NULL) - 1 * 86400, false },
	};
	assert_int_equal(pop3d_retrieved_save(store_mbox_dir(e->inbox),
	    st.uidvalidity, old, 2), 0);
	assert_int_equal(open_md(e, 5, &md, &m, &n), 1);
	assert_int_equal(n, 2);
	assert_int_equal(m[0].uid, e->uid[1]);
	assert_int_equal(m[1].uid, e->uid[2]);
	pop3d_maildrop_close(&md);
	free(m);
	/* EXPIRE 0: retrieved mail goes at the next login. */
	assert_int_equal(open_md(e, 0, &md, &m, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].uid, e->uid[2]);
	pop3d_maildrop_close(&md);
	free(m);
}

static void
test_record_text(void **state)
{
	static const struct {
		const char	*text;
		size_t		 n;	/* entries parsed for UIDVALIDITY 7 */
	} rows[] = {
		{ "postern-pop3-retrieved 1 7\n", 0 },
		{ "postern-pop3-retrieved 1 7\n5 100\n3 200\n", 2 },
		{ "postern-pop3-retrieved 1 8\n5 100\n", 0 },	/* other UV */
		{ "postern-pop3-retrieved 3 7\n5 100\n", 0 },	/* version */
		{ "postern-pop3-retrieved 2 7\n5 100\n3 1 hidden\n", 2 },
		{ "postern-pop3-retrieved 1 7\n3 1 hidden\n", 0 },
		{ "postern-pop3-retrieved 2 7\n3 1 hiddenx\n", 0 },
		{ "postern-pop3-retrieved 2 7\n3 1 \n", 0 },
		{ "postern-pop3-retrieved 1 7\n5 100", 0 },	/* no LF */
		{ "postern-pop3-retrieved 1 7\n5  100\n", 0 },
		{ "postern-pop3-retrieved 1 7\n0 100\n", 0 },	/* UID 0 */
		{ "postern-pop3-retrieved 1 7\n4294967296 1\n", 0 },
		{ "postern-pop3-retrieved 1 7\n5 -1\n", 0 },
		{ "postern-pop3-retrieved 1 7\n5 99999999999999999999\n", 0 },
		{ "postern-pop3-retrieved 1 7\n5 100\n5 50\n3 1\n", 2 },
		{ "", 0 },
		{ "junk", 0 },
	};
	struct pop3d_retrieved *v, back[2] = {
	    { 3, 200, false }, { 5, 100, false } };
	size_t n, len;
	char *text;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		pop3d_retrieved_parse(rows[i].text, strlen(rows[i].text), 7,
		    &v, &n);
		if (n != rows[i].n)
			fail_msg("row %zu: %zu entries", i, n);
		free(v);
	}
	pop3d_retrieved_parse(rows[1].text, strlen(rows[1].text), 7, &v, &n);
	assert_int_equal(v[0].uid, 3);		/* sorted */
	assert_non_null(pop3d_retrieved_find(v, n, 5));
	assert_null(pop3d_retrieved_find(v, n, 4));
	free(v);
	pop3d_retrieved_parse(rows[14].text, strlen(rows[14].text), 7, &v, &n);
	assert_int_equal(v[1].uid, 5);
	assert_int_equal(v[1].when, 50);	/* the first retrieval */
	free(v);
	pop3d_retrieved_parse(rows[4].text, strlen(rows[4].text), 7, &v, &n);
	assert_true(v[0].hidden);
	assert_false(v[1].hidden);
	free(v);
	back[1].hidden = true;
	pop3d_retrieved_format(7, back, 2, &text, &len);
	assert_string_equal(text,
	    "postern-pop3-retrieved 2 7\n3 200\n5 100 hidden\n");
	pop3d_retrieved_parse(text, len, 7, &v, &n);
	assert_int_equal(n, 2);
	assert_true(v[1].hidden);
	free(text);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lock_and_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave_on_server, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_login_delay, setup,
		    teardown),
		cmocka_unit_test(test_record_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
