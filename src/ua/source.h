/*
 * source.h: where `list`, `read` and `save` find messages: an IMAP folder
 * (default), a POP3 maildrop (--pop3) or a local Maildir (--maildir).
 * Messages are numbered 1..count, oldest first.
 */
#ifndef UA_SOURCE_H
#define UA_SOURCE_H

#include <stddef.h>

#include "lib/buf.h"
#include "ua/imap.h"
#include "ua/maildir.h"
#include "ua/pop3.h"
#include "ua/ua.h"

enum ua_src_kind {
	UA_SRC_IMAP,
	UA_SRC_POP3,
	UA_SRC_MAILDIR,
};

struct ua_src {
	enum ua_src_kind	 kind;
	struct ua_imap		*imap;
	struct ua_pop3		*pop3;
	struct ua_maildir_msg	*md;
	size_t			 count;
};

/* Opens the source the options name; prints the error. 0 or -1. */
int ua_src_open(struct ua_ctx *c, int readonly, struct ua_src *s);
void ua_src_close(struct ua_src *s);

/* Appends message n (1-based) to out: 0, or -1 (printed). */
int ua_src_whole(struct ua_src *s, size_t n, struct buf *out);

/* Parses a message number argument within 1..count; prints the error. */
int ua_src_number(const struct ua_src *s, const char *arg, size_t *n_out);

/* The flags of an IMAP FETCH FLAGS list as enum ua_msg_flags. */
unsigned ua_imap_flags(const struct ua_imap_resp *r,
    const struct ua_imap_node *flags);

/*
 * Prints the summary line of each message of set ("1:*", "3,5"), by UID
 * when uid is set (skipping UIDs below min_uid). *max_uid_out (may be
 * NULL) is raised to the highest UID seen; *n_out counts the lines.
 * 0, or -1 (printed).
 */
int ua_imap_summaries(struct ua_imap *im, const char *set, int uid,
    unsigned long min_uid, unsigned long *max_uid_out, size_t *n_out);

/*
 * Message arg's header (raw) and its text as read shows it (UTF-8, LF),
 * appended to header and text; *num_out the message number. 0 or -1.
 */
int ua_read_text(struct ua_ctx *c, struct ua_src *s, const char *arg,
    struct buf *header, struct buf *text, size_t *num_out);

#endif
