/*
 * test-folder.c: folder-name validation (RFC 3501 §5.1.3) and the folder
 * tree: create with parents, list, rename with children, delete.
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

#include "fixture.h"
#include "lib/util.h"
#include "store/account.h"
#include "store/folder.h"

static void
test_names(void **state)
{
	static const struct {
		const char *in;
		size_t len;	/* 0: strlen */
		const char *canon;	/* NULL: refused */
	} rows[] = {
		{ "INBOX", 0, "INBOX" },
		{ "inbox", 0, "INBOX" },
		{ "InBoX/sub", 0, "INBOX/sub" },
		{ "inboxes", 0, "inboxes" },
		{ "Sent", 0, "Sent" },
		{ "a/b/c", 0, "a/b/c" },
		{ "with space", 0, "with space" },
		{ "a.b", 0, "a.b" },
		{ "..a", 0, "..a" },
		{ "&-", 0, "&-" },
		{ "Caf&AOk-", 0, "Caf&AOk-" },
		{ "&ZeVnLIqe-", 0, "&ZeVnLIqe-" },
		{ "&2D3eAA-", 0, "&2D3eAA-" },	/* U+1F600, a surrogate pair */
		{ "", 0, NULL },
		{ "/", 0, NULL },
		{ "/abs", 0, NULL },
		{ "a/", 0, NULL },
		{ "a//b", 0, NULL },
		{ ".", 0, NULL },
		{ "..", 0, NULL },
		{ "../x", 0, NULL },
		{ "a/../b", 0, NULL },
		{ "a/./b", 0, NULL },
		{ "a/..", 0, NULL },
		{ "a\nb", 0, NULL },
		{ "a\tb", 0, NULL },
		{ "a\x7f", 0, NULL },
		{ "caf\xc3\xa9", 0, NULL },
		{ "a\0b", 3, NULL },
		{ "&", 0, NULL },
		{ "&AGE", 0, NULL },		/* unterminated */
		{ "&AC8-", 0, NULL },		/* '/' encoded */
		{ "&AC4ALg-", 0, NULL },	/* ".." encoded */
		{ "&AGE-", 0, NULL },		/* 'a' encoded */
		{ "&AAA-", 0, NULL },		/* NUL encoded */
		{ "&2D0-", 0, NULL },		/* lone high surrogate */
		{ "&3gA-", 0, NULL },		/* lone low surrogate */
		{ "&AOk", 0, NULL },
		{ "&AOl-", 0, NULL },		/* non-zero padding bits */
		{ "&A.k-", 0, NULL },
		{ "&AOk=-", 0, NULL },
		{ "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", 0, "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p" },
		{ "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", 0, NULL },
	};
	char canon[STORE_FOLDER_NAME_MAX + 1];
	const char *errstr;

	(void)state;
	for (size_t i = 0; i < nitems(rows); i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
		int r = store_folder_name_check(rows[i].in, len, canon,
		    sizeof(canon), &errstr);
		if (rows[i].canon == NULL) {
			if (r != -1)
				fail_msg("row %zu: \"%s\" accepted", i,
				    rows[i].in);
		} else {
			if (r != 0)
				fail_msg("row %zu: \"%s\" refused: %s", i,
				    rows[i].in, errstr);
			assert_string_equal(canon, rows[i].canon);
		}
	}
	/* Too long. */
	char *big = xmalloc(STORE_FOLDER_NAME_MAX + 2);
	memset(big, 'a', STORE_FOLDER_NAME_MAX + 1);
	assert_int_equal(store_folder_name_check(big, STORE_FOLDER_NAME_MAX,
	    canon, sizeof(canon), &errstr), 0);
	assert_int_equal(store_folder_name_check(big, STORE_FOLDER_NAME_MAX + 1,
	    canon, sizeof(canon), &errstr), -1);
	free(big);
}

static char *
names(struct fixture *f, const char *user)
{
	struct store_folder *list;
	const char *errstr;
	char *out = xstrdup("");
	size_t n;

	assert_int_equal(store_folder_list(f->store, user, &list, &n,
	    &errstr), 0);
	for (size_t i = 0; i < n; i++) {
		char *o = xasprintf("%s%s%s%s", out, i ? "," : "",
		    list[i].name, list[i].has_children ? "+" : "");
		free(out);
		out = o;
	}
	store_folder_list_free(list, n);
	return out;
}

static void
test_tree(void **state)
{
	struct fixture *f = fixture_new(NULL);
	const char *u = "bob@example.org", *errstr;
	char *s, *path;
	struct stat st;

	(void)state;
	assert_int_equal(store_user_add(f->store, u, "pw", &errstr), 0);
	s = names(f, u);
	assert_string_equal(s, "INBOX,Archive,Drafts,Junk,Sent,Trash");
	free(s);
	assert_int_equal(store_folder_special("Junk"), STORE_SPECIAL_JUNK);
	assert_int_equal(store_folder_special("Other"), STORE_SPECIAL_NONE);

	assert_int_equal(store_folder_create(f->store, u, "a/b/c", &errstr),
	    0);
	assert_int_equal(store_folder_create(f->store, u, "a.b", &errstr), 0);
	assert_int_equal(store_folder_create(f->store, u, "inbox/x", &errstr),
	    0);
	errno = 0;
	assert_int_equal(store_folder_create(f->store, u, "a/b", &errstr), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(store_folder_create(f->store, u, "INBOX", &errstr),
	    -1);
	assert_int_equal(store_folder_create(f->store, u, "../x", &errstr),
	    -1);
	s = names(f, u);
	assert_string_equal(s, "INBOX+,Archive,Drafts,INBOX/x,Junk,Sent,"
	    "Trash,a+,a.b,a/b+,a/b/c");
	free(s);
	/* '.' inside a name never becomes a Maildir++ separator. */
	assert_int_equal(store_folder_path(f->store, u, "a.b", &path,
	    &errstr), 0);
	assert_non_null(strstr(path, "/.a%2Eb"));
	assert_int_equal(stat(path, &st), 0);
	free(path);

	if (store_folder_rename(f->store, u, "a", "z/y", &errstr) != 1)
		fail_msg("rename: %s", errstr);
	s = names(f, u);
	assert_string_equal(s, "INBOX+,Archive,Drafts,INBOX/x,Junk,Sent,"
	    "Trash,a.b,z+,z/y+,z/y/b+,z/y/b/c");
	free(s);
	assert_int_equal(store_folder_rename(f->store, u, "nope", "x",
	    &errstr), 0);
	assert_int_equal(store_folder_rename(f->store, u, "z", "z/q",
	    &errstr), -1);
	assert_int_equal(store_folder_rename(f->store, u, "a.b", "Sent",
	    &errstr), -1);
	assert_int_equal(store_folder_rename(f->store, u, "INBOX", "x",
	    &errstr), -1);

	assert_int_equal(store_folder_delete(f->store, u, "z/y", false,
	    &errstr), 1);
	s = names(f, u);
	assert_string_equal(s, "INBOX+,Archive,Drafts,INBOX/x,Junk,Sent,"
	    "Trash,a.b,z+,z/y/b+,z/y/b/c");
	free(s);
	assert_int_equal(store_folder_delete(f->store, u, "z", true,
	    &errstr), 1);
	assert_int_equal(store_folder_delete(f->store, u, "z", true,
	    &errstr), 0);
	assert_int_equal(store_folder_delete(f->store, u, "INBOX", true,
	    &errstr), -1);
	s = names(f, u);
	assert_string_equal(s, "INBOX+,Archive,Drafts,INBOX/x,Junk,Sent,"
	    "Trash,a.b");
	free(s);
	assert_int_equal(store_folder_exists(f->store, u, "a.b", &errstr), 1);
	assert_int_equal(store_folder_exists(f->store, u, "z", &errstr), 0);
	fixture_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
