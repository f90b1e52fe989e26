/*
 * test-spool.c: envelope text form and the spool (write, commit, load,
 * state, corrupt files, group commit from an event loop).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "lib/buf.h"
#include "queue/envelope.h"
#include "queue/spool.h"

static void
sample(struct queue_envelope *env)
{
	queue_env_init(env);
	free(env->sender);
	env->sender = strdup("alice@example.org");
	env->arrival = 1764210000;
	env->body = QUEUE_BODY_8BITMIME;
	env->envid = strdup("QQ314159");
	env->ret = QUEUE_RET_HDRS;
	env->smtputf8 = true;
	env->client = strdup("192.0.2.1");
	env->helo = strdup("client.example");
	queue_env_add_rcpt(env, "bob@example.org", NULL, 0);
	queue_env_add_rcpt(env, "\"john doe\"@example.org",
	    "rfc822;john%doe@x", QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE);
	queue_env_add_rcpt(env, "-", NULL, QUEUE_NOTIFY_NEVER);
	queue_env_add_rcpt(env, "j\xc3\xb8rn@example.org", NULL, 0);
	env->rcpts[1].status = QUEUE_RCPT_DEFERRED;
	env->rcpts[1].attempts = 3;
	env->rcpts[1].last_try = 1764210100;
	env->rcpts[1].next_try = 1764211000;
	env->rcpts[1].error = strdup("451 4.3.0 try again\r\nlater");
}

static void
test_envelope_round_trip(void **state)
{
	struct queue_envelope env, got;
	struct buf b;
	const char *errstr;
	size_t used;

	(void)state;
	sample(&env);
	memcpy(env.id, "0123456789ABCDEF", 17);
	buf_init(&b, 1 << 20);
	assert_int_equal(queue_env_format(&env, &b), 0);
	assert_null(memchr(b.data, ' ', 0));
	buf_puts(&b, "Subject: hi\r\n\r\nbody\r\n");
	assert_int_equal(queue_env_parse(b.data, b.len, &got, &used, &errstr),
	    0);
	assert_string_equal(b.data + used, "Subject: hi\r\n\r\nbody\r\n");
	assert_string_equal(got.id, "0123456789ABCDEF");
	assert_string_equal(got.sender, "alice@example.org");
	assert_int_equal(got.arrival, 1764210000);
	assert_int_equal(got.body, QUEUE_BODY_8BITMIME);
	assert_string_equal(got.envid, "QQ314159");
	assert_int_equal(got.ret, QUEUE_RET_HDRS);
	assert_true(got.smtputf8);
	assert_null(got.auth);
	assert_string_equal(got.helo, "client.example");
	assert_int_equal(got.nrcpts, 4);
	assert_string_equal(got.rcpts[1].addr, "\"john doe\"@example.org");
	assert_string_equal(got.rcpts[1].orcpt, "rfc822;john%doe@x");
	assert_int_equal(got.rcpts[1].notify,
	    QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE);
	assert_int_equal(got.rcpts[1].status, QUEUE_RCPT_DEFERRED);
	assert_int_equal(got.rcpts[1].attempts, 3);
	assert_int_equal(got.rcpts[1].next_try, 1764211000);
	assert_string_equal(got.rcpts[1].error, "451 4.3.0 try again\r\nlater");
	assert_string_equal(got.rcpts[2].addr, "-");
	assert_string_equal(got.rcpts[3].addr, "j\xc3\xb8rn@example.org");
	assert_false(queue_env_finished(&got));
	queue_env_free(&got);
	queue_env_free(&env);
	buf_free(&b);
}

static void
test_envelope_rejects_junk(void **state)
{
	static const char *bad[] = {
		"",
		"postern-queue 1\n",
		"postern-queue 2\nid 0123456789ABCDEF\narrival 1\nrcpt a 0 pending 0 0 0 - - 0\n\n",
		"postern-queue 1\nid 0123456789ABCDEF\narrival 1\n\n",	/* no rcpt */
		"postern-queue 1\nid ../../etc/passwd\narrival 1\nrcpt a 0 pending 0 0 0 - - 0\n\n",
		"postern-queue 1\nid 0123456789ABCDEF\narrival x\nrcpt a 0 pending 0 0 0 - - 0\n\n",
		"postern-queue 1\nid 0123456789ABCDEF\narrival 1\nrcpt a 0 happy 0 0 0 - - 0\n\n",
		"postern-queue 1\nid 0123456789ABCDEF\narrival 1\nrcpt a%00b 0 pending 0 0 0 - - 0\n\n",
		"postern-queue 1\nid 0123456789ABCDEF\narrival 1\nrcpt a%4 0 pending 0 0 0 - - 0\n\n",
		"postern-queue 1\nid 0123456789ABCDEF\narrival 1\nrcpt a 0 pending 0 0 0 - -\n\n",
		"postern-queue 1\nid 0123456789ABCDEF\narrival 1\nfrob 1\nrcpt a 0 pending 0 0 0 - - 0\n\n",
		"postern-queue 1\nid 0123456789ABCDEF\narrival 1\nrcpt a 0 pending 0 0 0 - - 0\n",
	};
	struct queue_envelope env;
	const char *errstr;
	size_t used;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (queue_env_parse(bad[i], strlen(bad[i]), &env, &used,
		    &errstr) != -1)
			fail_msg("row %zu parsed", i);
}

static char *
tmpdir(void)
{
	char t[] = "/tmp/postern-spool-XXXXXX";

	assert_non_null(mkdtemp(t));
	return strdup(t);
}

static void
rmrf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_spool_write_load_state_remove(void **state)
{
	char *dir = tmpdir(), err[256], path[512], id[QUEUE_ID_LEN + 1];
	struct spool *sp;
	struct spool_msg *m;
	struct queue_envelope env, got;
	char **ids;
	size_t n;
	int fd;
	off_t off, size;
	char body[64];

	(void)state;
	assert_int_equal(spool_open(dir, &sp, err, sizeof(err)), 0);
	sample(&env);
	assert_int_equal(spool_msg_begin(sp, &env, &m), 0);
	assert_true(spool_id_valid(env.id));
	assert_string_equal(spool_msg_id(m), env.id);
	memcpy(id, env.id, sizeof(id));
	assert_int_equal(spool_msg_write(m, "Subject: x\r\n\r\n", 14), 0);
	assert_int_equal(spool_msg_write(m, "hello\r\n", 7), 0);
	assert_int_equal(spool_msg_size(m), 21);
	/* not visible before the commit */
	assert_int_equal(spool_list(sp, &ids, &n), 0);
	assert_int_equal(n, 0);
	spool_list_free(ids, n);
	assert_int_equal(spool_commit_sync(&m), 0);
	assert_null(m);
	assert_int_equal(spool_list(sp, &ids, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], id);
	spool_list_free(ids, n);

	assert_int_equal(spool_load(sp, id, &got, &fd, &off, &size), 0);
	assert_int_equal(size, 21);
	assert_int_equal(pread(fd, body, 21, off), 21);
	assert_memory_equal(body, "Subject: x\r\n\r\nhello\r\n", 21);
	close(fd);
	assert_int_equal(got.rcpts[0].status, QUEUE_RCPT_PENDING);
	got.rcpts[0].status = QUEUE_RCPT_DONE;
	assert_int_equal(spool_state_save(sp, &got), 0);
	queue_env_free(&got);
	assert_int_equal(spool_load(sp, id, &got, NULL, NULL, NULL), 0);
	assert_int_equal(got.rcpts[0].status, QUEUE_RCPT_DONE);
	queue_env_free(&got);

	assert_int_equal(spool_remove(sp, id), 0);
	assert_int_equal(spool_load(sp, id, &got, NULL, NULL, NULL), -1);
	snprintf(path, sizeof(path), "%s/queue/state/%s", dir, id);
	assert_int_equal(access(path, F_OK), -1);

	/* abort leaves nothing behind */
	assert_int_equal(spool_msg_begin(sp, &env, &m), 0);
	spool_msg_abort(&m);
	snprintf(path, sizeof(path), "rmdir '%s/queue/tmp'", dir);
	assert_int_equal(system(path), 0);

	queue_env_free(&env);
	spool_close(&sp);
	rmrf(dir);
	free(dir);
}

static void
test_corrupt_file_is_reported(void **state)
{
	char *dir = tmpdir(), err[256], path[512];
	struct queue_envelope env;
	struct spool *sp;
	FILE *f;

	(void)state;
	assert_int_equal(spool_open(dir, &sp, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/queue/msg/00000000000000AA", dir);
	f = fopen(path, "w");
	fputs("garbage\n\n", f);
	fclose(f);
	errno = 0;
	assert_int_equal(spool_load(sp, "00000000000000AA", &env, NULL, NULL,
	    NULL), -1);
	assert_int_equal(errno, EBADMSG);
	assert_int_equal(spool_quarantine(sp, "00000000000000AA"), 0);
	snprintf(path, sizeof(path), "%s/queue/corrupt/00000000000000AA", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(spool_load(sp, "../../x", &env, NULL, NULL, NULL), -1);
	spool_close(&sp);
	rmrf(dir);
	free(dir);
}

struct gc {
	int	ok, failed;
	struct event_base *base;
	int	want;
};

static void
gc_done(void *arg, int ok, const char *id)
{
	struct gc *g = arg;

	assert_true(spool_id_valid(id));
	if (ok == 0)
		g->ok++;
	else
		g->failed++;
	if (g->ok + g->failed == g->want)
		event_base_loopexit(g->base, NULL);
}

static void
test_group_commit(void **state)
{
	char *dir = tmpdir(), err[256];
	struct spool_committer *c;
	struct spool *sp;
	struct gc g = { 0, 0, NULL, 200 };
	char **ids;
	size_t n;

	(void)state;
	assert_int_equal(spool_open(dir, &sp, err, sizeof(err)), 0);
	g.base = event_base_new();
	c = spool_committer_new(sp, g.base);
	for (int i = 0; i < g.want; i++) {
		struct queue_envelope env;
		struct spool_msg *m;
		sample(&env);
		assert_int_equal(spool_msg_begin(sp, &env, &m), 0);
		assert_int_equal(spool_msg_write(m, "x\r\n", 3), 0);
		spool_commit(c, &m, gc_done, &g);
		queue_env_free(&env);
	}
	event_base_dispatch(g.base);
	assert_int_equal(g.ok, g.want);
	assert_int_equal(g.failed, 0);
	spool_committer_free(&c);
	event_base_free(g.base);
	assert_int_equal(spool_list(sp, &ids, &n), 0);
	assert_int_equal(n, (size_t)g.want);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(ids[i - 1], ids[i]) < 0);
	spool_list_free(ids, n);
	spool_close(&sp);
	rmrf(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_round_trip),
		cmocka_unit_test(test_envelope_rejects_junk),
		cmocka_unit_test(test_spool_write_load_state_remove),
		cmocka_unit_test(test_corrupt_file_is_reported),
		cmocka_unit_test(test_group_commit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
