/*
 * addr.h: RFC 5322 §3.4 address lists and RFC 5321 §4.1.2 paths.
 *
 * One module for every caller: the SMTP server parses MAIL FROM / RCPT TO
 * paths, the queue and IMAP ENVELOPE walk address lists, the user agent
 * does both. Address lists are pulled one address at a time, so a field
 * with a million addresses needs constant memory.
 */
#ifndef MIME_ADDR_H
#define MIME_ADDR_H

#include <stddef.h>

#include "lib/buf.h"

/*
 * RFC 5321 §4.5.3.1: size limits of a path. The 64-octet local part limit
 * is deliberately not enforced (SRS and VERP addresses pass it in practice,
 * as Postfix accepts them); the whole path limit is.
 */
#define MIME_PATH_LOCAL_MAX	64
#define MIME_PATH_DOMAIN_MAX	255
#define MIME_PATH_MAX		256

enum mime_addr_kind {
	MIME_ADDR_MAILBOX,
	MIME_ADDR_GROUP_START,	/* name is the group's display name */
	MIME_ADDR_GROUP_END,
};

enum mime_addr_flags {
	MIME_ADDR_F_QUOTED = 0x01,	/* the local part was a quoted string */
	MIME_ADDR_F_INVALID = 0x02,	/* repaired: no domain, unbalanced... */
	MIME_ADDR_F_ANGLE = 0x04,	/* written as name <addr-spec> */
};

/*
 * One element of an address list. Strings are NUL-terminated, owned by the
 * parser and valid until its next call. Encoded words in name are not
 * decoded (IMAP ENVELOPE wants them raw; use mime_rfc2047_decode).
 */
struct mime_addr {
	enum mime_addr_kind kind;
	unsigned	 flags;		/* enum mime_addr_flags */
	const char	*name;		/* display name or group name; NULL */
	const char	*route;		/* obsolete route "@a,@b"; NULL */
	const char	*local;		/* local part, unquoted */
	const char	*domain;	/* NULL when missing */
};

struct mime_addr_parser;

/*
 * A parser over s[0..len), typically an unfolded To: or From: value; s
 * must outlive the parser.
 */
struct mime_addr_parser *mime_addr_parser_new(const char *s, size_t len);
void mime_addr_parser_free(struct mime_addr_parser **pp);
/*
 * The next element: 1 with *a_out filled in, 0 at the end. Malformed
 * input is repaired as far as sensible and flagged MIME_ADDR_F_INVALID;
 * an unterminated group still gets its MIME_ADDR_GROUP_END. -1 only when
 * an element passes the internal size limit (the field length).
 */
int mime_addr_next(struct mime_addr_parser *p, struct mime_addr *a_out,
    const char **errstr_out);

/*
 * Appends the addr-spec of a mailbox (local@domain), quoting the local
 * part when it is not a dot-atom. Returns 0, or -1 when out is full.
 */
int mime_addr_spec_format(const struct mime_addr *a, struct buf *out);

enum mime_path_flags {
	MIME_PATH_SMTPUTF8 = 0x01,	/* RFC 6531: UTF-8 in local and domain */
	MIME_PATH_NULL_OK = 0x02,	/* "<>" allowed (MAIL FROM) */
	MIME_PATH_POSTMASTER_OK = 0x04,	/* "<Postmaster>" allowed (RCPT TO) */
};

/* An RFC 5321 path; strings are NUL-terminated copies. */
struct mime_path {
	int	is_null;			/* "<>" */
	int	quoted;				/* local part was quoted */
	char	local[MIME_PATH_MAX + 1];	/* as written */
	char	domain[MIME_PATH_DOMAIN_MAX + 1];	/* as written ("" for
						 * <Postmaster>), IDN kept */
};

/*
 * Parses a path at the start of s ("<local@domain>", with an optional
 * obsolete source route, which is dropped): the SMTP server calls it on the
 * argument of MAIL FROM: and RCPT TO:. *used_out gets the bytes consumed,
 * so the caller can go on with ESMTP parameters. Returns 0, or -1 with
 * *errstr_out set (syntax, or a part over the RFC 5321 size limits).
 */
int mime_path_parse(const char *s, size_t len, int flags,
    struct mime_path *out, size_t *used_out, const char **errstr_out);

#endif
