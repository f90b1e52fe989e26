/*
 * hdr.h: RFC 5322 header fields, incremental and in-memory.
 *
 * The incremental parser takes the header in any chunking (push bytes,
 * pull fields) and enforces the limits of its settings. The in-memory
 * scanner (mime_hdr_scan) is what the MIME tree uses on a whole message.
 * Both accept obsolete syntax (RFC 5322 §4.5: white space before the colon,
 * empty field bodies), NUL and 8-bit bytes (reported in flags, never
 * interpreted), and LF as well as CRLF line ends.
 *
 * The header ends at an empty line, or - as Python's email and most MUAs
 * do - at the first line that is neither a field nor a continuation; that
 * line then starts the body.
 */
#ifndef MIME_HDR_H
#define MIME_HDR_H

#include <stddef.h>

#include "lib/buf.h"

/* RFC 5322 §2.1.1: a line is at most 998 characters, excluding CRLF. */
#define MIME_HDR_LINE_MAX	998
/* Defaults of the incremental parser; real mail has longer lines. */
#define MIME_HDR_DEFAULT_LINE_MAX	(64 * 1024)
#define MIME_HDR_DEFAULT_SIZE_MAX	(1024 * 1024)
#define MIME_HDR_DEFAULT_FIELDS_MAX	10000

struct mime_hdr_settings {
	size_t	max_line;	/* octets per physical line, CRLF excluded */
	size_t	max_size;	/* octets of the whole header */
	size_t	max_fields;	/* fields */
};

enum mime_hdr_field_flags {
	MIME_HDR_F_NUL = 0x01,		/* the field holds a NUL byte */
	MIME_HDR_F_8BIT = 0x02,		/* the field holds bytes >= 0x80 */
	MIME_HDR_F_OBS_WSP = 0x04,	/* white space before the colon */
};

/*
 * One field. Pointers stay valid until the next call on the parser (or,
 * for mime_hdr_scan, as long as the caller's data).
 */
struct mime_hdr_field {
	const char	*name;		/* not NUL-terminated */
	size_t		 name_len;
	const char	*raw;		/* after the colon up to the last line
					 * end (excluded), folding kept */
	size_t		 raw_len;
	const char	*value;		/* unfolded, trimmed, NUL-terminated;
					 * NULL from mime_hdr_scan */
	size_t		 value_len;
	size_t		 offset;	/* of the field's first byte */
	size_t		 size;		/* octets including the final line end */
	unsigned	 flags;		/* enum mime_hdr_field_flags */
};

struct mime_hdr;

/* Fills in the defaults above. */
void mime_hdr_settings_default(struct mime_hdr_settings *s);

/* A new incremental parser; settings NULL means the defaults. */
struct mime_hdr *mime_hdr_new(const struct mime_hdr_settings *settings);
void mime_hdr_free(struct mime_hdr **pp);

/*
 * Gives the parser the next bytes of the message. Bytes after the empty
 * line that ends the header are not kept: the body starts at
 * mime_hdr_body_offset() once mime_hdr_next() has returned 0 with
 * mime_hdr_is_done() true. Returns 0, or -1 with *errstr_out set when a line
 * or the header passes a limit (the parser then stays failed).
 */
int mime_hdr_push(struct mime_hdr *p, const void *data, size_t len,
    const char **errstr_out);
/* Marks the end of input (a message with no body and no empty line). */
void mime_hdr_finish(struct mime_hdr *p);
/*
 * The next field: 1 with *f_out filled in, 0 when more input is needed or
 * the header is complete (see mime_hdr_is_done), -1 on a limit (errstr).
 */
int mime_hdr_next(struct mime_hdr *p, struct mime_hdr_field *f_out,
    const char **errstr_out);
/* True once the whole header has been returned. */
int mime_hdr_is_done(const struct mime_hdr *p);
/* Offset of the first body byte in the stream; valid once done. */
size_t mime_hdr_body_offset(const struct mime_hdr *p);

/*
 * In-memory scanner: reads the field at *pos of data[0..len). Returns 1 with
 * f_out filled in (value NULL) and *pos moved past the field, or 0 at the
 * end of the header with *pos at the first body byte (len when there is
 * none). Never fails; data is the whole header (no "need more").
 */
int mime_hdr_scan(const char *data, size_t len, size_t *pos,
    struct mime_hdr_field *f_out);

/*
 * Appends the unfolded form of a raw field value to out (RFC 5322 §2.2.3:
 * line ends removed, leading and trailing white space trimmed).
 * Returns 0, or -1 when out is full.
 */
int mime_hdr_unfold(const char *raw, size_t len, struct buf *out);

/* True when the field's name is name (ASCII case-insensitive). */
int mime_hdr_field_is(const struct mime_hdr_field *f, const char *name);

#endif
