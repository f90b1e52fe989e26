/*
 * durable.h: files that survive a crash once a function returns 0.
 *
 * The pattern (ARCHITECTURE "Durability"): write a temporary file in the
 * target's directory, fsync it, rename it into place, fsync the directory.
 * After durable_write returns 0 the file is on disk under its final name;
 * after -1 no file and no temporary is left behind.
 */
#ifndef LIB_DURABLE_H
#define LIB_DURABLE_H

#include <stddef.h>
#include <sys/types.h>

/* Writes len bytes to path with mode, durably. -1 with errno on failure. */
int durable_write(const char *path, const void *data, size_t len, mode_t mode);
/* fsyncs the directory that holds path (after a rename or unlink in it). */
int durable_fsync_dir_of(const char *path);
/* fsyncs a directory by its own path. */
int durable_fsync_dir(const char *dir);
/* Writes all of len bytes to fd, retrying short writes and EINTR. */
int durable_write_all(int fd, const void *data, size_t len);
/* mkdir -p with mode for each missing component. */
int durable_mkdirs(const char *path, mode_t mode);

#endif
