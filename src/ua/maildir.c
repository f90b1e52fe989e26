/*
 * maildir.c: local Maildir access for the user agent (maildir.h).
 * Flags follow the Maildir "info" convention ":2,FRS...".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/util.h"
#include "ua/maildir.h"
#include "ua/summary.h"

struct ent {
	struct ua_maildir_msg m;
	struct timespec mtime;
	const char *name;
};

static int
cmp_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

static unsigned
info_flags(const char *name, int in_new)
{
	const char *info = strstr(name, ":2,");
	unsigned f = 0;

	if (in_new || info == NULL || strchr(info + 3, 'S') == NULL)
		f |= UA_MSG_NEW;
	if (info != NULL && strchr(info + 3, 'R'))
		f |= UA_MSG_ANSWERED;
	if (info != NULL && strchr(info + 3, 'F'))
		f |= UA_MSG_FLAGGED;
	return f;
}

long
ua_maildir_scan(const char *dir, struct ua_maildir_msg **msgs_out)
{
	static const char *subs[] = { "new", "cur" };
	struct ent *v = NULL;
	size_t n = 0, i, k;

	*msgs_out = NULL;
	for (k = 0; k < 2; k++) {
		char *sub = xasprintf("%s/%s", dir, subs[k]);
		DIR *d = opendir(sub);
		struct dirent *de;

		if (d == NULL) {
			free(sub);
			if (errno == ENOENT)
				continue;
			goto fail;
		}
		while ((de = readdir(d)) != NULL) {
			struct stat st;
			char *path;

			if (de->d_name[0] == '.')
				continue;
			path = xasprintf("%s/%s", sub, de->d_name);
			if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
				free(path);
				continue;
			}
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n].m.path = path;
			v[n].m.flags = info_flags(de->d_name, k == 0);
			v[n].m.size = (uint64_t)st.st_size;
			v[n].mtime = st.st_mtim;
			v[n].name = strrchr(path, '/') + 1;
			n++;
		}
		closedir(d);
		free(sub);
	}
	qsort(v, n, sizeof(*v), cmp_ent);
	*msgs_out = xcalloc(n + 1, sizeof(**msgs_out));
	for (i = 0; i < n; i++)
		(*msgs_out)[i] = v[i].m;
	free(v);
	return (long)n;
fail:
	for (i = 0; i < n; i++)
		free(v[i].m.path);
	free(v);
	return -1;
}

void
ua_maildir_free(struct ua_maildir_msg *msgs, long n)
{
	long i;

	for (i = 0; i < n; i++)
		free(msgs[i].path);
	free(msgs);
}

int
ua_file_read(const char *path, struct buf *out)
{
	char chunk[65536];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd == -1)
		return -1;
	while ((r = read(fd, chunk, sizeof(chunk))) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 || buf_append(out, chunk, (size_t)r) == -1) {
			rc = -1;
			break;
		}
	}
	close(fd);
	return rc;
}

int
ua_maildir_deliver(const char *dir, const char *data, size_t len)
{
	static unsigned seq;
	struct timespec ts;
	char host[128], *tmp, *dst, *sub;
	const char *subs[] = { "tmp", "new", "cur" };
	size_t i;
	int fd, rc = -1;

	for (i = 0; i < nitems(subs); i++) {
		sub = xasprintf("%s/%s", dir, subs[i]);
		rc = durable_mkdirs(sub, 0700);
		free(sub);
		if (rc == -1)
			return -1;
	}
	if (gethostname(host, sizeof(host)) != 0)
		strlcpy_(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i]; i++)
		if (host[i] == '/' || host[i] == ':')
			host[i] = '_';
	clock_gettime(CLOCK_REALTIME, &ts);
	tmp = xasprintf("%s/tmp/%lld.M%ldP%dQ%u.%s", dir, (long long)ts.tv_sec,
	    ts.tv_nsec / 1000, (int)getpid(), ++seq, host);
	dst = xasprintf("%s/new/%s", dir, strrchr(tmp, '/') + 1);
	rc = -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1) {
		if (durable_write_all(fd, data, len) == 0 && fsync(fd) == 0 &&
		    close(fd) == 0) {
			fd = -1;
			if (rename(tmp, dst) == 0 &&
			    durable_fsync_dir_of(dst) == 0)
				rc = 0;
		}
		if (fd != -1)
			close(fd);
		if (rc == -1)
			unlink(tmp);
	}
	free(tmp);
	free(dst);
	return rc;
}
