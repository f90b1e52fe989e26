/*
 * test-syncshare.c: syncs shared between processes. A patient caller
 * rides on the syncs a busy process runs; alone, it runs its own; every
 * call returns only once a sync that began after it has succeeded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/syncshare.h"

static int
open_tmp(void)
{
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	return fd;
}

static void
test_alone_runs_its_own(void **state)
{
	struct syncshare *ss = syncshare_new();
	unsigned long calls, own;
	int fd = open_tmp();

	(void)state;
	assert_non_null(ss);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(syncshare_sync(ss, fd, false), 0);
		assert_int_equal(syncshare_sync(ss, fd, true), 0);
	}
	syncshare_counts(ss, &calls, &own);
	assert_int_equal(calls, 10);
	assert_int_equal(own, 10);
	assert_int_equal(syncshare_sync(NULL, fd, true), 0);
	close(fd);
	syncshare_free(&ss);
	assert_null(ss);
}

static void
test_patient_rides_on_a_busy_process(void **state)
{
	struct syncshare *ss = syncshare_new();
	unsigned long calls, own;
	int fd = open_tmp(), status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The busy smtp role: eager syncs back to back. */
		for (;;)
			if (syncshare_sync(ss, fd, false) == -1)
				_exit(1);
	}
	for (int i = 0; i < 40; i++)
		assert_int_equal(syncshare_sync(ss, fd, true), 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	syncshare_counts(ss, &calls, &own);
	assert_int_equal(calls, 40);
	assert_true(own < calls / 2);
	close(fd);
	syncshare_free(&ss);
}

static void
test_survives_a_process_killed_mid_sync(void **state)
{
	struct syncshare *ss = syncshare_new();
	struct timespec t0, t1;
	int fd = open_tmp(), status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			(void)syncshare_sync(ss, fd, false);
	}
	usleep(20000);
	kill(pid, SIGKILL);	/* perhaps inside a sync: never counted */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(syncshare_sync(ss, fd, true), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* At worst one wait of SYNCSHARE_WAIT_MS for the dead one. */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000 < 3 * SYNCSHARE_WAIT_MS);
	close(fd);
	syncshare_free(&ss);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alone_runs_its_own),
		cmocka_unit_test(test_patient_rides_on_a_busy_process),
		cmocka_unit_test(test_survives_a_process_killed_mid_sync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
