/*
 * ua.h: what the `postern` subcommands share: parsed options, the account,
 * exit codes, and the handler of each command-table row (main.c).
 */
#ifndef UA_UA_H
#define UA_UA_H

#include <stddef.h>

#include "ua/account.h"

/* Exit codes: scripts rely on them. */
#define UA_EXIT_OK	0
#define UA_EXIT_NONE	1	/* nothing found / nothing to do */
#define UA_EXIT_ERR	2

#define UA_MSG_MAX	(64 * 1024 * 1024)	/* a message held in memory */

/* A repeated string option (--to, --attach...). */
struct ua_strs {
	char	**v;
	size_t	  n;
};

struct ua_opts {
	struct ua_strs	 to, cc, bcc, attach;
	const char	*subject, *from;
	const char	*folder;	/* NULL: INBOX */
	const char	*maildir;	/* --maildir: a local Maildir */
	const char	*mode;		/* fetch: keep | delete */
	const char	*exec;		/* watch --exec */
	const char	*since, *s_from, *s_subject;
	long		 interval;	/* watch, seconds */
	long		 count;		/* watch --count: stop after N rounds */
	size_t		 max_bytes;
	long		 progress_fd;	/* > 0: "progress D T" lines there */
	int		 pop3, headers, raw, inline_fwd, all;
	char		**args;		/* positional words after the command */
	size_t		 nargs;
};

struct ua_ctx {
	struct ua_account	 acct;
	struct ua_opts		 opt;
	int			 argc;	/* the command line, for the TUI */
	char			**argv;
};

/* What reply and forward add to a composed message. */
struct ua_compose_extra {
	const char	*in_reply_to, *references;	/* RFC 5322 §3.6.4 */
	const char	*quote;		/* appended to the body */
	size_t		 quote_len;
	const char	*msg;		/* attached message, or NULL */
	size_t		 msg_len;
	const char	*msg_name, *msg_type;
};

/* Composes from the options plus x, then submits or queues (send.c). */
int ua_send_compose(struct ua_ctx *c, const struct ua_compose_extra *x);

/* After a submission: the copy in the Sent folder (save_sent), with a
 * "copied to FOLDER" line unless quiet, a warning when it fails. */
void ua_send_copy_sent(struct ua_account *a, const char *msg, size_t len,
    int quiet);

/* "postern: ..." on stderr. */
void ua_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Command handlers; each returns a UA_EXIT_* code. */
int ua_cmd_send(struct ua_ctx *);
int ua_cmd_flush(struct ua_ctx *);
int ua_cmd_outbox(struct ua_ctx *);
int ua_cmd_list(struct ua_ctx *);
int ua_cmd_read(struct ua_ctx *);
int ua_cmd_save(struct ua_ctx *);
int ua_cmd_search(struct ua_ctx *);
int ua_cmd_fetch(struct ua_ctx *);
int ua_cmd_folders(struct ua_ctx *);
int ua_cmd_folder_create(struct ua_ctx *);
int ua_cmd_folder_delete(struct ua_ctx *);
int ua_cmd_folder_rename(struct ua_ctx *);
int ua_cmd_move(struct ua_ctx *);
int ua_cmd_flag(struct ua_ctx *);
int ua_cmd_delete(struct ua_ctx *);
int ua_cmd_watch(struct ua_ctx *);
int ua_cmd_reply(struct ua_ctx *);
/* The full-screen interface (tui.c): `postern` without a command. */
int ua_tui(struct ua_ctx *);
int ua_cmd_forward(struct ua_ctx *);

#endif
