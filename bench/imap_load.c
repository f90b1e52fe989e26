/*
 * imap_load.c: the IMAP load generator of bench/imap_bench.sh (posternd
 * against Dovecot). Plain TCP, no TLS; built as build/tools/imap-load.
 *
 *   imap-load HOST PORT USERFMT PASS CLIENTS SECONDS mix
 *       CLIENTS threads, thread i logs in as USERFMT with %d = i (each
 *       its own mailbox, which must hold at least MIX_MIN messages).
 *       Each runs sessions until SECONDS have passed: connect, LOGIN,
 *       SELECT INBOX, then MIX_ROUNDS rounds of
 *           FETCH 20 messages' headers   (fetch_hdr)
 *           FETCH one whole message      (fetch_body)
 *           SEARCH, header or body       (search)
 *           STORE +FLAGS/-FLAGS \Seen    (store)
 *           APPEND a ~4 KB message       (append)
 *           UID STORE \Deleted on it, then EXPUNGE   (store, expunge)
 *       and LOGOUT, so the mailbox keeps its size. Prints one line per
 *       command, "cmd NAME COUNT OPS_PER_S MEAN_MS MAX_MS", then
 *       "total COUNT OPS_PER_S SECONDS". Rates are over the whole run.
 *   imap-load HOST PORT USER PASS N 0 idle
 *       opens N sessions of USER (no %d), each LOGIN, SELECT
 *       INBOX, IDLE; prints "ready N" once all are idling, then holds
 *       them until stdin is closed, and ends each with DONE, LOGOUT.
 *
 * Exit 0 when every command got its OK, 1 otherwise (with the first
 * failure on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF		65536
#define LINE_MAX_	16384		/* one response line kept */
#define CLIENTS_MAX	1000
#define MIX_ROUNDS	10		/* rounds per session */
#define MIX_MIN		40		/* messages a mailbox needs */
#define HDR_WINDOW	20		/* messages per header FETCH */
#define IDLE_INFLIGHT	256		/* idle mode: logins at once */

enum op { OP_LOGIN, OP_SELECT, OP_FETCH_HDR, OP_FETCH_BODY, OP_SEARCH,
    OP_STORE, OP_APPEND, OP_EXPUNGE, OP_LOGOUT, OP_N };
static const char *const op_names[OP_N] = { "login", "select", "fetch_hdr",
    "fetch_body", "search", "store", "append", "expunge", "logout" };

struct stats {
	long	count[OP_N];
	double	sum[OP_N], max[OP_N];	/* seconds */
};

struct run {
	const char	*host, *userfmt, *pass;
	int		 port, clients, seconds;
	double		 end;
	atomic_int	 failed;
	pthread_mutex_t	 mu;
	struct stats	 total;
};

struct conn {
	int	 fd;
	char	 buf[RBUF];
	size_t	 off, len;
	char	 line[LINE_MAX_];	/* the last response line */
	unsigned tagno;
	long	 exists;
	uint32_t appenduid;
	unsigned seed;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&r->failed, 1) != 0)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
fill(struct conn *c)
{
	ssize_t n;

	do
		n = read(c->fd, c->buf, sizeof(c->buf));
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1;
	c->off = 0;
	c->len = (size_t)n;
	return 0;
}

/* Skips n bytes of a literal. */
static int
skip(struct conn *c, size_t n)
{
	while (n > 0) {
		if (c->off == c->len && fill(c) == -1)
			return -1;
		size_t k = c->len - c->off < n ? c->len - c->off : n;
		c->off += k;
		n -= k;
	}
	return 0;
}

/*
 * One response line into c->line (without CRLF, cut at LINE_MAX_);
 * literals inside it ("{N}" at a line end) are skipped and replaced by
 * "{}" so the rest of the response joins the line. 0 or -1.
 */
static int
getresp(struct conn *c)
{
	size_t n = 0;

	for (;;) {
		if (c->off == c->len && fill(c) == -1)
			return -1;
		char *start = c->buf + c->off;
		char *nl = memchr(start, '\n', c->len - c->off);
		size_t k = nl ? (size_t)(nl - start) : c->len - c->off;
		size_t room = sizeof(c->line) - 1 - n;

		memcpy(c->line + n, start, k < room ? k : room);
		n += k < room ? k : room;
		c->off += k + (nl ? 1 : 0);
		if (nl == NULL)
			continue;
		if (n > 0 && c->line[n - 1] == '\r')
			n--;
		c->line[n] = '\0';
		/* "{123}" at the end: a literal follows. */
		if (n > 2 && c->line[n - 1] == '}') {
			char *open = strrchr(c->line, '{');
			if (open != NULL) {
				char *e;
				unsigned long len = strtoul(open + 1, &e, 10);
				if (*e == '}' || *e == '+') {
					if (skip(c, len) == -1)
						return -1;
					n = (size_t)(open - c->line) + 2;
					memcpy(open, "{}", 3);
					continue;
				}
			}
		}
		return 0;
	}
}

static int
sendall(struct conn *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(c->fd, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Notes what untagged lines tell the client (EXISTS, APPENDUID). */
static void
untagged(struct conn *c)
{
	char *e;
	long v;

	if (strncmp(c->line, "* ", 2) != 0)
		return;
	v = strtol(c->line + 2, &e, 10);
	if (e != c->line + 2 && strcmp(e, " EXISTS") == 0)
		c->exists = v;
	else if (e != c->line + 2 && strcmp(e, " EXPUNGE") == 0)
		c->exists--;
}

/* Reads up to the tagged reply of tag; 0 when it is OK. */
static int
wait_tag(struct conn *c, const char *tag)
{
	size_t tl = strlen(tag);

	for (;;) {
		if (getresp(c) == -1)
			return -1;
		if (strncmp(c->line, tag, tl) == 0 && c->line[tl] == ' ') {
			const char *au = strstr(c->line, "[APPENDUID ");
			if (au != NULL)
				c->appenduid = (uint32_t)strtoul(
				    strchr(au + 11, ' ') + 1, NULL, 10);
			return strncmp(c->line + tl + 1, "OK", 2) == 0 ?
			    0 : -1;
		}
		untagged(c);
	}
}

/* Sends "TAG text\r\n" and waits for its OK; the time it took into st. */
static int
command(struct run *r, struct conn *c, struct stats *st, enum op op,
    const char *fmt, ...)
{
	char cmd[1024], tag[16];
	va_list ap;
	int n, k;
	double t0 = now();

	snprintf(tag, sizeof(tag), "a%u", ++c->tagno);
	n = snprintf(cmd, sizeof(cmd), "%s ", tag);
	va_start(ap, fmt);
	k = vsnprintf(cmd + n, sizeof(cmd) - (size_t)n - 2, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)(n + k) >= sizeof(cmd) - 2)
		return -1;
	memcpy(cmd + n + k, "\r\n", 2);
	if (sendall(c, cmd, (size_t)(n + k + 2)) == -1 ||
	    wait_tag(c, tag) == -1) {
		fail(r, "%s failed: %s", op_names[op], c->line);
		return -1;
	}
	double dt = now() - t0;
	st->count[op]++;
	st->sum[op] += dt;
	if (dt > st->max[op])
		st->max[op] = dt;
	return 0;
}

static int
dial(struct run *r, struct conn *c)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)r->port) };
	int on = 1;

	c->off = c->len = 0;
	c->tagno = 0;
	inet_pton(AF_INET, r->host, &sin.sin_addr);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getresp(c) == -1 || strncmp(c->line, "* OK", 4) != 0) {
		fail(r, "connect/greeting failed");
		close(c->fd);
		return -1;
	}
	return 0;
}

/* A message of about 4 KB, different every time. */
static size_t
make_message(char *out, size_t size, long id, unsigned n)
{
	size_t len = (size_t)snprintf(out, size,
	    "From: Load Generator <load@example.org>\r\n"
	    "To: client%ld@example.org\r\n"
	    "Subject: appended %ld-%u\r\n"
	    "Date: Fri, 27 Nov 2026 05:00:00 +0000\r\n"
	    "Message-ID: <%ld.%u@imap-load>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
	    id, id, n, id, n);

	while (len + 80 < size && len < 4096) {
		memcpy(out + len, "The quick brown fox jumps over the lazy "
		    "dog and keeps running along the river.\r\n", 80);
		len += 80;
	}
	return len;
}

static int
do_append(struct run *r, struct conn *c, struct stats *st, long id,
    unsigned n)
{
	char msg[8192], cmd[128], tag[16];
	size_t len = make_message(msg, sizeof(msg), id, n);
	double t0 = now();

	snprintf(tag, sizeof(tag), "a%u", ++c->tagno);
	snprintf(cmd, sizeof(cmd), "%s APPEND INBOX (\\Seen) {%zu}\r\n", tag,
	    len);
	c->appenduid = 0;
	if (sendall(c, cmd, strlen(cmd)) == -1 || getresp(c) == -1 ||
	    c->line[0] != '+') {
		fail(r, "append: no continuation: %s", c->line);
		return -1;
	}
	if (sendall(c, msg, len) == -1 || sendall(c, "\r\n", 2) == -1 ||
	    wait_tag(c, tag) == -1 || c->appenduid == 0) {
		fail(r, "append failed: %s", c->line);
		return -1;
	}
	double dt = now() - t0;
	st->count[OP_APPEND]++;
	st->sum[OP_APPEND] += dt;
	if (dt > st->max[OP_APPEND])
		st->max[OP_APPEND] = dt;
	return 0;
}

/* One session: LOGIN, SELECT, MIX_ROUNDS rounds, LOGOUT. */
static int
session(struct run *r, struct conn *c, struct stats *st, long id,
    const char *user)
{
	static const char *const words[] = { "lorem", "river", "zebra",
	    "needle", "ocean", "quantum" };
	unsigned k = 0;

	if (dial(r, c) == -1)
		return -1;
	if (command(r, c, st, OP_LOGIN, "LOGIN \"%s\" \"%s\"", user,
	    r->pass) == -1 ||
	    command(r, c, st, OP_SELECT, "SELECT INBOX") == -1)
		goto bad;
	if (c->exists < MIX_MIN) {
		fail(r, "%s: only %ld messages", user, c->exists);
		goto bad;
	}
	for (int i = 0; i < MIX_ROUNDS && now() < r->end; i++) {
		long m = c->exists;
		long lo = 1 + (long)(rand_r(&c->seed) % (unsigned)(m -
		    HDR_WINDOW + 1));
		long one = 1 + (long)(rand_r(&c->seed) % (unsigned)m);
		unsigned pick = (unsigned)rand_r(&c->seed);

		if (command(r, c, st, OP_FETCH_HDR, "FETCH %ld:%ld (UID FLAGS "
		    "RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT "
		    "DATE MESSAGE-ID)])", lo, lo + HDR_WINDOW - 1) == -1 ||
		    command(r, c, st, OP_FETCH_BODY, "FETCH %ld BODY.PEEK[]",
		    one) == -1)
			goto bad;
		if (((unsigned)i & 1) == 0) {
			if (command(r, c, st, OP_SEARCH, "UID SEARCH SUBJECT "
			    "\"message %u\"", pick % 50) == -1)
				goto bad;
		} else if (command(r, c, st, OP_SEARCH, "UID SEARCH BODY "
		    "\"%s\"", words[pick % 6]) == -1)
			goto bad;
		if (command(r, c, st, OP_STORE, "STORE %ld %cFLAGS (\\Seen)",
		    one, (pick & 1) ? '+' : '-') == -1 ||
		    do_append(r, c, st, id, ++k) == -1 ||
		    command(r, c, st, OP_STORE, "UID STORE %u +FLAGS.SILENT "
		    "(\\Deleted)", c->appenduid) == -1 ||
		    command(r, c, st, OP_EXPUNGE, "EXPUNGE") == -1)
			goto bad;
	}
	if (command(r, c, st, OP_LOGOUT, "LOGOUT") == -1)
		goto bad;
	close(c->fd);
	return 0;
bad:
	close(c->fd);
	return -1;
}

struct worker_arg {
	struct run	*run;
	long		 id;
};

static void *
mix_worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct run *r = wa->run;
	struct conn *c = calloc(1, sizeof(*c));
	struct stats st;
	char user[256];

	memset(&st, 0, sizeof(st));
	if (c == NULL) {
		fail(r, "out of memory");
		return NULL;
	}
	c->seed = (unsigned)wa->id * 7919u + 17u;
	snprintf(user, sizeof(user), r->userfmt, (int)wa->id);
	while (now() < r->end && atomic_load(&r->failed) == 0)
		if (session(r, c, &st, wa->id, user) == -1)
			break;
	pthread_mutex_lock(&r->mu);
	for (int i = 0; i < OP_N; i++) {
		r->total.count[i] += st.count[i];
		r->total.sum[i] += st.sum[i];
		if (st.max[i] > r->total.max[i])
			r->total.max[i] = st.max[i];
	}
	pthread_mutex_unlock(&r->mu);
	free(c);
	return NULL;
}

static int
run_mix(struct run *r)
{
	pthread_t th[CLIENTS_MAX];
	struct worker_arg wa[CLIENTS_MAX];
	double t0 = now(), dt;
	long all = 0;

	r->end = t0 + r->seconds;
	for (int i = 0; i < r->clients; i++) {
		wa[i].run = r;
		wa[i].id = i;
		if (pthread_create(&th[i], NULL, mix_worker, &wa[i]) != 0) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < r->clients; i++)
		pthread_join(th[i], NULL);
	dt = now() - t0;
	for (int i = 0; i < OP_N; i++) {
		long n = r->total.count[i];
		printf("cmd %-10s %7ld %9.1f %8.2f %8.1f\n", op_names[i], n,
		    (double)n / dt, n ? r->total.sum[i] / (double)n * 1e3 : 0,
		    r->total.max[i] * 1e3);
		if (i != OP_LOGOUT)
			all += n;
	}
	printf("total %ld %.1f %.2f\n", all, (double)all / dt, dt);
	return atomic_load(&r->failed) ? 1 : 0;
}

/*
 * Idle mode: one thread, non-blocking sockets on epoll. Each session
 * steps through greeting, LOGIN, SELECT and IDLE; IDLE_INFLIGHT are
 * being set up at once.
 */
enum idle_step { ST_GREET, ST_LOGIN, ST_SELECT, ST_IDLE, ST_IDLING };

struct iconn {
	int		 fd;
	enum idle_step	 step;
	char		 in[4096];
	size_t		 len;
};

static int
iconn_start(struct run *r, int ep, struct iconn *ic)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)r->port) };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ic };

	inet_pton(AF_INET, r->host, &sin.sin_addr);
	if ((ic->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		fail(r, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(ic->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		fail(r, "connect: %s", strerror(errno));
		return -1;
	}
	fcntl(ic->fd, F_SETFL, O_NONBLOCK);
	ic->step = ST_GREET;
	ic->len = 0;
	return epoll_ctl(ep, EPOLL_CTL_ADD, ic->fd, &ev);
}

/* Advances a session on its complete input lines; 1 idling, 0, -1. */
static int
iconn_input(struct run *r, struct iconn *ic, const char *user)
{
	char cmd[512];
	char *nl;

	for (;;) {
		ssize_t n = read(ic->fd, ic->in + ic->len,
		    sizeof(ic->in) - 1 - ic->len);
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			fail(r, "idle: connection closed at step %d",
			    ic->step);
			return -1;
		}
		ic->len += (size_t)n;
		if (ic->len == sizeof(ic->in) - 1)
			ic->len = 0;	/* long untagged data: not needed */
	}
	ic->in[ic->len] = '\0';
	while ((nl = strchr(ic->in, '\n')) != NULL) {
		const char *want = NULL, *next = NULL;
		enum idle_step to = ic->step;

		switch (ic->step) {
		case ST_GREET:
			if (strncmp(ic->in, "* OK", 4) == 0) {
				snprintf(cmd, sizeof(cmd), "l LOGIN \"%s\" "
				    "\"%s\"\r\n", user, r->pass);
				next = cmd;
				to = ST_LOGIN;
			}
			break;
		case ST_LOGIN:
			want = "l ";
			next = "s SELECT INBOX\r\n";
			to = ST_SELECT;
			break;
		case ST_SELECT:
			want = "s ";
			next = "i IDLE\r\n";
			to = ST_IDLE;
			break;
		case ST_IDLE:
			if (ic->in[0] == '+')
				to = ST_IDLING;
			else if (strncmp(ic->in, "i ", 2) == 0) {
				fail(r, "idle refused: %s", ic->in);
				return -1;
			}
			break;
		case ST_IDLING:
			break;
		}
		if (want != NULL && strncmp(ic->in, want, 2) == 0) {
			if (strncmp(ic->in + 2, "OK", 2) != 0) {
				fail(r, "idle setup failed: %s", ic->in);
				return -1;
			}
		} else if (want != NULL)
			next = NULL, to = ic->step;
		if (next != NULL && write(ic->fd, next, strlen(next)) !=
		    (ssize_t)strlen(next)) {
			fail(r, "idle: write failed");
			return -1;
		}
		ic->step = to;
		ic->len -= (size_t)(nl + 1 - ic->in);
		memmove(ic->in, nl + 1, ic->len + 1);
	}
	return ic->step == ST_IDLING ? 1 : 0;
}

static int
run_idle(struct run *r)
{
	struct iconn *ic = calloc((size_t)r->clients, sizeof(*ic));
	struct epoll_event evs[256];
	struct rlimit rl;
	char user[256], drain[256];
	int ep = epoll_create1(0), started = 0, ready = 0, rc = 0;
	double t0 = now();

	if (ic == NULL || ep == -1)
		return 1;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	snprintf(user, sizeof(user), "%s", r->userfmt);
	while (ready < r->clients && atomic_load(&r->failed) == 0) {
		while (started < r->clients && started - ready <
		    IDLE_INFLIGHT)
			if (iconn_start(r, ep, &ic[started++]) == -1)
				goto out;
		int n = epoll_wait(ep, evs, 256, 30000);
		if (n <= 0) {
			fail(r, "idle: stalled with %d of %d idling", ready,
			    r->clients);
			goto out;
		}
		for (int i = 0; i < n; i++) {
			struct iconn *x = evs[i].data.ptr;
			if (x->step == ST_IDLING)
				continue;
			int k = iconn_input(r, x, user);
			if (k == -1)
				goto out;
			ready += k;
		}
	}
	printf("ready %d %.1f\n", ready, now() - t0);
	fflush(stdout);
	while (read(0, drain, sizeof(drain)) > 0)
		;
	for (int i = 0; i < started; i++) {
		if (ic[i].fd > 0) {
			(void)!write(ic[i].fd, "DONE\r\nz LOGOUT\r\n", 16);
			close(ic[i].fd);
		}
	}
out:
	rc = atomic_load(&r->failed) ? 1 : 0;
	close(ep);
	free(ic);
	return rc;
}

int
main(int argc, char **argv)
{
	struct run r;

	if (argc != 8 || (strcmp(argv[7], "mix") != 0 &&
	    strcmp(argv[7], "idle") != 0)) {
		fprintf(stderr, "usage: imap-load HOST PORT USERFMT PASS "
		    "CLIENTS SECONDS mix\n"
		    "       imap-load HOST PORT USERFMT PASS N 0 idle\n");
		return 2;
	}
	memset(&r, 0, sizeof(r));
	r.host = argv[1];
	r.port = atoi(argv[2]);
	r.userfmt = argv[3];
	r.pass = argv[4];
	r.clients = atoi(argv[5]);
	r.seconds = atoi(argv[6]);
	pthread_mutex_init(&r.mu, NULL);
	if (strcmp(argv[7], "idle") == 0) {
		if (r.clients < 1 || strchr(r.userfmt, '%') != NULL)
			return 2;
		return run_idle(&r);
	}
	if (r.clients < 1 || r.clients > CLIENTS_MAX || r.seconds < 1 ||
	    strstr(r.userfmt, "%d") == NULL)
		return 2;
	return run_mix(&r);
}
