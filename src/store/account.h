/*
 * account.h: mailbox owners (users) in data_dir/accounts.db.
 *
 * A user is a normalised address (addr.h) in a local domain, a password
 * hash made by libxcrypt (yescrypt, "$y$"), an enabled flag, a quota in
 * bytes (0: none) and the POP3 keep policy (pop3_leave_on_server: what a
 * POP3 DELE does, see pop3d/maildrop.h). Every user has a mail tree (mbox.h, "Layout") created
 * with INBOX and the special-use folders when the user is added.
 *
 * Each password set also sets SCRAM-SHA-256 credentials (RFC 7677, 4096
 * iterations, 16-byte random salt) when it is printable ASCII.
 *
 * Passwords are NUL-terminated, 1..STORE_PASSWORD_MAX bytes, and may not
 * hold CR or LF. Addresses without '@' take the first of cfg->domains.
 */
#ifndef STORE_ACCOUNT_H
#define STORE_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct scram_creds;

#define STORE_PASSWORD_MAX	1024

struct store_user {
	char	*address;	/* normal form */
	bool	 enabled;
	uint64_t quota;		/* bytes; 0: none */
	int64_t	 created;	/* unix time */
	/* A POP3 DELE hides the message from later POP3 sessions but keeps
	 * it in the INBOX (\Seen) for IMAP, instead of expunging it. */
	bool	 pop3_leave_on_server;
};

/*
 * Adds a user and creates its mail tree. 0; or -1 and *errstr_out when the
 * address is malformed or not in a local domain, the password is
 * unacceptable, the user exists (errno EEXIST), or the database fails.
 */
int store_user_add(struct store *store, const char *address,
    const char *password, const char **errstr_out);

/*
 * Removes a user. Its mail tree is not erased but moved aside to
 * data_dir/deleted/<domain>/<local>.<unixtime> (an admin removes it by
 * hand), so a user added later under the same name starts empty.
 * 1 removed, 0 no such user, -1 error.
 */
int store_user_del(struct store *store, const char *address,
    const char **errstr_out);

/* Sets a new password. 1 changed, 0 no such user, -1 error. */
int store_user_passwd(struct store *store, const char *address,
    const char *password, const char **errstr_out);

/*
 * Checks a login. The comparison is crypt(3)'s own output against the
 * stored hash in constant time, and an unknown user costs one hash too,
 * so timing tells nothing about which users exist. 1 good password of an
 * enabled user, 0 anything else (unknown, disabled, wrong), -1 error.
 * canon_out (may be NULL), on 1: the normal form of the user's address,
 * STORE_ADDR_MAX + 1 bytes.
 */
int store_user_verify(struct store *store, const char *address,
    const char *password, char *canon_out, const char **errstr_out);

/*
 * The SCRAM-SHA-256 credentials (StoredKey, ServerKey, salt, iteration
 * count; never the password) that store_user_add and store_user_passwd
 * keep beside the hash. 1: an enabled user with credentials,
 * *creds_out filled and canon_out (may be NULL; STORE_ADDR_MAX + 1
 * bytes) its address in normal form. 0: unknown, disabled, or without
 * credentials (added before SCRAM, or a password that is not printable
 * ASCII): *creds_out holds stand-ins, the same for one address for the
 * life of the process, so the exchange runs to its end and fails like a
 * wrong password (see scram_server_set_fake). -1: error.
 */
int store_user_scram_get(struct store *store, const char *address,
    struct scram_creds *creds_out, char *canon_out, const char **errstr_out);

/*
 * Exact lookup of a normal-form-able address (no subaddress stripping:
 * see alias.h store_rcpt_lookup for recipients). 1 and *user_out filled
 * (free with store_user_clear; user_out may be NULL), 0 absent, -1 error.
 */
int store_user_get(struct store *store, const char *address,
    struct store_user *user_out, const char **errstr_out);

/*
 * Sets the quota (bytes of the INBOX; 0: none) or the enabled flag. A
 * disabled user cannot log in but still receives mail. 1 changed, 0 no
 * such user, -1 error. posternctl user set sets enabled and
 * pop3_leave_on_server; nothing sets the quota yet.
 */
int store_user_set_quota(struct store *store, const char *address,
    uint64_t quota, const char **errstr_out);
int store_user_set_enabled(struct store *store, const char *address,
    bool enabled, const char **errstr_out);
/* Sets the POP3 keep policy (struct store_user). 1, 0 no such user, -1. */
int store_user_set_pop3_leave(struct store *store, const char *address,
    bool leave, const char **errstr_out);

/* All users sorted by address. Free with store_user_list_free. 0 or -1. */
int store_user_list(struct store *store, struct store_user **users_out,
    size_t *n_out, const char **errstr_out);
void store_user_clear(struct store_user *user);
void store_user_list_free(struct store_user *users, size_t n);

/*
 * The user's mail tree, data_dir/mail/<domain>/<encoded local part>
 * (addr.h store_path_encode), for any spelling of address (the domain's
 * case does not matter). The caller frees the result; NULL when address
 * is not a valid address.
 */
char *store_user_dir(const struct store *store, const char *address);

#endif
