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

#include <stdbool.h>
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

/*
 * True when fd lives on ext4 with a journal (jbd2). There a journal
 * commit makes every metadata change made before it durable, in order, so
 * a batch of new files is durable after (1) each file's data is written
 * back and waited for (sync_file_range), (2) each is then renamed into
 * place and (3) the directory is fsynced: its last change, the last
 * rename, belongs to the newest transaction, and committing that one
 * commits all before it, with one cache flush. syncfs, the other way to
 * make a batch durable, also writes every dirty metadata block in place
 * (the block device's buffers) on each call. False for anything else:
 * ext4 without a journal or mounted data=journal, other file systems, or
 * when it cannot tell.
 */
bool durable_fs_journaled(int fd);

/* Starts writing fd's dirty pages to the device, without waiting. */
int durable_writeback_start(int fd);
/* Waits until all of fd's dirty pages are written to the device (no cache
 * flush: the journal commit or syncfs after it makes them durable). */
int durable_writeback_wait(int fd);

#endif
