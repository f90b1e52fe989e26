/*
 * folder.h: a user's folders, their names and where they live.
 *
 * Names. The API takes folder names as IMAP puts them on the wire:
 * modified UTF-7 (RFC 3501 §5.1.3), so pure printable ASCII. The hierarchy
 * delimiter is '/' (STORE_FOLDER_DELIM). "INBOX" in any case is the
 * user's inbox and is always spelt "INBOX" in the canonical form. A valid
 * name has 1..STORE_FOLDER_NAME_MAX bytes, no NUL and no control or 8-bit
 * bytes, no empty component (no leading, trailing or doubled '/'), no
 * component "." or "..", at most STORE_FOLDER_DEPTH_MAX components, and
 * every '&' starts a well-formed modified-BASE64 run ("&-" is '&') that
 * decodes to UTF-16 with paired surrogates and no character below U+0080
 * (those must appear as themselves, RFC 3501 §5.1.3). So no name can
 * reach outside the user's tree: on disk each component is also encoded.
 *
 * Layout (Maildir++, readable by mutt -f and Dovecot):
 *   data_dir/mail/<domain>/<local>/        the user's root, also INBOX
 *       cur/ new/ tmp/                     INBOX messages (Maildir)
 *       postern-index.db[-wal,-shm]        INBOX index (mbox.h)
 *       postern-uidvalidity                UIDVALIDITY and a UIDNEXT floor
 *       postern-changed                    touched on every change (mbox.h)
 *       .Sent/ .A.B/ ...                   other folders, each a Maildir
 *                                          with the same files plus the
 *                                          Maildir++ "maildirfolder" marker
 * A folder's directory is "." followed by its components joined with
 * '.', each component with every byte outside [A-Za-z0-9 _+=,;!#$&'()-]
 * written as %XX (so '.', '/', '%' never appear raw). Directories whose
 * names do not decode to a valid folder name (Postern's own temporaries
 * start with ".%") are ignored.
 *
 * New users get INBOX and the special-use folders (RFC 6154) Sent, Drafts,
 * Trash, Junk and Archive.
 */
#ifndef STORE_FOLDER_H
#define STORE_FOLDER_H

#include <stdbool.h>
#include <stddef.h>

struct store;

#define STORE_FOLDER_DELIM	'/'
#define STORE_FOLDER_NAME_MAX	255
#define STORE_FOLDER_DEPTH_MAX	16

/* RFC 6154 special-use attributes. */
enum store_special {
	STORE_SPECIAL_NONE,
	STORE_SPECIAL_SENT,
	STORE_SPECIAL_DRAFTS,
	STORE_SPECIAL_TRASH,
	STORE_SPECIAL_JUNK,
	STORE_SPECIAL_ARCHIVE,
};

struct store_folder {
	char	*name;		/* canonical */
	enum store_special special;
	bool	 has_children;
};

/*
 * Validates name (len bytes; embedded NULs are refused) and writes its
 * canonical form to canon_out (outlen bytes, STORE_FOLDER_NAME_MAX + 1 is
 * always enough). 0, or -1 and *errstr_out (a static string). Pure.
 */
int store_folder_name_check(const char *name, size_t len, char *canon_out,
    size_t outlen, const char **errstr_out);

/* The special-use attribute of a canonical name. */
enum store_special store_folder_special(const char *canon);

/*
 * The directory of folder (any valid spelling) of user (normal form).
 * The caller frees *path_out. 0, or -1 for an invalid name.
 */
int store_folder_path(struct store *store, const char *user,
    const char *folder, char **path_out, const char **errstr_out);

/* Creates the user's root (INBOX) and special-use folders when missing.
 * Idempotent. 0 or -1. */
int store_folder_tree_init(struct store *store, const char *user,
    const char **errstr_out);

/* All folders of user, INBOX first, then sorted bytewise. Free with
 * store_folder_list_free. 0 or -1. */
int store_folder_list(struct store *store, const char *user,
    struct store_folder **list_out, size_t *n_out, const char **errstr_out);
void store_folder_list_free(struct store_folder *list, size_t n);

/* 1 the folder exists, 0 not, -1 error (bad name). */
int store_folder_exists(struct store *store, const char *user,
    const char *folder, const char **errstr_out);

/*
 * Creates folder and any missing parents (RFC 3501 §6.3.3). 0; -1 and
 * *errstr_out when the name is bad, it exists (errno EEXIST) or the
 * disk fails.
 */
int store_folder_create(struct store *store, const char *user,
    const char *folder, const char **errstr_out);

/*
 * Deletes folder with its messages and index; with recursive, its
 * children too (otherwise they stay). INBOX cannot be deleted. Others
 * see the folder vanish at once (renamed away first). 1 deleted, 0 no
 * such folder, -1 error.
 */
int store_folder_delete(struct store *store, const char *user,
    const char *folder, bool recursive, const char **errstr_out);

/*
 * Renames from to to, children included ("a" -> "b" moves "a/x" to
 * "b/x"). Messages keep their UIDs and the folder its UIDVALIDITY. to
 * and its would-be children must not exist; missing parents of to are
 * created. Renaming INBOX is refused. 1 renamed, 0 no such folder, -1.
 */
int store_folder_rename(struct store *store, const char *user,
    const char *from, const char *to, const char **errstr_out);

#endif
