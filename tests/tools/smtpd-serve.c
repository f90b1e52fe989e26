/*
 * smtpd-serve: the SMTP session engine on a loopback TCP port, for
 * interoperability tests with real clients (Python's smtplib, swaks,
 * curl). A minimal reference glue: blocking sockets, one connection at a
 * time, synchronous ops, no TLS. Not the daemon (src/daemon is).
 *
 * usage: smtpd-serve [-m mta|submission] [-P] [-R] [-s MAXSIZE] [-g]
 *                    PORTFILE OUTDIR
 *   -m  listener kind (default mta)
 *   -P  plaintext AUTH allowed (as plaintext_auth = always)
 *   -R  the peer is in relay_networks
 *   -s  max_message_size in octets (default 1 MiB)
 *   -g  greet only after 300 ms (to test input before the greeting)
 * Binds 127.0.0.1 on a free port and writes its number to PORTFILE once
 * listening. Users: alice@example.org (password "secret"), bob@, and
 * postmaster@ in the local domains example.org and localhost. Every
 * accepted message is written to OUTDIR/ID.eml, its envelope to
 * OUTDIR/ID.env ("from SENDER" then "to RCPT" lines), after fsync.
 * Runs until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "smtpd/session.h"

struct sink {
	const char	*outdir;
	int		 seq;
	FILE		*fp;
	char		 tmp[512];
	char		 id[32];
	char		*env;		/* envelope text */
};

static enum smtpd_rcpt_kind
s_rcpt(void *ctx, const char *mailbox, const char *domain)
{
	static const char *users[] = { "alice", "bob", "postmaster" };
	const char *at = strrchr(mailbox, '@');
	size_t n = at ? (size_t)(at - mailbox) : strlen(mailbox), i;

	if (domain[0] == '\0')
		return SMTPD_RCPT_LOCAL;
	if (strcasecmp(domain, "example.org") != 0 &&
	    strcasecmp(domain, "localhost") != 0)
		return SMTPD_RCPT_REMOTE;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (strlen(users[i]) == n &&
		    strncasecmp(users[i], mailbox, n) == 0)
			return SMTPD_RCPT_LOCAL;
	return SMTPD_RCPT_UNKNOWN;
}

static enum smtpd_status
s_auth(void *ctx, const char *user, const char *pass)
{
	return (strcmp(user, "alice") == 0 ||
	    strcmp(user, "alice@example.org") == 0) &&
	    strcmp(pass, "secret") == 0 ? SMTPD_OK : SMTPD_PERMFAIL;
}

static enum smtpd_status
s_begin(void *ctx, const struct smtpd_envelope *env, char *id, size_t idsize)
{
	struct sink *k = ctx;
	size_t i, len = 0;
	FILE *m;

	snprintf(k->id, sizeof(k->id), "M%d.%ld", ++k->seq, (long)getpid());
	snprintf(k->tmp, sizeof(k->tmp), "%s/.tmp-%s", k->outdir, k->id);
	if ((k->fp = fopen(k->tmp, "w")) == NULL)
		return SMTPD_TEMPFAIL;
	free(k->env);
	k->env = NULL;
	if ((m = open_memstream(&k->env, &len)) == NULL)
		return SMTPD_TEMPFAIL;
	fprintf(m, "from %s\n", env->sender);
	for (i = 0; i < env->nrcpts; i++)
		fprintf(m, "to %s\n", env->rcpts[i].mailbox);
	fclose(m);
	snprintf(id, idsize, "%s", k->id);
	return SMTPD_OK;
}

static int
s_write(void *ctx, const void *data, size_t len)
{
	struct sink *k = ctx;

	return fwrite(data, 1, len, k->fp) == len ? 0 : -1;
}

static void
s_abort(void *ctx)
{
	struct sink *k = ctx;

	if (k->fp != NULL) {
		fclose(k->fp);
		k->fp = NULL;
		unlink(k->tmp);
	}
}

static enum smtpd_status
s_commit(void *ctx)
{
	struct sink *k = ctx;
	char path[600];
	FILE *e;

	if (fflush(k->fp) != 0 || fsync(fileno(k->fp)) != 0) {
		s_abort(k);
		return SMTPD_TEMPFAIL;
	}
	fclose(k->fp);
	k->fp = NULL;
	snprintf(path, sizeof(path), "%s/%s.env", k->outdir, k->id);
	if ((e = fopen(path, "w")) == NULL) {
		unlink(k->tmp);
		return SMTPD_TEMPFAIL;
	}
	fputs(k->env, e);
	fclose(e);
	snprintf(path, sizeof(path), "%s/%s.eml", k->outdir, k->id);
	if (rename(k->tmp, path) != 0) {
		unlink(k->tmp);
		return SMTPD_TEMPFAIL;
	}
	return SMTPD_OK;
}

static void
s_event(void *ctx, enum smtpd_event ev, const char *detail)
{
	fprintf(stderr, "smtpd-serve: event %d %s\n", (int)ev, detail);
}

static const struct smtpd_ops ops = {
	.rcpt_lookup = s_rcpt, .auth = s_auth, .msg_begin = s_begin,
	.msg_write = s_write, .msg_commit = s_commit, .msg_abort = s_abort,
	.event = s_event,
};

/* Writes all pending output; -1 when the peer is gone. */
static int
flush_out(struct smtpd_session *s, int fd)
{
	size_t n;
	const char *o;

	while ((o = smtpd_session_output(s, &n)), n > 0) {
		ssize_t w = write(fd, o, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		smtpd_session_output_consume(s, (size_t)w);
	}
	return 0;
}

static void
serve(int fd, const struct smtpd_settings *set, struct sink *k, bool pause)
{
	struct smtpd_session *s = smtpd_session_new(set, &ops, k);
	static char buf[65536];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (pause) {
		/* Input that arrives during the pause is a pre-greet. */
		if (poll(&pfd, 1, 300) > 0) {
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r > 0)
				smtpd_session_push(s, buf, (size_t)r);
		}
	}
	smtpd_session_greet(s);
	for (;;) {
		ssize_t r;
		size_t off = 0;

		if (flush_out(s, fd) == -1 ||
		    (smtpd_session_actions(s) & SMTPD_ACT_CLOSE))
			break;
		if (poll(&pfd, 1, SMTPD_TIMEOUT_COMMAND * 1000) <= 0) {
			smtpd_session_abort(s, "4.4.2", "Timeout");
			flush_out(s, fd);
			break;
		}
		if ((r = read(fd, buf, sizeof(buf))) <= 0)
			break;
		while (off < (size_t)r) {
			size_t n = smtpd_session_push(s, buf + off,
			    (size_t)r - off);

			if (flush_out(s, fd) == -1)
				goto done;
			if (n == 0) {
				/* Output was full: drained now, resume. */
				smtpd_session_push(s, NULL, 0);
				if (flush_out(s, fd) == -1)
					goto done;
				n = smtpd_session_push(s, buf + off,
				    (size_t)r - off);
				if (n == 0)
					goto done;	/* cannot happen */
			}
			off += n;
		}
		/* No TLS here: a STARTTLS client is told nothing more. */
		if (smtpd_session_actions(s) & SMTPD_ACT_STARTTLS)
			break;
	}
done:
	flush_out(s, fd);
	smtpd_session_free(&s);
}

int
main(int argc, char **argv)
{
	struct smtpd_settings set = { .hostname = "mx.example.org",
		.peer_addr = "127.0.0.1", .max_message_size = 1 << 20 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sink k = { 0 };
	socklen_t slen = sizeof(sin);
	bool pause = false;
	char tmp[600];
	FILE *pf;
	int c, lfd, one = 1;

	while ((c = getopt(argc, argv, "m:PRs:g")) != -1) {
		switch (c) {
		case 'm':
			set.listener = strcmp(optarg, "submission") == 0 ?
			    SMTPD_LISTENER_SUBMISSION : SMTPD_LISTENER_MTA;
			break;
		case 'P':
			set.plaintext_auth = true;
			break;
		case 'R':
			set.peer_relay = true;
			break;
		case 's':
			set.max_message_size = strtoull(optarg, NULL, 10);
			break;
		case 'g':
			pause = true;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2)
		goto usage;
	k.outdir = argv[optind + 1];
	signal(SIGPIPE, SIG_IGN);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 16) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1) {
		perror("smtpd-serve: listen");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[optind]);
	if ((pf = fopen(tmp, "w")) == NULL ||
	    fprintf(pf, "%d\n", ntohs(sin.sin_port)) < 0 || fclose(pf) != 0 ||
	    rename(tmp, argv[optind]) != 0) {
		perror("smtpd-serve: port file");
		return 1;
	}
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd == -1) {
			if (errno == EINTR)
				continue;
			perror("smtpd-serve: accept");
			return 1;
		}
		serve(fd, &set, &k, pause);
		close(fd);
	}
usage:
	fprintf(stderr, "usage: smtpd-serve [-m mta|submission] [-P] [-R] "
	    "[-s MAXSIZE] [-g] PORTFILE OUTDIR\n");
	return 2;
}
