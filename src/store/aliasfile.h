/*
 * aliasfile.h: a parser for aliases(5) text, as `posternctl alias import`
 * reads it.
 *
 *   # comment
 *   name: target, target,
 *       target                # a line starting with blanks continues
 *   list: :include:/path/to/members
 *
 * A logical line is a line plus the continuation lines after it. Its name
 * ends at the first ':' (surrounding blanks dropped; a quoted "name" may
 * hold blanks). Targets are separated by commas; a target may be quoted
 * ("|cmd arg") so commas inside quotes do not split. Each target is
 * classified as an address, an :include: file, a pipe ("|cmd") or a file
 * ("/path"); refusing the last two is the importer's job (alias.h).
 *
 * In STORE_ALIASFILE_LIST mode (for :include: files) there are no names:
 * every logical line is just targets, and entries have name NULL.
 *
 * No I/O, no logging. Limits: STORE_ALIASFILE_LINE_MAX bytes per logical
 * line, STORE_ALIASFILE_TARGETS_MAX targets per entry.
 */
#ifndef STORE_ALIASFILE_H
#define STORE_ALIASFILE_H

#include <stddef.h>

#define STORE_ALIASFILE_LINE_MAX	(256 * 1024)
#define STORE_ALIASFILE_TARGETS_MAX	10000

enum store_aliasfile_mode {
	STORE_ALIASFILE_ALIASES,	/* "name: targets" lines */
	STORE_ALIASFILE_LIST,		/* targets only (an :include: file) */
};

enum store_target_type {
	STORE_TARGET_ADDRESS,	/* "bob", "bob@example.org" */
	STORE_TARGET_INCLUDE,	/* ":include:/path": value is the path */
	STORE_TARGET_PIPE,	/* "|command" */
	STORE_TARGET_FILE,	/* "/path" */
};

struct store_aliasfile_target {
	enum store_target_type type;
	const char	*value;	/* unquoted; for INCLUDE the path alone */
};

struct store_aliasfile_entry {
	const char	*name;	/* NULL in LIST mode */
	const struct store_aliasfile_target *targets;
	size_t		 ntargets;
	unsigned	 line;	/* first line of the logical line, from 1 */
};

struct store_aliasfile;

/* A parser over text (len bytes, borrowed: it must outlive the parser). */
struct store_aliasfile *store_aliasfile_new(const char *text, size_t len,
    enum store_aliasfile_mode mode);
/*
 * The next entry: 1 and *entry_out (valid until the next call or free), 0
 * at the end, -1 and *errstr_out (a static string) for a malformed line;
 * store_aliasfile_line() then names the line. Parsing may continue after
 * -1 with the following logical line.
 */
int store_aliasfile_next(struct store_aliasfile *p,
    const struct store_aliasfile_entry **entry_out, const char **errstr_out);
/* The first line of the logical line returned or refused last. */
unsigned store_aliasfile_line(const struct store_aliasfile *p);
/* Frees the parser and sets *pp to NULL. */
void store_aliasfile_free(struct store_aliasfile **pp);

#endif
