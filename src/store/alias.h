/*
 * alias.h: aliases (one-to-many and many-to-one) and recipient lookup.
 *
 * An alias maps a name to targets. Names are either full addresses in a
 * local domain ("sales@example.org") or bare local parts ("postmaster",
 * as in aliases(5)) which match that local part in every local domain.
 * Targets are addresses in any domain (remote ones are relayed) or bare
 * local parts, which resolve in the domain of the address being expanded.
 * Pipe ("|cmd"), file ("/path") and ":include:" targets are refused in the
 * database; `alias import` reads include files at import time.
 *
 * Resolving a local address A (used by lookup and expansion), first hit
 * wins: alias A, alias local(A), user A; then the same three for A
 * without its subaddress (addr.h). So an alias shadows a user of the
 * same name, and "bob: bob, carol" keeps a copy for user bob (a name met
 * again during its own expansion resolves as a user).
 */
#ifndef STORE_ALIAS_H
#define STORE_ALIAS_H

#include <stddef.h>

struct store;

#define STORE_ALIAS_DEPTH_MAX	16	/* nesting of aliases */
#define STORE_EXPAND_MAX	10000	/* destinations of one recipient */
#define STORE_INCLUDE_DEPTH_MAX	4	/* :include: within :include: */
#define STORE_ALIAS_FILE_MAX	(16 * 1024 * 1024)

struct store_alias {
	char	 *name;
	char	**targets;	/* sorted */
	size_t	  ntargets;
};

/*
 * Adds targets to name (merging with targets it has). 0, or -1 and
 * *errstr_out for a malformed name or target, a name outside the local
 * domains, a pipe/file/include target, or a database failure. Nothing is
 * added on -1.
 */
int store_alias_add(struct store *store, const char *name,
    const char *const *targets, size_t ntargets, const char **errstr_out);

/* Removes name and all its targets. 1 removed, 0 absent, -1 error. */
int store_alias_del(struct store *store, const char *name,
    const char **errstr_out);

/* Every alias sorted by name. Free with store_alias_list_free. 0 or -1. */
int store_alias_list(struct store *store, struct store_alias **list_out,
    size_t *n_out, const char **errstr_out);
void store_alias_list_free(struct store_alias *list, size_t n);

/*
 * Imports an aliases(5) file (aliasfile.h). Every name in the file gets
 * exactly the targets the file gives it (a name listed twice gets both
 * lists); aliases not in the file are kept. ":include:FILE" targets are
 * replaced by the addresses in FILE (relative to the importing file's
 * folder), nested up to STORE_INCLUDE_DEPTH_MAX. All or nothing: on -1,
 * *errstr_out is "FILE:LINE: message" and the database is unchanged.
 * 0 and *naliases_out (may be NULL) names imported.
 */
int store_alias_import(struct store *store, const char *path,
    size_t *naliases_out, const char **errstr_out);

enum store_rcpt_kind {
	STORE_RCPT_USER,
	STORE_RCPT_ALIAS,
};

/*
 * Is address (the path without its angle brackets) a deliverable local
 * recipient? For the SMTP server at RCPT (RFC 5321 §3.3): 0 means answer
 * 550 5.1.1. Addresses outside the local
 * domains return 0 too: check store_addr_is_local_domain first for
 * relaying. An address without a domain takes the first local one
 * (RFC 5321 §4.5.1 "RCPT TO:<Postmaster>"). 1 and *kind_out (may be
 * NULL), 0 unknown or malformed, -1 error.
 */
int store_rcpt_lookup(struct store *store, const char *address,
    enum store_rcpt_kind *kind_out, const char **errstr_out);

enum store_dest_kind {
	STORE_DEST_LOCAL,	/* a user: deliver into its INBOX */
	STORE_DEST_REMOTE,	/* an address outside the local domains */
};

struct store_dest {
	char	*address;	/* normal form; for LOCAL the user's address */
	enum store_dest_kind kind;
};

struct store_expansion {
	struct store_dest *dests;	/* first-seen order, no duplicates */
	size_t	n;
	size_t	nunknown;	/* local targets that are nobody: skipped */
	size_t	nloops;		/* alias names met again: not re-expanded */
	int	truncated;	/* STORE_ALIAS_DEPTH_MAX or STORE_EXPAND_MAX hit */
};

/*
 * Expands one envelope recipient to its final destinations: aliases
 * recursively (depth-limited), loops cut (each alias is expanded at most
 * once), duplicates removed. A remote address expands to itself. 1 and
 * *out filled (out->n may be 0 when every target was unknown or cut:
 * a permanent failure for the caller), 0 the recipient is unknown (or
 * malformed), -1 error (temporary). Free out with store_expansion_free.
 */
int store_expand(struct store *store, const char *address,
    struct store_expansion *out, const char **errstr_out);
void store_expansion_free(struct store_expansion *exp);

#endif
