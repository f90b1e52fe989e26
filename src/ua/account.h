/*
 * account.h: the user agent's account settings: ~/.config/postern/config
 * (`key = value`, `#` comments, optional `[account NAME]` sections) merged
 * with command-line flags, and the password (file, command or prompt;
 * never argv).
 *
 * Keys: imap, pop3, smtp (HOST:PORT), user, password_file,
 * password_command, tls (auto | none | starttls | tls), insecure (yes/no),
 * ca_file, from, name, maildir, outbox, hostname, save_sent (yes | no |
 * FOLDER: where sent mail is copied over IMAP). Keys before the first
 * section apply to every account; `default_account` names the account
 * used when --account is not given.
 */
#ifndef UA_ACCOUNT_H
#define UA_ACCOUNT_H

#include <stddef.h>

enum ua_tls {
	UA_TLS_AUTO,	/* implicit on 465/993/995; else STARTTLS, except on
			 * loopback where clear text is allowed */
	UA_TLS_NONE,
	UA_TLS_STARTTLS,
	UA_TLS_IMPLICIT,
};

enum ua_service {
	UA_SVC_IMAP,
	UA_SVC_POP3,
	UA_SVC_SMTP,
};

struct ua_account {
	char		*name;
	char		*imap, *pop3, *smtp;	/* HOST:PORT or NULL */
	char		*user;
	char		*password_file, *password_command;
	char		*from, *display_name;
	char		*ca_file;
	int		 insecure;
	enum ua_tls	 tls;
	char		*maildir;	/* local Maildir (fetch, --maildir) */
	char		*outbox;	/* folder of unsent messages */
	char		*hostname;	/* Message-ID domain, EHLO name */
	char		*save_sent;	/* yes (NULL) | no | a folder */
	char		*password;	/* filled by ua_account_password */
};

/*
 * Reads the config file at path for account name (NULL: default_account
 * or the top level). A missing file is fine when must_exist is 0.
 * Returns 0, or -1 with "FILE:LINE: message" in err.
 */
int ua_account_load(const char *path, const char *name, int must_exist,
    struct ua_account *a, char *err, size_t errlen);
/* The default config path ($XDG_CONFIG_HOME or ~/.config); allocated. */
char *ua_account_default_path(void);
/* Fills unset fields with defaults (outbox, maildir, hostname, from). */
void ua_account_defaults(struct ua_account *a);
void ua_account_free(struct ua_account *a);

/* Sets a key as the config file would: 0, or -1 with *errstr_out. */
int ua_account_set(struct ua_account *a, const char *key, const char *value,
    const char **errstr_out);

/* The password: from password_file, password_command or a prompt on the
 * terminal. NULL with a message in err. Kept in a->password. */
const char *ua_account_password(struct ua_account *a, char *err,
    size_t errlen);

/*
 * Splits the service's HOST:PORT ("[v6]:port" too; default port when
 * missing) and decides its TLS mode. -1 with err when it is not set.
 */
int ua_account_endpoint(const struct ua_account *a, enum ua_service svc,
    char *host, size_t hostlen, char *port, size_t portlen,
    enum ua_tls *tls_out, char *err, size_t errlen);

#endif
