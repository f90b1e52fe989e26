/*
 * queue.c: posternctl queue list | show ID | flush | delete ID.
 *
 * Reads the spool directly (it is plain files); `flush` leaves a request
 * that the queue role picks up at once (inotify), `delete` removes the
 * files — the queue role notices the message is gone before its next try.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "queue/spool.h"

static void
age(int64_t arrival, char *out, size_t outlen)
{
	int64_t s = (int64_t)time(NULL) - arrival;

	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, outlen, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(out, outlen, "%lldm", (long long)s / 60);
	else if (s < 2 * 86400)
		snprintf(out, outlen, "%lldh", (long long)s / 3600);
	else
		snprintf(out, outlen, "%lldd", (long long)s / 86400);
}

static void
print_rcpts(const struct queue_envelope *env)
{
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];
		printf("    %s %s", r->addr, queue_rcpt_status_name(r->status));
		if (r->attempts)
			printf(" attempts=%u", r->attempts);
		if (r->status == QUEUE_RCPT_DEFERRED && r->next_try > 0) {
			int64_t in = r->next_try - (int64_t)time(NULL);
			printf(" next-try=%llds", (long long)(in > 0 ? in : 0));
		}
		if (r->error)
			printf(" (%s)", r->error);
		printf("\n");
	}
}

static int
list(struct spool *sp)
{
	char **ids;
	size_t n;

	if (spool_list(sp, &ids, &n) == -1) {
		fprintf(stderr, "posternctl: %s: %s\n", spool_path(sp),
		    strerror(errno));
		return CTL_TEMPFAIL;
	}
	for (size_t i = 0; i < n; i++) {
		struct queue_envelope env;
		off_t size;
		char a[32];

		if (spool_load(sp, ids[i], &env, NULL, NULL, &size) == -1) {
			if (errno != ENOENT)
				printf("%s unreadable: %s\n", ids[i],
				    strerror(errno));
			continue;
		}
		age(env.arrival, a, sizeof(a));
		printf("%s %lld %s <%s>\n", env.id, (long long)size, a,
		    env.sender);
		print_rcpts(&env);
		queue_env_free(&env);
	}
	if (n == 0)
		printf("queue is empty\n");
	spool_list_free(ids, n);
	return CTL_OK;
}

static int
show(struct spool *sp, const char *id)
{
	struct queue_envelope env;
	char chunk[8192];
	off_t off, size;
	int fd;

	if (spool_load(sp, id, &env, &fd, &off, &size) == -1) {
		fprintf(stderr, "posternctl: queue id %s: %s\n", id,
		    errno == ENOENT ? "not in the queue" : strerror(errno));
		return errno == ENOENT ? CTL_NOTFOUND : CTL_TEMPFAIL;
	}
	printf("id: %s\narrival: %lld\nsender: <%s>\nsize: %lld\n", env.id,
	    (long long)env.arrival, env.sender, (long long)size);
	if (env.client)
		printf("client: %s (%s)\n", env.client,
		    env.helo ? env.helo : "no helo");
	if (env.auth)
		printf("auth: %s\n", env.auth);
	printf("recipients:\n");
	print_rcpts(&env);
	printf("\n");
	fflush(stdout);
	while (size > 0) {
		ssize_t r = pread(fd, chunk, sizeof(chunk), off);
		if (r <= 0)
			break;
		fwrite(chunk, 1, (size_t)r, stdout);
		off += r;
		size -= r;
	}
	close(fd);
	queue_env_free(&env);
	return CTL_OK;
}

int
ctl_queue(struct ctl *ctl, int argc, char **argv)
{
	char err[512];
	struct spool *sp;
	int r = CTL_USAGE;

	if (argc < 2)
		goto usage;
	if (spool_open(ctl->cfg.data_dir, &sp, err, sizeof(err)) == -1) {
		fprintf(stderr, "posternctl: %s\n", err);
		return CTL_TEMPFAIL;
	}
	if (strcmp(argv[1], "list") == 0 && argc == 2)
		r = list(sp);
	else if (strcmp(argv[1], "show") == 0 && argc == 3)
		r = show(sp, argv[2]);
	else if (strcmp(argv[1], "flush") == 0 && argc == 2) {
		if (spool_flush_request(sp) == -1) {
			fprintf(stderr, "posternctl: flush: %s\n",
			    strerror(errno));
			r = CTL_TEMPFAIL;
		} else {
			printf("flush requested\n");
			r = CTL_OK;
		}
	} else if (strcmp(argv[1], "delete") == 0 && argc == 3) {
		if (spool_remove(sp, argv[2]) == -1) {
			fprintf(stderr, "posternctl: queue id %s: %s\n",
			    argv[2], errno == ENOENT ? "not in the queue" :
			    strerror(errno));
			r = errno == ENOENT ? CTL_NOTFOUND : CTL_TEMPFAIL;
		} else {
			printf("%s deleted\n", argv[2]);
			r = CTL_OK;
		}
	} else {
		spool_close(&sp);
		goto usage;
	}
	spool_close(&sp);
	return r;
usage:
	fprintf(stderr, "usage: posternctl queue list | show ID | flush | "
	    "delete ID\n");
	return CTL_USAGE;
}
