/*
 * test-mbox.c: one folder's messages and index: append, flags and
 * keywords mirrored in file names, expunge without UID reuse, copy/move,
 * cached fields, sync with changes made by other tools, notification,
 * and rebuilding a lost index (UIDVALIDITY kept or renewed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "lib/util.h"
#include "store/account.h"
#include "store/folder.h"
#include "store/mbox.h"

#define U	"bob@example.org"

static struct store_mbox *
open_box(struct fixture *f, const char *folder)
{
	struct store_mbox *m = NULL;
	const char *errstr;

	if (store_mbox_open(f->store, U, folder, &m, &errstr) != 1)
		fail_msg("open %s: %s", folder, errstr);
	return m;
}

static uint32_t
append(struct store_mbox *m, const char *text, unsigned flags)
{
	const char *errstr;
	uint32_t uid = 0;

	if (store_msg_append(m, text, strlen(text), flags, NULL, 0, &uid,
	    &errstr) != 0)
		fail_msg("append: %s", errstr);
	return uid;
}

/* "uid:flags:keywords:dir" for each message, space-separated. */
static char *
dump(struct store_mbox *m)
{
	struct store_msg_iter *it;
	const struct store_msg *msg;
	const char *errstr;
	char *out = xstrdup(""), *o;

	assert_int_equal(store_msg_iter_new(m, 1, 0, 0, &it, &errstr), 0);
	while (store_msg_iter_next(it, &msg, &errstr) == 1) {
		o = xasprintf("%s%s%u:%u:%s:%.3s", out, *out ? " " : "",
		    msg->uid, msg->flags, msg->keywords, msg->file);
		free(out);
		out = o;
	}
	store_msg_iter_free(&it);
	return out;
}

static void
check_dump(struct store_mbox *m, const char *want)
{
	char *got = dump(m);

	if (strcmp(got, want) != 0)
		fail_msg("got \"%s\", want \"%s\"", got, want);
	free(got);
}

static struct store_mbox_status
status(struct store_mbox *m)
{
	struct store_mbox_status s;
	const char *errstr;

	assert_int_equal(store_mbox_status(m, &s, &errstr), 0);
	return s;
}

static char *
read_msg(struct store_mbox *m, uint32_t uid)
{
	const char *errstr;
	char buf[4096];
	ssize_t n;
	int fd;

	assert_int_equal(store_msg_open(m, uid, &fd, &errstr), 1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return xstrdup(buf);
}

static struct fixture *
setup(void)
{
	struct fixture *f = fixture_new(NULL);
	const char *errstr;

	assert_int_equal(store_user_add(f->store, U, "pw", &errstr), 0);
	return f;
}

static void
test_basic(void **state)
{
	struct fixture *f = setup();
	struct store_mbox *m = open_box(f, "INBOX");
	struct store_mbox_status s0, s;
	const char *errstr;
	uint64_t ms, ms2;
	uint32_t *uids;
	size_t n;
	char *t;
	int fd;

	(void)state;
	s0 = status(m);
	assert_int_equal(s0.exists, 0);
	assert_int_equal(s0.uidnext, 1);
	assert_true(s0.uidvalidity > 0);
	assert_int_equal(append(m, "Subject: 1\r\n\r\none\r\n", 0), 1);
	assert_int_equal(append(m, "Subject: 2\r\n\r\ntwo\r\n", 0), 2);
	assert_int_equal(append(m, "Subject: 3\r\n\r\nthree\r\n",
	    STORE_FLAG_SEEN), 3);
	check_dump(m, "1:0::new 2:0::new 3:1::cur");
	s = status(m);
	assert_int_equal(s.exists, 3);
	assert_int_equal(s.unseen, 2);
	assert_int_equal(s.uidnext, 4);
	assert_int_equal(s.bytes, 19 + 19 + 21);
	assert_true(s.highestmodseq > s0.highestmodseq);
	t = read_msg(m, 2);
	assert_string_equal(t, "Subject: 2\r\n\r\ntwo\r\n");
	free(t);
	assert_int_equal(store_msg_open(m, 99, &fd, &errstr), 0);

	/* Flags: the file name mirrors them (":2,FS"). */
	assert_int_equal(store_msg_flags(m, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_SEEN | STORE_FLAG_FLAGGED, "$Work Urgent", &ms,
	    &errstr), 1);
	check_dump(m, "1:5:$Work Urgent:cur 2:0::new 3:1::cur");
	assert_int_equal(store_msg_flags(m, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_SEEN, "Urgent", &ms2, &errstr), 1);
	assert_int_equal(ms2, ms);	/* no change, no new MODSEQ */
	assert_int_equal(store_msg_flags(m, 1, STORE_FLAGS_REMOVE,
	    STORE_FLAG_FLAGGED, "$Work", &ms2, &errstr), 1);
	assert_true(ms2 > ms);
	check_dump(m, "1:1:Urgent:cur 2:0::new 3:1::cur");
	assert_int_equal(store_msg_flags(m, 1, STORE_FLAGS_SET,
	    STORE_FLAG_ANSWERED | STORE_FLAG_DRAFT, "", NULL, &errstr), 1);
	check_dump(m, "1:18::cur 2:0::new 3:1::cur");
	assert_int_equal(store_msg_flags(m, 1, STORE_FLAGS_ADD, 0, "bad(kw",
	    NULL, &errstr), -1);
	assert_int_equal(store_msg_flags(m, 42, STORE_FLAGS_ADD,
	    STORE_FLAG_SEEN, NULL, NULL, &errstr), 0);
	{
		struct store_msg_iter *it;
		const struct store_msg *msg;
		assert_int_equal(store_msg_iter_new(m, 1, 1, 0, &it, &errstr),
		    0);
		assert_int_equal(store_msg_iter_next(it, &msg, &errstr), 1);
		assert_non_null(strstr(msg->file, ":2,DR"));
		assert_null(msg->envelope);
		store_msg_iter_free(&it);
	}
	/* changedsince sees only message 1. */
	{
		struct store_msg_iter *it;
		const struct store_msg *msg;
		assert_int_equal(store_msg_iter_new(m, 1, 0, ms, &it, &errstr),
		    0);
		assert_int_equal(store_msg_iter_next(it, &msg, &errstr), 1);
		assert_int_equal(msg->uid, 1);
		assert_int_equal(store_msg_iter_next(it, &msg, &errstr), 0);
		store_msg_iter_free(&it);
	}

	/* Expunge: UIDs are never reused, even the highest. */
	ms = status(m).highestmodseq;
	assert_int_equal(store_msg_expunge(m, 3, &errstr), 1);
	assert_int_equal(store_msg_expunge(m, 3, &errstr), 0);
	assert_int_equal(append(m, "Subject: 4\r\n\r\nfour\r\n", 0), 4);
	assert_int_equal(store_msg_flags(m, 2, STORE_FLAGS_ADD,
	    STORE_FLAG_DELETED, NULL, NULL, &errstr), 1);
	assert_int_equal(store_msg_flags(m, 4, STORE_FLAGS_ADD,
	    STORE_FLAG_DELETED, NULL, NULL, &errstr), 1);
	assert_int_equal(store_mbox_expunge_deleted(m, &uids, &n, &errstr), 0);
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 2);
	assert_int_equal(uids[1], 4);
	free(uids);
	check_dump(m, "1:18::cur");
	assert_int_equal(store_mbox_vanished(m, ms, &uids, &n, &errstr), 0);
	assert_int_equal(n, 3);
	assert_int_equal(uids[0], 2);
	assert_int_equal(uids[2], 4);
	free(uids);
	assert_int_equal(append(m, "Subject: 5\r\n\r\nfive\r\n", 0), 5);

	/* Cached fields for the IMAP server. */
	assert_int_equal(store_msg_cache_set(m, 5, "(env)", "(bs)", &errstr),
	    1);
	assert_int_equal(store_msg_cache_set(m, 9, "(env)", "(bs)", &errstr),
	    0);
	{
		struct store_msg_iter *it;
		const struct store_msg *msg;
		assert_int_equal(store_msg_iter_new(m, 5, 5, 0, &it, &errstr),
		    0);
		assert_int_equal(store_msg_iter_next(it, &msg, &errstr), 1);
		assert_string_equal(msg->envelope, "(env)");
		assert_string_equal(msg->bodystructure, "(bs)");
		store_msg_iter_free(&it);
	}
	store_mbox_close(&m);
	assert_null(m);
	fixture_free(f);
}

static void
test_copy_move(void **state)
{
	struct fixture *f = setup();
	struct store_mbox *in = open_box(f, "INBOX"), *sent = open_box(f,
	    "Sent");
	const char *errstr;
	uint32_t uid;
	char *t;

	(void)state;
	append(in, "a\r\n", 0);
	append(in, "b\r\n", 0);
	assert_int_equal(store_msg_flags(in, 1, STORE_FLAGS_ADD,
	    STORE_FLAG_SEEN, "kw", NULL, &errstr), 1);
	assert_int_equal(store_msg_copy(in, 1, sent, &uid, &errstr), 1);
	assert_int_equal(uid, 1);
	assert_int_equal(store_msg_move(in, 2, sent, &uid, &errstr), 1);
	assert_int_equal(uid, 2);
	assert_int_equal(store_msg_copy(in, 2, sent, &uid, &errstr), 0);
	check_dump(in, "1:1:kw:cur");
	check_dump(sent, "1:1:kw:cur 2:0::new");
	t = read_msg(sent, 2);
	assert_string_equal(t, "b\r\n");
	free(t);
	store_mbox_close(&in);
	store_mbox_close(&sent);
	assert_int_equal(store_mbox_open(f->store, U, "Nope", &in, &errstr),
	    0);
	assert_int_equal(store_mbox_open(f->store, U, "../x", &in, &errstr),
	    -1);
	fixture_free(f);
}

/* The only file in dir/sub whose name contains needle (caller frees). */
static char *
find_file(const char *dir, const char *sub, const char *needle)
{
	char *path = xasprintf("%s/%s", dir, sub), *found = NULL;
	struct dirent *de;
	DIR *d = opendir(path);

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, needle) != NULL)
			found = xasprintf("%s/%s", path, de->d_name);
	closedir(d);
	free(path);
	return found;
}

static void
test_sync(void **state)
{
	struct fixture *f = setup();
	struct store_mbox *m = open_box(f, "INBOX");
	const char *dir = store_mbox_dir(m), *errstr;
	char *from, *to, *p;
	struct stat st0, st1;
	bool changed;
	FILE *fp;

	(void)state;
	append(m, "a\r\n", 0);
	append(m, "b\r\n", 0);
	append(m, "c\r\n", 0);
	/* mutt marks 1 seen: new/X -> cur/X:2,S */
	from = find_file(dir, "new", ",U=1");
	assert_non_null(from);
	to = xasprintf("%s:2,S", from);
	memcpy(strstr(to, "/new/"), "/cur/", 5);
	assert_int_equal(rename(from, to), 0);
	free(from);
	free(to);
	/* another tool deletes 2 and delivers a message of its own */
	p = find_file(dir, "new", ",U=2");
	assert_int_equal(unlink(p), 0);
	free(p);
	p = xasprintf("%s/new/1700000000.P1.other", dir);
	fp = fopen(p, "w");
	fputs("d\r\n", fp);
	fclose(fp);
	free(p);
	assert_int_equal(stat(store_mbox_notify_path(m), &st0), 0);
	usleep(20000);
	assert_int_equal(store_mbox_sync(m, &changed, &errstr), 0);
	assert_true(changed);
	assert_int_equal(stat(store_mbox_notify_path(m), &st1), 0);
	assert_true(st1.st_mtim.tv_sec > st0.st_mtim.tv_sec ||
	    st1.st_mtim.tv_nsec != st0.st_mtim.tv_nsec);
	check_dump(m, "1:1::cur 3:0::new 4:0::new");
	/* The adopted file now carries its UID. */
	p = find_file(dir, "new", "other,U=4");
	assert_non_null(p);
	free(p);
	/* A delivery that died long ago left a file in tmp/; a fresh one
	 * may still be running. */
	{
		char *old = xasprintf("%s/tmp/old.dead", dir);
		char *young = xasprintf("%s/tmp/young.running", dir);
		struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
		fp = fopen(old, "w");
		fclose(fp);
		fp = fopen(young, "w");
		fclose(fp);
		assert_int_equal(utimensat(AT_FDCWD, old, ts, 0), 0);
		assert_int_equal(store_mbox_sync(m, &changed, &errstr), 0);
		assert_false(changed);
		assert_int_equal(access(old, F_OK), -1);
		assert_int_equal(access(young, F_OK), 0);
		free(old);
		free(young);
	}
	/* Opening by UID follows a rename the index has not seen. */
	from = find_file(dir, "new", ",U=3");
	to = xasprintf("%s:2,F", from);
	memcpy(strstr(to, "/new/"), "/cur/", 5);
	assert_int_equal(rename(from, to), 0);
	free(from);
	free(to);
	p = read_msg(m, 3);
	assert_string_equal(p, "c\r\n");
	free(p);
	assert_int_equal(store_msg_flags(m, 3, STORE_FLAGS_ADD,
	    STORE_FLAG_SEEN, NULL, NULL, &errstr), 1);
	store_mbox_close(&m);
	fixture_free(f);
}

static void
remove_index(const char *dir)
{
	static const char *const files[] = { "postern-index.db",
	    "postern-index.db-wal", "postern-index.db-shm" };

	for (size_t i = 0; i < nitems(files); i++) {
		char *p = xasprintf("%s/%s", dir, files[i]);
		unlink(p);
		free(p);
	}
}

static void
test_rebuild(void **state)
{
	struct fixture *f = setup();
	struct store_mbox *m = open_box(f, "INBOX");
	struct store_mbox_status s0, s1;
	const char *errstr;
	char *dir = xstrdup(store_mbox_dir(m)), *from, *to;
	bool renumbered = true;

	(void)state;
	for (int i = 0; i < 5; i++)
		append(m, "x\r\n", 0);
	assert_int_equal(store_msg_flags(m, 2, STORE_FLAGS_ADD,
	    STORE_FLAG_SEEN, NULL, NULL, &errstr), 1);
	/* Expunging the highest UID must not let a rebuild reuse it. */
	assert_int_equal(store_msg_expunge(m, 5, &errstr), 1);
	s0 = status(m);
	store_mbox_close(&m);

	/* Index lost: rebuilt at open, UIDs and UIDVALIDITY kept. */
	remove_index(dir);
	m = open_box(f, "INBOX");
	s1 = status(m);
	assert_int_equal(s1.uidvalidity, s0.uidvalidity);
	assert_int_equal(s1.uidnext, 6);
	assert_true(s1.highestmodseq > s0.highestmodseq);
	check_dump(m, "1:0::new 2:1::cur 3:0::new 4:0::new");
	assert_int_equal(append(m, "y\r\n", 0), 6);
	store_mbox_close(&m);

	/* Reindex beside a working index: the same. */
	assert_int_equal(store_mbox_reindex(f->store, U, "INBOX", &renumbered,
	    &errstr), 1);
	assert_false(renumbered);
	m = open_box(f, "INBOX");
	assert_int_equal(status(m).uidvalidity, s0.uidvalidity);
	check_dump(m, "1:0::new 2:1::cur 3:0::new 4:0::new 6:0::new");
	store_mbox_close(&m);

	/* A file whose UID tag is gone: UIDs cannot be trusted, so a new,
	 * larger UIDVALIDITY and fresh numbers. */
	from = find_file(dir, "new", ",U=3");
	to = xstrdup(from);
	*strstr(to, ",U=3") = '\0';
	assert_int_equal(rename(from, to), 0);
	free(from);
	free(to);
	remove_index(dir);
	assert_int_equal(store_mbox_reindex(f->store, U, "INBOX", &renumbered,
	    &errstr), 1);
	assert_true(renumbered);
	m = open_box(f, "INBOX");
	s1 = status(m);
	assert_true(s1.uidvalidity > s0.uidvalidity);
	assert_int_equal(s1.exists, 5);
	assert_int_equal(s1.uidnext, 6);
	char *d = dump(m);
	assert_non_null(strstr(d, "1:"));
	assert_non_null(strstr(d, "5:"));
	assert_non_null(strstr(d, ":1::cur"));	/* \Seen survived */
	free(d);
	/* Every file carries its new tag: the next rebuild keeps them. */
	s0 = s1;
	store_mbox_close(&m);
	remove_index(dir);
	assert_int_equal(store_mbox_reindex(f->store, U, "INBOX", &renumbered,
	    &errstr), 1);
	assert_false(renumbered);
	m = open_box(f, "INBOX");
	assert_int_equal(status(m).uidvalidity, s0.uidvalidity);
	store_mbox_close(&m);
	assert_int_equal(store_mbox_reindex(f->store, U, "Nope", NULL,
	    &errstr), 0);

	/* A damaged index file: reindex moves it aside and rebuilds. */
	remove_index(dir);
	{
		char *p = xasprintf("%s/postern-index.db", dir);
		FILE *fp = fopen(p, "w");
		assert_non_null(fp);
		for (int i = 0; i < 200; i++)
			fputs("this is not an SQLite database\n", fp);
		fclose(fp);
		assert_int_equal(store_mbox_open(f->store, U, "INBOX", &m,
		    &errstr), -1);
		assert_int_equal(store_mbox_reindex(f->store, U, "INBOX",
		    &renumbered, &errstr), 1);
		m = open_box(f, "INBOX");
		assert_int_equal(status(m).uidvalidity, s0.uidvalidity);
		assert_int_equal(status(m).exists, 5);
		store_mbox_close(&m);
		char *aside = xasprintf("%s.corrupt", p);
		struct stat st;
		assert_int_equal(stat(aside, &st), 0);
		free(aside);
		free(p);
	}
	free(dir);
	fixture_free(f);
}

static void
test_uidvalidity_unique(void **state)
{
	struct fixture *f = setup();
	struct store_mbox *m;
	const char *errstr;
	uint32_t v[4];

	(void)state;
	/* Created, deleted and created again within one second: each
	 * incarnation gets its own UIDVALIDITY (RFC 3501 §2.3.1.1). */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(store_folder_create(f->store, U, "Tmp",
		    &errstr), 0);
		m = open_box(f, "Tmp");
		v[i] = status(m).uidvalidity;
		store_mbox_close(&m);
		assert_int_equal(store_folder_delete(f->store, U, "Tmp", false,
		    &errstr), 1);
		for (int j = 0; j < i; j++)
			assert_true(v[i] > v[j]);
	}
	/* Any spelling of the user reaches the same tree; junk does not. */
	assert_int_equal(store_mbox_open(f->store, "bob@EXAMPLE.org", "INBOX",
	    &m, &errstr), 1);
	store_mbox_close(&m);
	assert_int_equal(store_mbox_open(f->store, "bob@@x", "INBOX", &m,
	    &errstr), -1);
	fixture_free(f);
}

static void
test_flags_info(void **state)
{
	char info[8];

	(void)state;
	store_flags_to_info(STORE_FLAG_ALL, info);
	assert_string_equal(info, "DFPRST");
	store_flags_to_info(STORE_FLAG_SEEN | STORE_FLAG_ANSWERED, info);
	assert_string_equal(info, "RS");
	store_flags_to_info(0, info);
	assert_string_equal(info, "");
	assert_int_equal(store_flags_from_info("FSx"), STORE_FLAG_FLAGGED |
	    STORE_FLAG_SEEN);
	assert_int_equal(store_flags_from_info("T"), STORE_FLAG_DELETED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_copy_move),
		cmocka_unit_test(test_sync),
		cmocka_unit_test(test_rebuild),
		cmocka_unit_test(test_uidvalidity_unique),
		cmocka_unit_test(test_flags_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
