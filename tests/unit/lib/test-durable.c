/*
 * test-durable.c: durable writes leave the whole file or nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/durable.h"

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_write_and_replace(void **state)
{
	char dir[] = "/tmp/postern-durable-XXXXXX", path[128], got[64];
	struct stat st;
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/file", dir);
	assert_int_equal(durable_mkdirs(path, 0700), 0);
	rmdir(path);
	assert_int_equal(durable_write(path, "first", 5, 0600), 0);
	assert_int_equal(durable_write(path, "second", 6, 0644), 0);
	f = fopen(path, "r");
	n = fread(got, 1, sizeof(got), f);
	fclose(f);
	assert_int_equal(n, 6);
	assert_memory_equal(got, "second", 6);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	snprintf(got, sizeof(got), "%s/a/b", dir);
	assert_int_equal(count_entries(got), 1);	/* no temporaries */
	assert_int_equal(durable_fsync_dir_of(path), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", dir);
	rmdir(path);
	rmdir(dir);
}

static void
test_failure_leaves_nothing(void **state)
{
	char dir[] = "/tmp/postern-durable-XXXXXX", path[128];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing/file", dir);
	assert_int_equal(durable_write(path, "x", 1, 0600), -1);
	/* a directory where the file should go: rename fails */
	snprintf(path, sizeof(path), "%s/isdir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(durable_write(path, "x", 1, 0600), -1);
	assert_int_equal(count_entries(dir), 1);	/* only isdir */
	rmdir(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_replace),
		cmocka_unit_test(test_failure_leaves_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
