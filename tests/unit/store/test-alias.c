/*
 * test-alias.c: aliases: add/del/list, aliases(5) import with includes,
 * recipient lookup (users, aliases, subaddresses, postmaster) and
 * expansion: nested lists, remote members, duplicates, loops, depth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "lib/util.h"
#include "store/account.h"
#include "store/alias.h"

static void
write_file(struct fixture *f, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", f->dir, name);
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(p);
}

/* "L:addr R:addr ..." plus " u=N l=N t=N", or "unknown". */
static char *
expand(struct fixture *f, const char *addr)
{
	struct store_expansion exp;
	const char *errstr;
	char *out, *o;
	int r;

	r = store_expand(f->store, addr, &exp, &errstr);
	assert_int_not_equal(r, -1);
	if (r == 0)
		return xstrdup("unknown");
	out = xstrdup("");
	for (size_t i = 0; i < exp.n; i++) {
		o = xasprintf("%s%s:%s ", out, exp.dests[i].kind ==
		    STORE_DEST_LOCAL ? "L" : "R", exp.dests[i].address);
		free(out);
		out = o;
	}
	o = xasprintf("%su=%zu l=%zu t=%d", out, exp.nunknown, exp.nloops,
	    exp.truncated);
	free(out);
	store_expansion_free(&exp);
	return o;
}

static struct fixture *
setup_users(void)
{
	struct fixture *f = fixture_new(NULL);
	static const char *const users[] = {
		"bob@example.org", "alice@example.org", "carol@example.net",
		"postmaster@example.org",
	};
	const char *errstr;

	for (size_t i = 0; i < nitems(users); i++)
		assert_int_equal(store_user_add(f->store, users[i], "pw",
		    &errstr), 0);
	return f;
}

static void
test_add_list_del(void **state)
{
	struct fixture *f = setup_users();
	const char *t1[] = { "bob", "alice@example.org", "x@remote.test" };
	const char *t2[] = { "bob", "carol@example.net" };
	const char *bad[][1] = { { "|/bin/sh" }, { "/tmp/file" },
	    { ":include:/etc/x" }, { "a..b" }, { "a@" } };
	struct store_alias *list;
	const char *errstr;
	size_t n;

	(void)state;
	assert_int_equal(store_alias_add(f->store, "team", t1, 3, &errstr), 0);
	assert_int_equal(store_alias_add(f->store, "team", t2, 2, &errstr), 0);
	assert_int_equal(store_alias_add(f->store, "Sales@EXAMPLE.org", t2, 1,
	    &errstr), 0);
	assert_int_equal(store_alias_add(f->store, "x@remote.test", t2, 1,
	    &errstr), -1);
	assert_int_equal(store_alias_add(f->store, "none", t2, 0, &errstr),
	    -1);
	for (size_t i = 0; i < nitems(bad); i++)
		if (store_alias_add(f->store, "x", bad[i], 1, &errstr) != -1)
			fail_msg("target %s accepted", bad[i][0]);
	assert_non_null(strstr(errstr, "not supported") ? errstr : "x");
	assert_int_equal(store_alias_list(f->store, &list, &n, &errstr), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "Sales@example.org");
	assert_int_equal(list[0].ntargets, 1);
	assert_string_equal(list[1].name, "team");
	assert_int_equal(list[1].ntargets, 4);	/* merged, no duplicate */
	assert_string_equal(list[1].targets[0], "alice@example.org");
	assert_string_equal(list[1].targets[3], "x@remote.test");
	store_alias_list_free(list, n);
	assert_int_equal(store_alias_del(f->store, "team", &errstr), 1);
	assert_int_equal(store_alias_del(f->store, "team", &errstr), 0);
	fixture_free(f);
}

static void
test_import(void **state)
{
	struct fixture *f = setup_users();
	const char *errstr;
	char *path, *s;
	size_t n;

	(void)state;
	write_file(f, "members", "# list members\nbob\ncarol@example.net,"
	    " far@remote.test\n:include: more\n");
	write_file(f, "more", "alice\n");
	write_file(f, "aliases",
	    "# aliases(5)\n"
	    "staff: bob, alice,\n"
	    "   carol@example.net\n"
	    "list: :include:members, list-owner@remote.test\n"
	    "old: bob\n"
	    "old: alice\n");
	path = xasprintf("%s/aliases", f->dir);
	if (store_alias_import(f->store, path, &n, &errstr) != 0)
		fail_msg("import: %s", errstr);
	assert_int_equal(n, 3);
	s = expand(f, "list@example.org");
	assert_string_equal(s, "L:bob@example.org L:carol@example.net "
	    "R:far@remote.test L:alice@example.org R:list-owner@remote.test "
	    "u=0 l=0 t=0");
	free(s);
	s = expand(f, "old@example.org");
	assert_string_equal(s, "L:bob@example.org L:alice@example.org "
	    "u=0 l=0 t=0");
	free(s);

	/* A second import replaces a name's targets and keeps the rest. */
	write_file(f, "aliases", "staff: alice\n");
	assert_int_equal(store_alias_import(f->store, path, &n, &errstr), 0);
	s = expand(f, "staff@example.org");
	assert_string_equal(s, "L:alice@example.org u=0 l=0 t=0");
	free(s);
	s = expand(f, "old@example.org");
	assert_string_equal(s, "L:bob@example.org L:alice@example.org "
	    "u=0 l=0 t=0");
	free(s);

	/* Refusals, with FILE:LINE, and nothing changed. */
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "a: b\nx: |/usr/bin/prog\n", "aliases:2: |/usr/bin/prog: pipe" },
		{ "x: /var/mail/x\n", "aliases:1: /var/mail/x: file" },
		{ "x: :include: missing\n", "missing: No such file" },
		{ "x: :include: loop1\n", "nested too deep" },
		{ "x y\n", "aliases:1: missing ':'" },
		{ "staff: bob\nx@remote.test: bob\n", "aliases:2:" },
	};
	write_file(f, "loop1", ":include: loop1\n");
	for (size_t i = 0; i < nitems(bad); i++) {
		write_file(f, "aliases", bad[i].text);
		assert_int_equal(store_alias_import(f->store, path, &n,
		    &errstr), -1);
		if (strstr(errstr, bad[i].want) == NULL)
			fail_msg("row %zu: %s", i, errstr);
	}
	s = expand(f, "staff@example.org");
	assert_string_equal(s, "L:alice@example.org u=0 l=0 t=0");
	free(s);
	free(path);
	fixture_free(f);
}

static void
test_lookup(void **state)
{
	struct fixture *f = setup_users();
	const char *t_list[] = { "bob" };
	const char *t_bobx[] = { "alice" };
	enum store_rcpt_kind kind;
	const char *errstr;

	(void)state;
	assert_int_equal(store_alias_add(f->store, "list", t_list, 1,
	    &errstr), 0);
	assert_int_equal(store_alias_add(f->store, "bob+x@example.org",
	    t_bobx, 1, &errstr), 0);
	static const struct {
		const char *addr;
		int r;
		enum store_rcpt_kind kind;
	} rows[] = {
		{ "bob@example.org", 1, STORE_RCPT_USER },
		{ "bob@EXAMPLE.ORG", 1, STORE_RCPT_USER },
		{ "Bob@example.org", 0, 0 },
		{ "bob+tag@example.org", 1, STORE_RCPT_USER },
		{ "bob+x@example.org", 1, STORE_RCPT_ALIAS },
		{ "list@example.org", 1, STORE_RCPT_ALIAS },
		{ "list@example.net", 1, STORE_RCPT_ALIAS },
		{ "list+foo@example.net", 1, STORE_RCPT_ALIAS },
		{ "Postmaster", 1, STORE_RCPT_USER },
		{ "POSTMASTER@example.org", 1, STORE_RCPT_USER },
		{ "nobody@example.org", 0, 0 },
		{ "bob@remote.test", 0, 0 },
		{ "+bob@example.org", 0, 0 },
		{ "garbage", 0, 0 },
		{ "", 0, 0 },
	};
	for (size_t i = 0; i < nitems(rows); i++) {
		int r = store_rcpt_lookup(f->store, rows[i].addr, &kind,
		    &errstr);
		if (r != rows[i].r || (r == 1 && kind != rows[i].kind))
			fail_msg("row %zu (%s): r=%d kind=%d", i, rows[i].addr,
			    r, r == 1 ? (int)kind : -1);
	}
	fixture_free(f);
}

static void
test_expand(void **state)
{
	struct fixture *f = setup_users();
	const char *errstr;
	static const struct {
		const char *name;
		const char *targets[4];
	} aliases[] = {
		{ "all", { "team", "friends", "bob", NULL } },
		{ "team", { "bob", "alice", "ext@remote.test", NULL } },
		{ "friends", { "alice", "ext@remote.test", "ghost", NULL } },
		{ "loop1", { "loop2", NULL } },
		{ "loop2", { "loop1", "carol@example.net", NULL } },
		{ "self", { "self", "nobody", NULL } },
		{ "bob", { "bob", "alice", NULL } },	/* keep a copy */
		{ "ghosts", { "ghost", "spook", NULL } },
		{ "cross", { "team@example.org", "team@example.net", NULL } },
	};
	static const struct {
		const char *addr, *want;
	} rows[] = {
		{ "all@example.org", "L:bob@example.org L:alice@example.org "
		    "R:ext@remote.test u=1 l=0 t=0" },
		{ "loop1@example.org", "L:carol@example.net u=0 l=1 t=0" },
		{ "self@example.org", "u=1 l=1 t=0" },
		{ "bob@example.org", "L:bob@example.org L:alice@example.org "
		    "u=0 l=0 t=0" },
		{ "bob+tag@example.org", "L:bob@example.org "
		    "L:alice@example.org u=0 l=0 t=0" },
		{ "ghosts@example.org", "u=2 l=0 t=0" },
		{ "alice@example.org", "L:alice@example.org u=0 l=0 t=0" },
		{ "far@remote.test", "R:far@remote.test u=0 l=0 t=0" },
		{ "nobody@example.org", "unknown" },
		/* bare targets resolve in the expanded address's domain */
		{ "team@example.net", "R:ext@remote.test u=2 l=1 t=0" },
		/* one alias key is expanded once, whatever the domain */
		{ "cross@example.org", "L:bob@example.org L:alice@example.org "
		    "R:ext@remote.test u=0 l=1 t=0" },
	};

	(void)state;
	for (size_t i = 0; i < nitems(aliases); i++) {
		size_t n = 0;
		while (aliases[i].targets[n] != NULL)
			n++;
		assert_int_equal(store_alias_add(f->store, aliases[i].name,
		    aliases[i].targets, n, &errstr), 0);
	}
	for (size_t i = 0; i < nitems(rows); i++) {
		char *s = expand(f, rows[i].addr);
		if (strcmp(s, rows[i].want) != 0)
			fail_msg("row %zu (%s): got \"%s\"", i, rows[i].addr,
			    s);
		free(s);
	}
	fixture_free(f);
}

static void
test_depth(void **state)
{
	struct fixture *f = setup_users();
	const char *errstr;
	char name[32], next[32], *s;
	const char *t[1];

	(void)state;
	/* d0 -> d1 -> ... -> d30 -> bob: cut at STORE_ALIAS_DEPTH_MAX. */
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(next, sizeof(next), "d%d", i + 1);
		t[0] = next;
		assert_int_equal(store_alias_add(f->store, name, t, 1,
		    &errstr), 0);
	}
	t[0] = "bob";
	assert_int_equal(store_alias_add(f->store, "d30", t, 1, &errstr), 0);
	s = expand(f, "d0@example.org");
	assert_string_equal(s, "u=0 l=0 t=1");
	free(s);
	s = expand(f, "d20@example.org");
	assert_string_equal(s, "L:bob@example.org u=0 l=0 t=0");
	free(s);
	fixture_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_list_del),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
