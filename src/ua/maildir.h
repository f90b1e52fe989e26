/*
 * maildir.h: local Maildir folders for `postern`: listing one (list and
 * read --maildir) and delivering into one durably (fetch).
 */
#ifndef UA_MAILDIR_H
#define UA_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct ua_maildir_msg {
	char		*path;
	unsigned	 flags;		/* enum ua_msg_flags */
	uint64_t	 size;
};

/*
 * The messages of new/ and cur/, oldest first (mtime, then name).
 * Returns the count (0 when empty or missing) or -1 with errno.
 */
long ua_maildir_scan(const char *dir, struct ua_maildir_msg **msgs_out);
void ua_maildir_free(struct ua_maildir_msg *msgs, long n);

/* Reads a whole file into out: 0, or -1. */
int ua_file_read(const char *path, struct buf *out);

/*
 * Delivers data into dir/new through dir/tmp: write, fsync, rename,
 * fsync the directory. Creates the Maildir when missing. 0, or -1.
 */
int ua_maildir_deliver(const char *dir, const char *data, size_t len);

#endif
