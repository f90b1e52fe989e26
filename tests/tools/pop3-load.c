/*
 * pop3-load.c: a POP3 load generator for bench/pop3_bench.sh (posternd
 * against Dovecot). Each of SESSIONS threads logs in as its own user
 * (USERFMT with %d = thread number) so maildrop locks never collide.
 *
 *   pop3-load HOST PORT USERFMT PASS SESSIONS retr
 *       each session: login, STAT, RETR every message, QUIT; prints
 *       "retr MESSAGES BYTES SECONDS RATE". The clock runs from the
 *       moment every session is logged in to the last RETR's end, so
 *       RATE (RETR/s over all sessions) leaves out the password hashing.
 *   pop3-load HOST PORT USERFMT PASS SESSIONS login SECONDS
 *       each session loops connect, USER, PASS, QUIT for SECONDS;
 *       prints "login SESSIONS_DONE SECONDS RATE"
 *
 * Exit 0 when every command got +OK, 1 otherwise.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF	65536

struct conn {
	int	 fd;
	char	 buf[RBUF];
	size_t	 off, len;
};

static const char *host, *userfmt, *pass, *mode;
static int port, seconds;
static atomic_long done_msgs, done_bytes, done_logins, failures;
static pthread_barrier_t ready;		/* sessions logged in (retr) */
static pthread_mutex_t end_mu = PTHREAD_MUTEX_INITIALIZER;
static double retr_end;			/* the last RETR's end */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One line without its CRLF into line (size bytes); its length or -1. */
static long
getline_(struct conn *c, char *line, size_t size)
{
	size_t n = 0;

	for (;;) {
		if (c->off == c->len) {
			ssize_t r = read(c->fd, c->buf, sizeof(c->buf));
			if (r <= 0)
				return -1;
			c->off = 0;
			c->len = (size_t)r;
		}
		char ch = c->buf[c->off++];
		if (ch == '\n') {
			if (n > 0 && line[n - 1] == '\r')
				n--;
			line[n < size ? n : size - 1] = '\0';
			return (long)n;
		}
		if (n + 1 < size)
			line[n] = ch;
		n++;
	}
}

static int
say(struct conn *c, const char *fmt, const char *arg)
{
	char out[512];
	int n = snprintf(out, sizeof(out), fmt, arg);

	return write(c->fd, out, (size_t)n) == n ? 0 : -1;
}

/* Sends a command and wants +OK. */
static int
cmd(struct conn *c, const char *fmt, const char *arg, char *reply,
    size_t size)
{
	if (say(c, fmt, arg) == -1 || getline_(c, reply, size) < 0)
		return -1;
	return strncmp(reply, "+OK", 3) == 0 ? 0 : -1;
}

static int
dial(struct conn *c)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	char line[1024];
	int on = 1;

	c->off = c->len = 0;
	inet_pton(AF_INET, host, &sin.sin_addr);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getline_(c, line, sizeof(line)) < 0 || line[0] != '+') {
		close(c->fd);
		return -1;
	}
	return 0;
}

static int
login(struct conn *c, const char *user)
{
	char line[1024];

	return cmd(c, "USER %s\r\n", user, line, sizeof(line)) == 0 &&
	    cmd(c, "PASS %s\r\n", pass, line, sizeof(line)) == 0 ? 0 : -1;
}

/* Skips a multi-line body up to its ".\r\n" line; bytes seen, or -1.
 * Scans with memchr between line starts: the generator must not be
 * the bottleneck. */
static long
skip_body(struct conn *c)
{
	int state = 1;		/* 1 line start, 2 ".", 3 ".\r", 0 inside */
	long bytes = 0;

	for (;;) {
		if (c->off == c->len) {
			ssize_t r = read(c->fd, c->buf, sizeof(c->buf));
			if (r <= 0)
				return -1;
			c->off = 0;
			c->len = (size_t)r;
		}
		if (state == 0) {
			char *nl = memchr(c->buf + c->off, '\n',
			    c->len - c->off);
			size_t n = nl ? (size_t)(nl - (c->buf + c->off)) + 1 :
			    c->len - c->off;
			c->off += n;
			bytes += (long)n;
			if (nl != NULL)
				state = 1;
			continue;
		}
		char ch = c->buf[c->off++];
		bytes++;
		if (state == 1 && ch == '.')
			state = 2;
		else if (state == 2 && ch == '\r')
			state = 3;
		else if (state == 3 && ch == '\n')
			return bytes - 3;
		else
			state = ch == '\n' ? 1 : 0;
	}
}

static int
retr_all(struct conn *c)
{
	char line[1024], num[32];
	long n;

	if (cmd(c, "STAT\r\n", "", line, sizeof(line)) == -1)
		return -1;
	n = strtol(line + 4, NULL, 10);
	for (long i = 1; i <= n; i++) {
		snprintf(num, sizeof(num), "%ld", i);
		if (cmd(c, "RETR %s\r\n", num, line, sizeof(line)) == -1)
			return -1;
		long bytes = skip_body(c);
		if (bytes < 0)
			return -1;
		done_msgs++;
		done_bytes += bytes;
	}
	return 0;
}

static void *
worker(void *arg)
{
	long id = (long)arg;
	char user[256], line[1024];
	struct conn *c = malloc(sizeof(*c));
	double end = now() + seconds;

	snprintf(user, sizeof(user), userfmt, (int)id);
	if (strcmp(mode, "retr") == 0) {
		int ok = dial(c) == 0 && login(c, user) == 0;

		pthread_barrier_wait(&ready);
		if (!ok || retr_all(c) == -1)
			failures++;
		pthread_mutex_lock(&end_mu);
		if (now() > retr_end)
			retr_end = now();
		pthread_mutex_unlock(&end_mu);
		if (ok && cmd(c, "QUIT\r\n", "", line, sizeof(line)) == -1)
			failures++;
		if (ok)
			close(c->fd);
		free(c);
		return NULL;
	}
	do {
		if (dial(c) == -1) {
			failures++;
			break;
		}
		if (login(c, user) == -1 ||
		    cmd(c, "QUIT\r\n", "", line, sizeof(line)) == -1)
			failures++;
		else
			done_logins++;
		close(c->fd);
	} while (now() < end && !failures);
	free(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t *t;
	int sessions;
	double t0, dt;

	if (argc < 7 || (strcmp(argv[6], "login") == 0 && argc < 8)) {
		fprintf(stderr, "usage: pop3-load HOST PORT USERFMT PASS "
		    "SESSIONS retr|login [SECONDS]\n");
		return 1;
	}
	host = argv[1];
	port = atoi(argv[2]);
	userfmt = argv[3];
	pass = argv[4];
	sessions = atoi(argv[5]);
	mode = argv[6];
	seconds = argc > 7 ? atoi(argv[7]) : 0;
	t = calloc((size_t)sessions, sizeof(*t));
	pthread_barrier_init(&ready, NULL, (unsigned)sessions + 1);
	t0 = now();
	for (long i = 0; i < sessions; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	if (strcmp(mode, "retr") == 0) {
		pthread_barrier_wait(&ready);
		t0 = now();
	}
	for (int i = 0; i < sessions; i++)
		pthread_join(t[i], NULL);
	dt = (strcmp(mode, "retr") == 0 ? retr_end : now()) - t0;
	if (strcmp(mode, "retr") == 0)
		printf("retr %ld %ld %.3f %.0f\n", (long)done_msgs,
		    (long)done_bytes, dt, done_msgs / dt);
	else
		printf("login %ld %.3f %.0f\n", (long)done_logins, dt,
		    done_logins / dt);
	free(t);
	if (failures)
		fprintf(stderr, "pop3-load: %ld failures\n", (long)failures);
	return failures ? 1 : 0;
}
