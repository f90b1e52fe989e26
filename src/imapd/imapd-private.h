/*
 * imapd-private.h: what the IMAP engine's files share: the session, the
 * selected-mailbox view, the command table row and small helpers. Only
 * the files of src/imapd include it.
 */
#ifndef IMAPD_PRIVATE_H
#define IMAPD_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imapd/parser.h"
#include "imapd/session.h"
#include "lib/buf.h"
#include "store/addr.h"
#include "store/folder.h"
#include "store/mbox.h"

#define IMAPD_OUT_MAX		(2048ULL * 1024 * 1024)
#define IMAPD_OUT_CHUNK		(256 * 1024)	/* FETCH pauses past this */
#define IMAPD_BAD_MAX		20	/* BADs before we hang up */
#define IMAPD_AUTH_FAIL_MAX	3

enum imapd_state {
	IMAPD_STATE_NOAUTH = 0x01,
	IMAPD_STATE_AUTH = 0x02,
	IMAPD_STATE_SELECTED = 0x04,
	IMAPD_STATE_LOGOUT = 0x08,
};

/* Command table flags: the states a command is allowed in, and more. */
#define CMD_NOAUTH	IMAPD_STATE_NOAUTH
#define CMD_AUTH	IMAPD_STATE_AUTH
#define CMD_SEL		IMAPD_STATE_SELECTED
#define CMD_ANY		(CMD_NOAUTH | CMD_AUTH | CMD_SEL)
#define CMD_UIDOK	0x100	/* may follow "UID" */
#define CMD_NOEXPUNGE	0x200	/* RFC 3501 §7.4.1: no EXPUNGE while
				 * answering FETCH, STORE, SEARCH */

/* The selected mailbox as this session sees it. */
struct imapd_view {
	struct store_mbox *mbox;
	char		 name[STORE_FOLDER_NAME_MAX + 1];
	bool		 readonly;
	uint32_t	*uids;		/* sequence number i+1 is uids[i] */
	size_t		 n, cap;
	uint32_t	 uidvalidity;
	uint64_t	 modseq;	/* flag changes seen up to here */
	uint64_t	 xmodseq;	/* expunges seen up to here */
	bool		*recent;	/* uids[i] is \Recent in this session */
	int		 dirfd;		/* the folder, for reading messages;
					 * -1 until needed */
	size_t		 nrecent;
	char		*notify;	/* change file, while suspended */
	/* The change file's mtime when this view was last brought up to
	 * date, and whether that mtime was already old then (view.c). */
	struct timespec	 chg_mtime;
	bool		 chg_stable;
	/* Flag changes this session made and already reported. */
	struct { uint32_t uid; uint64_t modseq; } *own;
	size_t		 nown, owncap;
};

struct imapd_cmdctx;
typedef void (*imapd_cmd_fn)(struct imapd_session *s,
    struct imapd_cmdctx *c);

struct imapd_command {
	const char	*name;
	imapd_cmd_fn	 fn;
	unsigned	 flags;
};

/* One command being run. Handlers set the tagged result with reply(). */
struct imapd_cmdctx {
	const char		*tag;
	const char		*name;
	const struct imapd_tok	*args;
	size_t			 nargs, pos;	/* cursor */
	bool			 uid;		/* "UID ..." form */
	const char		*kind;		/* "OK", "NO", "BAD" */
	struct buf		 text;
	bool			 pending;	/* answered later (IDLE, AUTH) */
	bool			 no_expunge;
};

typedef void (*imapd_cont_fn)(struct imapd_session *s, const char *line,
    size_t len);

struct imapd_session {
	struct imapd_settings	 set;
	struct store		*store;
	struct imapd_parser	*parser;
	struct buf		 out;
	unsigned		 state;
	char			 user[STORE_ADDR_MAX + 1];
	struct imapd_view	*view;
	bool			 condstore;
	enum imapd_action	 action;
	unsigned		 nbad;
	unsigned		 nauthfail;
	/* A command waiting for continuation lines (AUTHENTICATE, IDLE). */
	imapd_cont_fn		 cont;
	char			 cont_tag[IMAPD_TAG_MAX + 1];
	int			 auth_step;
	char			*auth_user;
	/* A login waiting for the glue's password check (async_auth). */
	char			 auth_tag[IMAPD_TAG_MAX + 1];
	char			*auth_req_user, *auth_req_pass;
	struct scram_server	*scram;		/* SCRAM exchange, or NULL */
	bool			 idling;
	struct fetch_run	*fetch;		/* paused FETCH */
};

/* session.c */
void reply(struct imapd_cmdctx *c, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void out_printf(struct imapd_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void out_write(struct imapd_session *s, const void *data, size_t len);
/* A string as quoted or, when it needs it, as a literal. */
void out_string(struct imapd_session *s, const char *str, size_t len);
void out_capability(struct imapd_session *s);
void session_capability(struct imapd_session *s, struct buf *b);
/* Writes "tag KIND text" for a command answered later. */
void session_tagged(struct imapd_session *s, const char *tag,
    const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool session_can_plaintext(const struct imapd_session *s);
/* The client is user (normal form) from now on. */
void session_logged_in(struct imapd_session *s, const char *user);
/* Converts a raw UTF-8 name (size bytes of room) to modified UTF-7 in
 * place; ASCII names stay as they are. 0 or -1. */
int session_name_in(char *name, size_t size);
/* The mailbox name as the store takes it (no trailing delimiter). */
int session_mailbox_arg(struct imapd_cmdctx *c, char *out, size_t outlen);

/* args.c: walking the arguments. */
const struct imapd_tok *arg_next(struct imapd_cmdctx *c);
const struct imapd_tok *arg_peek(const struct imapd_cmdctx *c);
bool arg_end(const struct imapd_cmdctx *c);
/* An astring argument into out (NUL-free, < outlen): 0 or -1. */
int arg_astring(struct imapd_cmdctx *c, char *out, size_t outlen);
/* A parenthesised flag list (or one flag) into STORE_FLAG_* and a
 * space-separated keyword list (in kw, KEYWORDS_MAX). 0 or -1. */
int arg_flags(struct imapd_cmdctx *c, unsigned *flags_out, struct buf *kw);
int flag_parse(const char *s, unsigned *flags_out, struct buf *kw);
/* Formats flags and keywords as "(\Seen kw ...)" (with \Recent). */
void flags_format(struct buf *b, unsigned flags, const char *keywords,
    bool recent);

/* A parsed sequence set: ranges of numbers, "*" as SEQ_STAR (0 is no
 * nz-number, so every real number up to 4294967295 stays itself). */
#define SEQ_STAR	0
struct imapd_seqset {
	struct { uint32_t lo, hi; } *r;
	size_t	n;
};
int seqset_parse(const char *s, struct imapd_seqset *set);
void seqset_free(struct imapd_seqset *set);
/* Whether v is in the set, with "*" standing for star. */
bool seqset_has(const struct imapd_seqset *set, uint32_t v, uint32_t star);
/* A set with "*" replaced by star, sorted and merged, for seqset_in's
 * binary search (big sets meet big mailboxes). Free with seqset_free. */
void seqset_resolve(const struct imapd_seqset *in, uint32_t star,
    struct imapd_seqset *out);
bool seqset_in(const struct imapd_seqset *resolved, uint32_t v);
/* Appends "1:3,7" for a sorted list of UIDs. */
void uidset_format(struct buf *b, const uint32_t *uids, size_t n);

/* view.c: the selected mailbox. */
struct imapd_msgmeta {
	uint32_t	 uid;
	uint32_t	 seq;		/* 0 when not in the view */
	unsigned	 flags;
	char		*keywords;
	int64_t		 internaldate;
	uint64_t	 size;
	uint64_t	 modseq;
	char		*envelope, *bodystructure;	/* when cached */
	char		*file;		/* "cur/NAME" when the index had it */
};
int view_open(struct imapd_session *s, const char *name, bool readonly,
    const char **errstr_out);
void view_close(struct imapd_session *s);
/* IDLE can last hours: the mailbox handle (an SQLite connection, most
 * of a session's memory) is closed meanwhile and reopened when the
 * mailbox changes or IDLE ends. view_resume: 0, or -1 when the mailbox
 * is gone (the session is then closed with BYE). */
void view_suspend(struct imapd_session *s);
int view_resume(struct imapd_session *s);
/* Sends EXISTS/RECENT/FETCH and (when allowed) EXPUNGE for changes. */
void view_sync(struct imapd_session *s, bool allow_expunge);
/* Removes uid from the view and sends "* n EXPUNGE" (when present). */
void view_expunged(struct imapd_session *s, uint32_t uid);
/* The same for many UIDs (sorted in place), in one pass. */
void view_expunged_many(struct imapd_session *s, uint32_t *uids, size_t n);
/* The first UID no session has seen yet in mbox (STATUS RECENT). */
uint32_t view_recent_floor(struct store_mbox *mbox);
/* Records a flag change this session reported itself, so the next sync
 * does not report it again. */
void view_own_change(struct imapd_view *v, uint32_t uid, uint64_t modseq);
uint32_t view_seq(const struct imapd_view *v, uint32_t uid);
bool view_is_recent(const struct imapd_view *v, uint32_t uid);
/* The messages of the view named by a sequence set (or a UID set with
 * uid), in UID order, with their index data (cache strings with cache).
 * 0 or -1. */
int view_select(struct imapd_session *s, const struct imapd_seqset *set,
    bool uid, uint64_t changedsince, bool cache,
    struct imapd_msgmeta **out, size_t *n_out, const char **errstr_out);
void msgmeta_free(struct imapd_msgmeta *m, size_t n);
/* The raw message uid into out. 1, 0 gone, -1. */
int view_read(struct imapd_session *s, uint32_t uid, struct buf *out);
/* The same for a message view_select returned: its file is opened by the
 * name the index gave (no index lookup per message), falling back to
 * view_read when another tool renamed it since. */
int view_read_meta(struct imapd_session *s, const struct imapd_msgmeta *m,
    struct buf *out);

/* cmd-list.c: the subscription list, one name a line in the user's
 * directory. 0 or -1. */
int subs_load(struct imapd_session *s, char ***names_out, size_t *n_out);
int subs_save(struct imapd_session *s, char **names, size_t n);
void subs_free(char **names, size_t n);

/* Command handlers, one file per family. */
void cmd_capability(struct imapd_session *, struct imapd_cmdctx *);
void cmd_noop(struct imapd_session *, struct imapd_cmdctx *);
void cmd_logout(struct imapd_session *, struct imapd_cmdctx *);
void cmd_id(struct imapd_session *, struct imapd_cmdctx *);
void cmd_enable(struct imapd_session *, struct imapd_cmdctx *);
void cmd_namespace(struct imapd_session *, struct imapd_cmdctx *);
void cmd_starttls(struct imapd_session *, struct imapd_cmdctx *);
void cmd_login(struct imapd_session *, struct imapd_cmdctx *);
void cmd_authenticate(struct imapd_session *, struct imapd_cmdctx *);
void cmd_select(struct imapd_session *, struct imapd_cmdctx *);
void cmd_create(struct imapd_session *, struct imapd_cmdctx *);
void cmd_delete(struct imapd_session *, struct imapd_cmdctx *);
void cmd_rename(struct imapd_session *, struct imapd_cmdctx *);
void cmd_subscribe(struct imapd_session *, struct imapd_cmdctx *);
void cmd_status(struct imapd_session *, struct imapd_cmdctx *);
void cmd_list(struct imapd_session *, struct imapd_cmdctx *);
void cmd_append(struct imapd_session *, struct imapd_cmdctx *);
void cmd_check(struct imapd_session *, struct imapd_cmdctx *);
void cmd_close(struct imapd_session *, struct imapd_cmdctx *);
void cmd_expunge(struct imapd_session *, struct imapd_cmdctx *);
void cmd_store(struct imapd_session *, struct imapd_cmdctx *);
void cmd_copy(struct imapd_session *, struct imapd_cmdctx *);
void cmd_fetch(struct imapd_session *, struct imapd_cmdctx *);
struct imapd_fetch;
/* fetch-parse.c: the FETCH items at the cursor. 0 or -1. */
int imapd_fetch_parse_args(struct imapd_cmdctx *c, struct imapd_fetch *f);
struct fetch_run;
void fetch_resume(struct imapd_session *s);
void fetch_run_free(struct fetch_run **rp);
void cmd_search(struct imapd_session *, struct imapd_cmdctx *);
void cmd_idle(struct imapd_session *, struct imapd_cmdctx *);

#endif
