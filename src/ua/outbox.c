/*
 * outbox.c: the UA's local outbox (see outbox.h). Runs in `postern send`,
 * `flush`, `outbox` and `watch`.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/durable.h"
#include "lib/util.h"
#include "ua/outbox.h"
#include "ua/smtp.h"
#include "ua/ua.h"

int
ua_outbox_put(const char *dir, const char *from, char *const *rcpts,
    size_t nrcpt, const char *msg, size_t len, char **name_out)
{
	struct buf b;
	struct timespec ts;
	char *path;
	size_t i;
	int rc;

	if (durable_mkdirs(dir, 0700) == -1)
		return -1;
	buf_init(&b, UA_MSG_MAX + 64 * 1024);
	rc = buf_printf(&b, "from %s\n", from);
	for (i = 0; i < nrcpt && rc == 0; i++)
		rc = buf_printf(&b, "rcpt %s\n", rcpts[i]);
	if (rc == 0)
		rc = buf_putc(&b, '\n');
	if (rc == 0)
		rc = buf_append(&b, msg, len);
	if (rc == -1) {
		buf_free(&b);
		errno = EFBIG;
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	*name_out = xasprintf("%lld.%09ld.%d.msg", (long long)ts.tv_sec,
	    ts.tv_nsec, (int)getpid());
	path = xasprintf("%s/%s", dir, *name_out);
	rc = durable_write(path, b.data, b.len, 0600);
	free(path);
	buf_free(&b);
	if (rc == -1) {
		free(*name_out);
		*name_out = NULL;
	}
	return rc;
}

static int
is_msg(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	    strcmp(d->d_name + n - 4, ".msg") == 0;
}

long
ua_outbox_count(const char *dir)
{
	struct dirent **list;
	int n, i;

	if ((n = scandir(dir, &list, is_msg, alphasort)) == -1)
		return errno == ENOENT ? 0 : -1;
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return n;
}

/* Splits a stored file into envelope and message. 0, or -1 if damaged. */
static int
parse_stored(char *data, size_t len, char **from_out, char ***rcpts_out,
    size_t *nrcpt_out, size_t *msg_off_out)
{
	char *p = data, *end = data + len, *nl;
	char **rcpts = NULL;
	size_t n = 0;

	*from_out = NULL;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		*nl = '\0';
		if (p == nl) {
			*rcpts_out = rcpts;
			*nrcpt_out = n;
			*msg_off_out = (size_t)(nl + 1 - data);
			return *from_out != NULL && n > 0 ? 0 : -1;
		}
		if (strncmp(p, "from ", 5) == 0)
			*from_out = p + 5;
		else if (strncmp(p, "rcpt ", 5) == 0) {
			rcpts = xreallocarray(rcpts, n + 1, sizeof(char *));
			rcpts[n++] = p + 5;
		}
		p = nl + 1;
	}
	free(rcpts);
	return -1;
}

static int
read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "r");
	char chunk[65536];
	size_t n;
	int rc = 0;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(out, chunk, n) == -1) {
			rc = -1;
			break;
		}
	if (ferror(f))
		rc = -1;
	fclose(f);
	return rc;
}

int
ua_outbox_flush(struct ua_account *a, size_t *sent_out, size_t *left_out,
    int quiet)
{
	struct dirent **list;
	int n, i;

	*sent_out = *left_out = 0;
	if ((n = scandir(a->outbox, &list, is_msg, alphasort)) == -1)
		return errno == ENOENT ? 0 : -1;
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", a->outbox, list[i]->d_name);
		char *from, **rcpts = NULL, err[1024];
		size_t nrcpt, off;
		struct buf b;
		enum ua_smtp_result r;

		buf_init(&b, UA_MSG_MAX + 64 * 1024);
		if (read_file(path, &b) == -1 || b.len == 0 ||
		    parse_stored(b.data, b.len, &from, &rcpts, &nrcpt, &off)
		    == -1) {
			printf("failed %s: unreadable outbox file\n",
			    list[i]->d_name);
			(*left_out)++;
			goto next;
		}
		r = ua_smtp_submit(a, from, rcpts, nrcpt, b.data + off,
		    b.len - off, err, sizeof(err));
		if (r == UA_SMTP_OK || r == UA_SMTP_PARTIAL) {
			/* Partly accepted: out of the outbox too, or the
			 * recipients who took it would get it again. */
			unlink(path);
			durable_fsync_dir(a->outbox);
			if (r == UA_SMTP_PARTIAL)
				printf("partly sent %s: %s\n",
				    list[i]->d_name, err);
			else if (!quiet)
				printf("sent %s\n", list[i]->d_name);
			ua_send_copy_sent(a, b.data + off, b.len - off, quiet);
			(*sent_out)++;
		} else {
			/* A permanent failure stays too: the user decides. */
			printf("%s %s: %s\n", r == UA_SMTP_TEMPFAIL ? "kept" :
			    "failed", list[i]->d_name, err);
			(*left_out)++;
		}
next:
		free(rcpts);
		buf_free(&b);
		free(path);
		free(list[i]);
	}
	free(list);
	fflush(stdout);
	return 0;
}

int
ua_outbox_list(const char *dir)
{
	struct dirent **list;
	int n, i;

	if ((n = scandir(dir, &list, is_msg, alphasort)) == -1)
		return errno == ENOENT ? 0 : -1;
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, list[i]->d_name);
		char *from, **rcpts = NULL;
		size_t nrcpt, off, k;
		struct buf b;

		buf_init(&b, UA_MSG_MAX + 64 * 1024);
		if (read_file(path, &b) == 0 && b.len > 0 &&
		    parse_stored(b.data, b.len, &from, &rcpts, &nrcpt, &off)
		    == 0) {
			printf("%s\t%s\t", list[i]->d_name, from);
			for (k = 0; k < nrcpt; k++)
				printf("%s%s", k ? "," : "", rcpts[k]);
			printf("\t%zu\n", b.len - off);
		} else
			printf("%s\t?\t?\t0\n", list[i]->d_name);
		free(rcpts);
		buf_free(&b);
		free(path);
		free(list[i]);
	}
	free(list);
	return n;
}
