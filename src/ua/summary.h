/*
 * summary.h: the one-line message summary shared by list, search, watch
 * and fetch: number, flags (N new, R answered, F flagged), date, sender,
 * decoded subject, size; newest last.
 *
 * When stdout is not a terminal the fields are separated by one TAB and
 * control characters are replaced by spaces, so scripts can cut(1) them:
 *   NUM <TAB> FLAGS <TAB> YYYY-MM-DD HH:MM <TAB> SENDER <TAB> SUBJECT
 *   <TAB> SIZE
 * On a terminal the same fields are aligned and cut to its width.
 */
#ifndef UA_SUMMARY_H
#define UA_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

enum ua_msg_flags {
	UA_MSG_NEW = 0x01,
	UA_MSG_ANSWERED = 0x02,
	UA_MSG_FLAGGED = 0x04,
};

/* Prints the summary line of a message from its header bytes. */
void ua_summary_print(size_t num, unsigned flags, const char *hdr,
    size_t hdrlen, uint64_t size);

/* The decoded (UTF-8) value of a header field, appended to out: 1 found,
 * 0 absent. Encoded words are decoded for unstructured fields. */
int ua_header_get(const char *hdr, size_t hdrlen, const char *name,
    int decode, struct buf *out);

/* The sender for display: display name, else the address. */
void ua_sender_text(const char *from, size_t len, struct buf *out);

/* Replaces control characters (TAB and C1 included) by spaces, in place. */
void ua_sanitize(struct buf *b);
/* Drops control characters from text but keeps LF and TAB, in place. */
void ua_sanitize_text(struct buf *b);

#endif
