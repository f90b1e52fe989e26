/*
 * imapresp.h: parser of one complete IMAP server response (RFC 3501 §7,
 * §9 grammar), literals included, into a flat tree of nodes.
 *
 * The reader (imap.c) gathers a response - a line, and for each line that
 * ends in "{N}" the N literal bytes and the next line - and hands the
 * whole text here. No I/O; the fuzz target fuzz/ua_imapresp.c drives it.
 */
#ifndef UA_IMAPRESP_H
#define UA_IMAPRESP_H

#include <stddef.h>

#define UA_IMAP_MAX_DEPTH	64
#define UA_IMAP_MAX_NODES	(1024 * 1024)
#define UA_IMAP_NONE		((size_t)-1)

enum ua_imap_kind {
	UA_IMAP_UNTAGGED,	/* "* ..." */
	UA_IMAP_TAGGED,		/* "tag ..." */
	UA_IMAP_CONT,		/* "+ ..." */
};

enum ua_imap_type {
	UA_IMAP_ATOM,		/* also numbers, flags, BODY[...]<n> */
	UA_IMAP_STRING,		/* quoted (unescaped) or literal */
	UA_IMAP_NIL,
	UA_IMAP_LIST,
};

struct ua_imap_node {
	enum ua_imap_type type;
	const char	*s;		/* into the response copy; use len */
	size_t		 len;
	size_t		 child, next;	/* indices, or UA_IMAP_NONE */
	size_t		 n;		/* children of a list */
};

/*
 * A parsed response. For status responses (OK, NO, BAD, BYE, PREAUTH,
 * tagged or not) status names it, code holds the text inside "[...]"
 * (or NULL) and text the rest; items then only hold the status word.
 * Otherwise node 0 is a list of the response's items after the tag:
 * "* 3 FETCH (...)" gives ATOM "3", ATOM "FETCH", LIST.
 */
struct ua_imap_resp {
	enum ua_imap_kind kind;
	char		*tag;		/* tagged: the tag */
	const char	*status;	/* "OK"... uppercased, or NULL */
	const char	*code, *text;
	struct ua_imap_node *nodes;
	size_t		 nnodes, cap;
	char		*data;		/* our copy of the response */
	size_t		 len;
};

/*
 * Parses data[0..len) (CRLF line ends inside literals, none at the end).
 * Returns 0, or -1 with *errstr_out; ua_imap_resp_free is needed either
 * way. The response keeps its own copy of data.
 */
int ua_imap_resp_parse(const char *data, size_t len, struct ua_imap_resp *r,
    const char **errstr_out);
void ua_imap_resp_free(struct ua_imap_resp *r);

/* Node i, or NULL for UA_IMAP_NONE. */
const struct ua_imap_node *ua_imap_node(const struct ua_imap_resp *r,
    size_t i);
/* True when node is an atom or string equal to s (case-insensitive). */
int ua_imap_node_is(const struct ua_imap_node *node, const char *s);
/* The i-th child of a list node, or NULL. */
const struct ua_imap_node *ua_imap_child(const struct ua_imap_resp *r,
    const struct ua_imap_node *list, size_t i);
/* In a FETCH attribute list, the value after the attribute name (a
 * prefix match for "BODY[" items), or NULL. */
const struct ua_imap_node *ua_imap_fetch_item(const struct ua_imap_resp *r,
    const struct ua_imap_node *list, const char *name);

/* Length of the literal marker "{N}" or "{N+}" ending line, with *n_out;
 * 0 when the line does not end in one. */
size_t ua_imap_literal_suffix(const char *line, size_t len, size_t *n_out);

#endif
