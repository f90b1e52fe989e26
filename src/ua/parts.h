/*
 * parts.h: a message as the list of its leaf parts with IMAP section
 * numbers (RFC 3501 §6.4.5: "1", "2", "1.2"; a message/rfc822 part's
 * body is "N.1"), built either from a MIME tree (local and POP3 messages)
 * or from a server's BODYSTRUCTURE (§7.4.2), so `read` and `save` treat
 * both alike. BODYSTRUCTURE comes from the server: malformed or hostile
 * input gives fewer or odd parts, never a crash (fuzz/ua_parts.c).
 */
#ifndef UA_PARTS_H
#define UA_PARTS_H

#include <stddef.h>

#include "mime/tree.h"
#include "ua/imapresp.h"

#define UA_PARTS_MAX	10000
#define UA_PARTS_DEPTH	50

struct ua_part {
	char		*section;
	char		*type;		/* "text/plain", lowercased */
	char		*charset;	/* or NULL */
	char		*name;		/* UTF-8 file name, or NULL */
	char		*cte;		/* "base64"..., lowercased ("7bit"
					 * when absent) */
	char		*disposition;	/* lowercased, or NULL */
	unsigned long long size;	/* encoded body octets */
	size_t		 tree_index;	/* from a tree: the part's index */
};

struct ua_parts {
	struct ua_part	*v;
	size_t		 n;
};

/* Appends the leaf parts of a parsed message. */
void ua_parts_from_tree(const struct mime_tree *t, struct ua_parts *out);
/* Appends the leaf parts described by a BODYSTRUCTURE list node. */
void ua_parts_from_bodystructure(const struct ua_imap_resp *r,
    const struct ua_imap_node *bs, struct ua_parts *out);
/* The part with that section, or NULL. */
const struct ua_part *ua_parts_find(const struct ua_parts *p,
    const char *section);
void ua_parts_free(struct ua_parts *p);

#endif
