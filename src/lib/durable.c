/*
 * durable.c: crash-safe file writes (see durable.h).
 */
#include "lib/durable.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define EXT4_MAGIC	0xEF53	/* ext2, ext3 and ext4 share it */

int
durable_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
durable_fsync_dir(const char *dir)
{
	int fd, r, saved;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
durable_fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return durable_fsync_dir(".");
	if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (slash == path)
		return durable_fsync_dir("/");
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return durable_fsync_dir(dir);
}

int
durable_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, saved, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd == -1)
		return -1;
	if (durable_write_all(fd, data, len) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return durable_fsync_dir_of(path);
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int
durable_mkdirs(const char *path, mode_t mode)
{
	char p[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(p)) {
		errno = len ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	memcpy(p, path, len + 1);
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) == -1 && errno != EEXIST)
				return -1;
			*s = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

/* Whether ext4 device name is mounted data=journal, where file data goes
 * through the journal too and write-back is not what makes it durable:
 * that mode takes the syncfs way. */
static bool
data_journaled(const char *name)
{
	char path[PATH_MAX], line[128];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/fs/ext4/%s/options", name);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strcmp(line, "data=journal\n") == 0;
	fclose(f);
	return found;
}

bool
durable_fs_journaled(int fd)
{
	char link[PATH_MAX], path[64];
	const char *name;
	struct statfs sfs;
	struct stat st;
	struct dirent *e;
	size_t len;
	ssize_t n;
	bool found = false;
	DIR *d;

	if (fstatfs(fd, &sfs) == -1 || sfs.f_type != EXT4_MAGIC ||
	    fstat(fd, &st) == -1)
		return false;
	/* The kernel lists each running journal as /proc/fs/jbd2/DEV-INO,
	 * DEV the block device's name as /sys/dev/block/MAJ:MIN links it. */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u",
	    major(st.st_dev), minor(st.st_dev));
	if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
		return false;
	link[n] = '\0';
	name = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	len = strlen(name);
	if ((d = opendir("/proc/fs/jbd2")) == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL)
		found = strncmp(e->d_name, name, len) == 0 &&
		    e->d_name[len] == '-';
	closedir(d);
	return found && !data_journaled(name);
}

int
durable_writeback_start(int fd)
{
	return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

int
durable_writeback_wait(int fd)
{
	return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE |
	    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}
