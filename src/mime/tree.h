/*
 * tree.h: the MIME structure of a whole message in memory (RFC 2045,
 * RFC 2046, RFC 5322), as a tree of parts with byte offsets into the raw
 * message.
 *
 * Parts are numbered in pre-order: 0 is the message itself, a multipart's
 * children follow it, and a message/rfc822 part has one child, the
 * encapsulated message. The tree never copies the message: it keeps a
 * pointer to the caller's bytes, which must outlive it. Strings in parts
 * are owned by the tree.
 *
 * Malformed input always gives a usable tree: a missing final boundary ends
 * the multipart at its parent's next boundary or at the end, a multipart
 * without a boundary (or with none of its delimiters in the body) is a leaf,
 * an invalid Content-Type means text/plain, and past the depth and part
 * limits parts are kept as leaves (MIME_TREE_F_LIMIT says so).
 *
 * A delimiter line is "--" boundary, optionally "--", then only white space
 * (RFC 2046 §5.1.1; junk after it makes it body text, as in Python's email
 * package). The line end before a delimiter belongs to the delimiter, so an
 * empty part squeezed between two delimiters ends where its parent's body
 * ends. Only message/rfc822 and message/global parts are opened, and only
 * when not base64 or quoted-printable encoded (RFC 2046 §5.2.1).
 */
#ifndef MIME_TREE_H
#define MIME_TREE_H

#include <stddef.h>

#include "lib/buf.h"
#include "mime/rfc2231.h"

/* RFC 2046 §5.1.1: boundaries are 1 to 70 characters; we accept more. */
#define MIME_BOUNDARY_MAX		70
#define MIME_TREE_BOUNDARY_ACCEPT	200
#define MIME_TREE_DEFAULT_MAX_DEPTH	100
#define MIME_TREE_DEFAULT_MAX_PARTS	10000
/* The recursion stops here whatever the settings say. */
#define MIME_TREE_HARD_MAX_DEPTH	1000

#define MIME_PART_NONE	((size_t)-1)

struct mime_tree_settings {
	unsigned	max_depth;	/* nesting of multipart and message */
	size_t		max_parts;	/* parts in the whole tree */
};

enum mime_cte {
	MIME_CTE_7BIT,		/* also the default (RFC 2045 §6.1) */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_QP,
	MIME_CTE_BASE64,
	MIME_CTE_UNKNOWN,	/* decoded as identity */
};

enum mime_part_flags {
	MIME_PART_F_MULTIPART = 0x01,	/* has children separated by boundary */
	MIME_PART_F_MESSAGE = 0x02,	/* message/rfc822 with its child */
	MIME_PART_F_NO_CLOSE = 0x04,	/* final boundary missing */
	MIME_PART_F_LIMIT = 0x08,	/* kept a leaf: depth or part limit */
	MIME_PART_F_HAS_CTYPE = 0x10,	/* a valid Content-Type was present */
	MIME_PART_F_NO_BOUNDARY = 0x20,	/* multipart type but no usable
					 * boundary: a leaf */
};

enum mime_tree_flags {
	MIME_TREE_F_LIMIT = 0x01,	/* some limit was reached */
};

/*
 * One part. Offsets index the raw message: the header is
 * [hdr_start, body_start) including the empty line, the body is
 * [body_start, body_end) without the line end that precedes a boundary
 * (RFC 2046 §5.1.1: it belongs to the delimiter). IMAP's body size is
 * body_end - body_start and its line count is body_lines.
 */
struct mime_part {
	size_t		 hdr_start, body_start, body_end;
	size_t		 hdr_lines, body_lines;
	size_t		 parent, first_child, next;	/* or MIME_PART_NONE */
	size_t		 nchildren;
	unsigned	 depth;		/* 0 for the message */
	unsigned	 flags;		/* enum mime_part_flags */
	enum mime_cte	 cte;
	const char	*type, *subtype;	/* lowercased, never NULL */
	struct mime_params params;	/* Content-Type parameters, raw */
	const char	*boundary;	/* NULL unless multipart */
	const char	*cte_raw;	/* Content-Transfer-Encoding as
					 * written, or NULL */
	const char	*disposition;	/* lowercased, or NULL */
	struct mime_params disp_params;
	const char	*id, *description, *md5;	/* unfolded, or NULL */
	const char	*language, *location;
};

struct mime_tree;

void mime_tree_settings_default(struct mime_tree_settings *s);

/*
 * Parses msg[0..len) (settings NULL: defaults). The tree keeps msg, which
 * must stay unchanged and alive until mime_tree_free. Returns 0 with
 * *tree_out set (malformed input still gives a tree), or -1 with
 * *errstr_out for impossible settings. Time is linear in len.
 */
int mime_tree_parse(const char *msg, size_t len,
    const struct mime_tree_settings *settings, struct mime_tree **tree_out,
    const char **errstr_out);
void mime_tree_free(struct mime_tree **tp);

size_t mime_tree_count(const struct mime_tree *t);
/* Part i (pre-order), or NULL when i is out of range. */
const struct mime_part *mime_tree_part(const struct mime_tree *t, size_t i);
const char *mime_tree_data(const struct mime_tree *t, size_t *len_out);
unsigned mime_tree_flags(const struct mime_tree *t);
/* The index of p in the tree. */
size_t mime_tree_index(const struct mime_tree *t, const struct mime_part *p);

/*
 * The first field called name in the part's header, unfolded, appended to
 * out. Returns 1 when found, 0 when absent, -1 when out is full.
 */
int mime_part_header_get(const struct mime_tree *t, const struct mime_part *p,
    const char *name, struct buf *out);
/*
 * The decoded body (base64 leniently, quoted-printable, others as is)
 * appended to out; for a multipart or message part, the raw body.
 * Returns 0, or -1 when out is full.
 */
int mime_part_decode(const struct mime_tree *t, const struct mime_part *p,
    struct buf *out, const char **errstr_out);
/*
 * The file name as UTF-8: Content-Disposition filename, else Content-Type
 * name, with RFC 2231 and RFC 2047 applied. 1 found, 0 none, -1 full.
 */
int mime_part_filename(const struct mime_tree *t, const struct mime_part *p,
    struct buf *out);
/*
 * The part to show as the message body, as a mail reader picks it (and as
 * Python's EmailMessage.get_body does): not an attachment, a text part
 * whose subtype is in prefs (NULL-terminated, most wanted first, e.g.
 * {"plain", "html", NULL}; "related" picks a whole multipart/related),
 * looking inside multiparts but not inside attached messages; in a
 * multipart/related only its start part counts. Returns the part index,
 * or MIME_PART_NONE.
 */
size_t mime_tree_body(const struct mime_tree *t, const char *const *prefs);

/* Text of a text part converted from its charset to UTF-8 (charset.h). */
int mime_part_text_utf8(const struct mime_tree *t, const struct mime_part *p,
    struct buf *out, const char **errstr_out);

#endif
