/*
 * test-account.c: users: add, duplicate, list, password check and
 * change, delete (mail tree moved aside), timing-safe unknown users.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "lib/util.h"
#include "store/account.h"
#include "store/addr.h"
#include "store/store.h"
#include "lib/config.h"
#include "lib/scram.h"

#include <sqlite3.h>

static void
test_users(void **state)
{
	struct fixture *f = fixture_new(NULL);
	char canon[STORE_ADDR_MAX + 1], *dir;
	struct store_user *users, u;
	const char *errstr;
	struct stat st;
	size_t n;

	(void)state;
	static const struct {
		const char *addr, *pw;
		int ok;
	} adds[] = {
		{ "bob@Example.ORG", "s3cret", 1 },
		{ "alice", "pw", 1 },			/* first domain */
		{ "carol@example.net", "pw", 1 },	/* second domain */
		{ "bob@example.org", "x", 0 },		/* exists */
		{ "dave@elsewhere.com", "pw", 0 },	/* not local */
		{ "eve@example.org", "", 0 },		/* empty password */
		{ "eve@example.org", "a\nb", 0 },
		{ "bad..dots@example.org", "pw", 0 },
	};
	for (size_t i = 0; i < nitems(adds); i++) {
		errno = 0;
		int r = store_user_add(f->store, adds[i].addr, adds[i].pw,
		    &errstr);
		if (adds[i].ok && r != 0)
			fail_msg("add %s: %s", adds[i].addr, errstr);
		if (!adds[i].ok && r != -1)
			fail_msg("add %s accepted", adds[i].addr);
	}
	assert_int_equal(store_user_list(f->store, &users, &n, &errstr), 0);
	assert_int_equal(n, 3);
	assert_string_equal(users[0].address, "alice@example.org");
	assert_string_equal(users[1].address, "bob@example.org");
	assert_string_equal(users[2].address, "carol@example.net");
	assert_true(users[0].enabled);
	store_user_list_free(users, n);

	static const struct {
		const char *addr, *pw;
		int want;
	} logins[] = {
		{ "bob@example.org", "s3cret", 1 },
		{ "BOB@EXAMPLE.ORG", "s3cret", 0 },	/* local part exact */
		{ "bob@EXAMPLE.org", "s3cret", 1 },
		{ "bob", "s3cret", 1 },
		{ "bob@example.org", "s3cre", 0 },
		{ "bob@example.org", "s3cret ", 0 },
		{ "bob@example.org", "", 0 },
		{ "nobody@example.org", "s3cret", 0 },
		{ "not an address", "x", 0 },
	};
	for (size_t i = 0; i < nitems(logins); i++)
		if (store_user_verify(f->store, logins[i].addr, logins[i].pw,
		    canon, &errstr) != logins[i].want)
			fail_msg("login row %zu", i);
	assert_int_equal(store_user_verify(f->store, "bob", "s3cret", canon,
	    &errstr), 1);
	assert_string_equal(canon, "bob@example.org");

	assert_int_equal(store_user_passwd(f->store, "bob@example.org", "new",
	    &errstr), 1);
	assert_int_equal(store_user_verify(f->store, "bob@example.org",
	    "s3cret", NULL, &errstr), 0);
	assert_int_equal(store_user_verify(f->store, "bob@example.org", "new",
	    NULL, &errstr), 1);
	assert_int_equal(store_user_passwd(f->store, "zed@example.org", "x",
	    &errstr), 0);

	assert_int_equal(store_user_get(f->store, "carol@EXAMPLE.net", &u,
	    &errstr), 1);
	assert_string_equal(u.address, "carol@example.net");
	store_user_clear(&u);
	assert_int_equal(store_user_get(f->store, "zed@example.org", NULL,
	    &errstr), 0);

	dir = store_user_dir(f->store, "bob@example.org");
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(store_user_del(f->store, "bob@example.org",
	    &errstr), 1);
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(store_user_del(f->store, "bob@example.org",
	    &errstr), 0);
	assert_int_equal(store_user_verify(f->store, "bob@example.org", "new",
	    NULL, &errstr), 0);
	/* Re-added, the user starts with an empty tree. */
	assert_int_equal(store_user_add(f->store, "bob@example.org", "pw",
	    &errstr), 0);
	assert_int_equal(stat(dir, &st), 0);
	free(dir);
	fixture_free(f);
}

static void
test_user_dir(void **state)
{
	struct fixture *f = fixture_new(NULL);
	char *d;

	(void)state;
	d = store_user_dir(f->store, "a/b@example.org");
	assert_non_null(strstr(d, "/mail/example.org/a%2Fb"));
	free(d);
	d = store_user_dir(f->store, "o'hara+x@example.org");
	assert_non_null(strstr(d, "/mail/example.org/o%27hara+x"));
	free(d);
	fixture_free(f);
}

/* Runs one full SCRAM exchange with password against creds. 1, 0, -1. */
static int
scram_login(const char *user, const char *pw, const struct scram_creds *cr,
    bool fake)
{
	struct scram_server *s = scram_server_new();
	struct scram_client *c = scram_client_new(user, pw, NULL, &(const
	    char *){ NULL });
	char m[SCRAM_MSG_MAX + 1], r[SCRAM_MSG_MAX + 1];
	const char *u, *err;
	long n;
	int rc = -1;

	assert_non_null(c);
	n = scram_client_first(c, m, sizeof(m));
	if (scram_server_client_first(s, m, (size_t)n, &u, &err) == 0) {
		if (fake)
			scram_server_set_fake(s);
		n = scram_server_first(s, cr, NULL, r, sizeof(r), &err);
		assert_true(n > 0);
		n = scram_client_final(c, r, (size_t)n, m, sizeof(m), &err);
		assert_true(n > 0);
		rc = scram_server_client_final(s, m, (size_t)n, r, sizeof(r),
		    &err);
	}
	scram_client_free(&c);
	scram_server_free(&s);
	return rc;
}

static void
test_scram(void **state)
{
	struct fixture *f = fixture_new(NULL);
	char canon[STORE_ADDR_MAX + 1], err[256], *path;
	struct scram_creds cr, cr2;
	const char *errstr;
	sqlite3 *db;

	(void)state;
	assert_int_equal(store_user_add(f->store, "bob@example.org", "s3cret",
	    &errstr), 0);
	assert_int_equal(store_user_scram_get(f->store, "bob@Example.ORG", &cr,
	    canon, &errstr), 1);
	assert_string_equal(canon, "bob@example.org");
	assert_int_equal(cr.iter, SCRAM_ITERATIONS);
	assert_int_equal(cr.salt_len, SCRAM_SALT_LEN);
	assert_int_equal(scram_login("bob@example.org", "s3cret", &cr, false),
	    1);
	assert_int_equal(scram_login("bob@example.org", "wrong", &cr, false),
	    0);
	/* A new password gives new credentials (and a new salt). */
	assert_int_equal(store_user_passwd(f->store, "bob@example.org",
	    "n3w", &errstr), 1);
	assert_int_equal(store_user_scram_get(f->store, "bob@example.org",
	    &cr2, NULL, &errstr), 1);
	assert_memory_not_equal(cr.salt, cr2.salt, SCRAM_SALT_LEN);
	assert_int_equal(scram_login("bob@example.org", "s3cret", &cr2, false),
	    0);
	assert_int_equal(scram_login("bob@example.org", "n3w", &cr2, false),
	    1);
	/* Unknown: stand-ins, stable, that fail. */
	assert_int_equal(store_user_scram_get(f->store, "nobody@example.org",
	    &cr, NULL, &errstr), 0);
	assert_int_equal(store_user_scram_get(f->store, "nobody@example.org",
	    &cr2, NULL, &errstr), 0);
	assert_memory_equal(cr.salt, cr2.salt, SCRAM_SALT_LEN);
	assert_int_equal(cr.iter, SCRAM_ITERATIONS);
	assert_int_equal(scram_login("nobody@example.org", "x", &cr, true), 0);
	/* Disabled: no credentials handed out. */
	assert_int_equal(store_user_set_enabled(f->store, "bob@example.org",
	    false, &errstr), 1);
	assert_int_equal(store_user_scram_get(f->store, "bob@example.org",
	    &cr, NULL, &errstr), 0);
	assert_int_equal(store_user_set_enabled(f->store, "bob@example.org",
	    true, &errstr), 1);
	/* A non-ASCII password: PLAIN works, SCRAM has nothing. */
	assert_int_equal(store_user_add(f->store, "eve@example.org",
	    "p\xc3\xa4ss", &errstr), 0);
	assert_int_equal(store_user_verify(f->store, "eve@example.org",
	    "p\xc3\xa4ss", NULL, &errstr), 1);
	assert_int_equal(store_user_scram_get(f->store, "eve@example.org",
	    &cr, NULL, &errstr), 0);
	store_close(&f->store);

	/* An accounts.db from before SCRAM (and before the POP3 keep
	 * policy) is upgraded on open; its users have no credentials. */
	path = xasprintf("%s/data/accounts.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE users;"
	    "CREATE TABLE users (address TEXT PRIMARY KEY, hash TEXT NOT NULL,"
	    " enabled INTEGER NOT NULL DEFAULT 1, quota INTEGER NOT NULL"
	    " DEFAULT 0, created INTEGER NOT NULL);", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	free(path);
	assert_int_equal(store_open(&f->cfg, &f->store, err, sizeof(err)), 0);
	assert_int_equal(store_user_add(f->store, "old@example.org", "pw",
	    &errstr), 0);
	assert_int_equal(store_user_scram_get(f->store, "old@example.org",
	    &cr, NULL, &errstr), 1);
	fixture_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_user_dir),
		cmocka_unit_test(test_scram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
