/*
 * relayauth.h: data_dir/relay-auth, the smarthost credentials file.
 *
 * One entry per line, fields separated by spaces or tabs:
 *
 *	HOST:PORT USER PASSWORD [verify]
 *
 * HOST:PORT as written in a route.* value; `verify`: the server's
 * certificate must verify against the system's trust anchors and name
 * HOST. A field holding spaces, tabs, a '"' or a leading '#' is written
 * in double quotes, with \" and \\ for a quote and a backslash inside.
 * Blank lines and lines starting with '#' are ignored. Pure parsing here;
 * the queue role (remote.c) and posternctl check read the file.
 */
#ifndef QUEUE_RELAYAUTH_H
#define QUEUE_RELAYAUTH_H

#include <stdbool.h>
#include <stddef.h>

#define RELAY_AUTH_LINE_MAX	1024	/* bytes per line, newline included */

struct relay_auth {
	char	*nexthop;
	char	*user;
	char	*pass;
	bool	 verify;
};

/*
 * Parses one line (len bytes, without its newline). 1: an entry in *out
 * (free it with relay_auth_clear); 0: blank or comment; -1: malformed,
 * *errstr_out says why (static text).
 */
int relay_auth_parse(const char *line, size_t len, struct relay_auth *out,
    const char **errstr_out);
/* Frees an entry's strings, wiping the password first. */
void relay_auth_clear(struct relay_auth *a);

/* Called for each malformed line: its number and what is wrong. */
typedef void (*relay_auth_bad_fn)(void *arg, const char *path,
    unsigned lineno, const char *why);

/*
 * Reads path: the good entries into *v_out (*n_out of them; free with
 * relay_auth_free), each bad line reported through bad (and skipped). A
 * missing file is no entries. -1 with errno when the file cannot be
 * read.
 */
int relay_auth_load(const char *path, struct relay_auth **v_out,
    size_t *n_out, relay_auth_bad_fn bad, void *arg);
void relay_auth_free(struct relay_auth *v, size_t n);

#endif
