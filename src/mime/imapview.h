/*
 * imapview.h: the IMAP views of a MIME tree (RFC 3501 §7.4.2 ENVELOPE and
 * BODYSTRUCTURE, §6.4.5 BODY[section]), so the IMAP server only calls
 * these and sends the result.
 */
#ifndef MIME_IMAPVIEW_H
#define MIME_IMAPVIEW_H

#include <stddef.h>

#include "lib/buf.h"
#include "mime/tree.h"

/*
 * Appends the ENVELOPE of the message whose header is part msg (0 for the
 * message itself, or the child of a message/rfc822 part): "(date subject
 * from sender reply-to to cc bcc in-reply-to message-id)". Strings are
 * quoted, or literals when they hold 8-bit bytes, CR or LF. Sender and
 * Reply-To default to From (§7.4.2). Returns 0, or -1 when out is full.
 */
int mime_imap_envelope(const struct mime_tree *t, size_t msg,
    struct buf *out);

/*
 * Appends the BODYSTRUCTURE of part (0 for the whole message); extended 0
 * gives BODY (no extension data). Returns 0, or -1 when out is full.
 */
int mime_imap_bodystructure(const struct mime_tree *t, size_t part,
    int extended, struct buf *out);

/*
 * Resolves a section spec (the text between "[" and "]": "", "1.2",
 * "2.MIME", "HEADER", "3.TEXT", "HEADER.FIELDS (From To)",
 * "1.HEADER.FIELDS.NOT (Subject)") to a byte range of the raw message.
 * Returns 0 with the range, 1 when the section is not one range
 * (HEADER.FIELDS and .NOT: use mime_imap_section_fetch), or -1 with
 * *errstr_out for a bad spec or a part that does not exist.
 */
int mime_imap_section_range(const struct mime_tree *t, const char *spec,
    size_t len, size_t *off_out, size_t *len_out, const char **errstr_out);

/*
 * Appends the bytes of a section to out (any spec, including
 * HEADER.FIELDS, whose result ends with the empty line as §6.4.5 says).
 * Returns 0, or -1 with *errstr_out (bad spec, no such part, out full).
 */
int mime_imap_section_fetch(const struct mime_tree *t, const char *spec,
    size_t len, struct buf *out, const char **errstr_out);

#endif
