/*
 * build.h: composing a message (RFC 5322, RFC 2045-2049, RFC 2047, RFC
 * 2231): header fields, a UTF-8 text body and attachments.
 *
 * Used by the user agent (compose) and the queue (bounces). The builder
 * picks each part's transfer encoding (7bit, 8bit when allowed, quoted-
 * printable or base64), generates boundaries that do not occur in the
 * content, adds Date, Message-ID and MIME-Version, and never emits a line
 * over 998 octets (RFC 5322 §2.1.1). Output uses CRLF line ends.
 */
#ifndef MIME_BUILD_H
#define MIME_BUILD_H

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"

enum mime_build_flags {
	MIME_BUILD_8BIT = 0x01,	/* the transport has 8BITMIME: 8bit text */
};

struct mime_build;

/*
 * A new builder; domain is used for the Message-ID (copied).
 * flags: enum mime_build_flags.
 */
struct mime_build *mime_build_new(const char *domain, unsigned flags);
void mime_build_free(struct mime_build **bp);

/*
 * Adds an unstructured field (Subject, Comments, X-...): value is UTF-8
 * and is RFC 2047 encoded when needed. Returns 0, or -1 with *errstr_out
 * for a bad name (not RFC 5322 ftext) or a value holding CR or LF.
 */
int mime_build_field(struct mime_build *b, const char *name,
    const char *value, const char **errstr_out);
/*
 * Adds one mailbox to an address field (From, To, Cc, Reply-To...),
 * appending to the field if it exists: display_name (UTF-8, may be NULL)
 * is quoted or RFC 2047 encoded as needed; addr_spec is "local@domain".
 */
int mime_build_addr(struct mime_build *b, const char *field,
    const char *display_name, const char *addr_spec, const char **errstr_out);
/* Sets Date (default: the time of mime_build_finish, in UTC). */
void mime_build_date(struct mime_build *b, time_t t, int tz_minutes);
/* Sets Message-ID, "<...>" included (default: generated). */
int mime_build_message_id(struct mime_build *b, const char *id,
    const char **errstr_out);

/* Sets the UTF-8 text body (LF or CRLF line ends); copied. */
void mime_build_text(struct mime_build *b, const char *utf8, size_t len);
/*
 * Adds an HTML version of the body (UTF-8, copied): the body becomes a
 * multipart/alternative of the text and the HTML.
 */
void mime_build_html(struct mime_build *b, const char *utf8, size_t len);
/*
 * Adds an attachment: filename in UTF-8 (RFC 2231 encoded when needed; NULL
 * for a part with no Content-Disposition, such as the parts of a report),
 * the bytes (copied), and content_type ("type/subtype"), or NULL to detect
 * it with libmagic. Parts come back byte for byte, except message parts:
 * RFC 2046 §5.2 allows them only 7bit or 8bit, so their line ends become
 * CRLF (base64 is the last resort for lines over 998 octets).
 * Returns 0, or -1 for a bad content type.
 */
int mime_build_attach(struct mime_build *b, const char *filename,
    const void *data, size_t len, const char *content_type,
    const char **errstr_out);

/*
 * With attachments the message is multipart/mixed; this picks another
 * subtype and parameters, e.g. "report" and
 * "report-type=delivery-status" for an RFC 3464 bounce. params may be NULL.
 * Returns 0, or -1 for a subtype or parameters that are not plain tokens.
 */
int mime_build_multipart_type(struct mime_build *b, const char *subtype,
    const char *params, const char **errstr_out);

/*
 * Appends the whole message to out. Returns 0, or -1 with *errstr_out
 * when out is full or randomness is unavailable.
 */
int mime_build_finish(struct mime_build *b, struct buf *out,
    const char **errstr_out);

#endif
