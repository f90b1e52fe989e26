/*
 * mbox.h: one folder of one user: Maildir files plus an index.
 *
 * Files. Every message is one file in the folder's Maildir (folder.h has
 * the tree): delivered ones in new/, others in cur/. A file is named
 *     <sec>.M<usec>P<pid>R<random>.<host>,S=<size>,U=<uid>[:2,<flags>]
 * S= is the file size (Maildir++), U= the message's UID (so the UIDs
 * survive a lost index), and ":2,<flags>" the Maildir info with the
 * standard flags in ASCII order: D draft, F flagged, P forwarded,
 * R answered, S seen, T deleted. The file's mtime is the internal date.
 * Messages are stored byte for byte as given (Postern stores CRLF line
 * ends, as Dovecot's mail_save_crlf does; mutt reads them), so size is
 * the RFC822.SIZE IMAP and POP3 report.
 *
 * Index. postern-index.db (SQLite, WAL) in the folder's directory holds
 * UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and per message: UID, file name,
 * flags, keywords, internal date, size, MODSEQ, and cached ENVELOPE and
 * BODYSTRUCTURE (NULL until the IMAP server fills them). The index is
 * authoritative; the file names mirror it for other tools. Every change
 * runs in one BEGIN IMMEDIATE transaction, so concurrent processes
 * (deliveries, IMAP sessions expunging and flagging) serialise per
 * folder: UIDs are handed out once, in increasing order, and never
 * reused after an expunge (UIDNEXT only grows). Files added, removed or
 * renamed by other tools are picked up by store_mbox_sync.
 *
 * postern-uidvalidity holds "UIDVALIDITY UIDNEXT-floor": written when the
 * index is built and when an expunge removes the highest UID. If the index
 * is lost, the rebuild (first open, or store_mbox_reindex) keeps
 * UIDVALIDITY and every UID when all files carry distinct U= tags, with
 * UIDNEXT at least the floor; otherwise it picks a new, larger
 * UIDVALIDITY and numbers the messages afresh (renaming the files).
 * A new UIDVALIDITY is the time, but above the last one given to any
 * folder of the user (postern-uidvalidity-last in the user's root), so
 * a folder deleted and created again never reuses one.
 * MODSEQs start at the time in microseconds on every (re)build, so they
 * only grow.
 * Keywords and cached fields are lost in a rebuild.
 *
 * Change notification. After every committed change the process touches
 * postern-changed (store_mbox_notify_path) in the folder's directory:
 * watch it with inotify (IN_ATTRIB) or poll its mtime, then compare
 * store_mbox_status().highestmodseq / uidnext with what you knew and
 * fetch what changed (store_msg_iter with changedsince, and
 * store_mbox_vanished for expunges). Both are cheap enough to poll each
 * second for thousands of idle sessions.
 *
 * Durability: store_msg_append returns 0 only after the message file is
 * fsynced, renamed into place, its directory fsynced and the index
 * committed (SQLite synchronous=FULL).
 *
 * Handles are per process and not thread-safe. errstr_out strings live
 * in the handle until its next call.
 */
#ifndef STORE_MBOX_H
#define STORE_MBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct store;
struct store_mbox;

/* System flags (RFC 3501 §2.3.2) and $Forwarded (Maildir 'P'). */
#define STORE_FLAG_SEEN		0x01	/* S */
#define STORE_FLAG_ANSWERED	0x02	/* R */
#define STORE_FLAG_FLAGGED	0x04	/* F */
#define STORE_FLAG_DELETED	0x08	/* T */
#define STORE_FLAG_DRAFT	0x10	/* D */
#define STORE_FLAG_FORWARDED	0x20	/* P */
#define STORE_FLAG_ALL		0x3f

#define STORE_MSG_MAX		(1024ULL * 1024 * 1024)	/* one message */
#define STORE_KEYWORDS_MAX	4096	/* bytes of the keyword list */

struct store_mbox_status {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t exists;	/* messages */
	uint32_t unseen;	/* messages without \Seen */
	uint32_t deleted;	/* messages with \Deleted */
	uint64_t bytes;		/* sum of sizes */
};

/* One message as the index has it. Strings belong to the iterator. */
struct store_msg {
	uint32_t	 uid;
	unsigned	 flags;		/* STORE_FLAG_* */
	const char	*keywords;	/* space-separated, sorted; "" none */
	int64_t		 internaldate;	/* unix time */
	uint64_t	 size;		/* bytes of the file */
	uint64_t	 modseq;
	const char	*file;		/* "cur/NAME" relative to the folder */
	const char	*envelope;	/* cached, or NULL */
	const char	*bodystructure;	/* cached, or NULL */
};

enum store_flag_op {
	STORE_FLAGS_SET,	/* replace (IMAP STORE FLAGS) */
	STORE_FLAGS_ADD,	/* +FLAGS */
	STORE_FLAGS_REMOVE,	/* -FLAGS */
};

/*
 * Opens folder (any valid spelling, folder.h) of user (normal form),
 * building its index from the files when it has none. 1 and *mbox_out,
 * 0 no such folder, -1 error (*errstr_out from the store); *mbox_out is
 * NULL unless 1 is returned.
 */
int store_mbox_open(struct store *store, const char *user,
    const char *folder, struct store_mbox **mbox_out,
    const char **errstr_out);
/*
 * A handle on user's INBOX that the store keeps open between calls, for
 * delivery (opening an index costs several system calls and a WAL
 * replay). The store owns it: do not close it; it stays valid until the
 * next store_inbox_get or store_close. A cached handle whose index file
 * was replaced (user deleted and added again, index rebuilt by hand) is
 * reopened. 1, 0 no INBOX, -1 error.
 */
int store_inbox_get(struct store *store, const char *user,
    struct store_mbox **mbox_out, const char **errstr_out);

/* Closes and sets *mboxp to NULL. NULL is a no-op. */
void store_mbox_close(struct store_mbox **mboxp);

/* The folder's directory, and the file touched on every change. */
const char *store_mbox_dir(const struct store_mbox *mbox);
const char *store_mbox_notify_path(const struct store_mbox *mbox);

int store_mbox_status(struct store_mbox *mbox,
    struct store_mbox_status *out, const char **errstr_out);

/*
 * Appends a message made of iovcnt pieces (written in order; delivery
 * prepends header lines without copying the message). flags and keywords
 * (NULL or space-separated) are its initial state; internaldate 0 means
 * now. 0 and *uid_out (may be NULL) once durable, or -1 (nothing stored).
 */
int store_msg_append_iov(struct store_mbox *mbox, const struct iovec *iov,
    int iovcnt, unsigned flags, const char *keywords, int64_t internaldate,
    uint32_t *uid_out, const char **errstr_out);
int store_msg_append(struct store_mbox *mbox, const void *data, size_t len,
    unsigned flags, const char *keywords, int64_t internaldate,
    uint32_t *uid_out, const char **errstr_out);

/*
 * Batched appends (the queue's group commit): durability for many
 * messages at the cost of two file-system syncs instead of several
 * fsyncs each.
 *  1. store_msg_stage_iov writes each message into the folder's tmp/
 *     without any fsync; nothing is visible yet.
 *  2. store_sync (store.h) makes the staged files durable.
 *  3. store_msg_publish gives the staged messages of one folder their
 *     UIDs, renames them into new/ (cur/ with flags) and commits the
 *     index, in one transaction, without fsync. On -1 nothing of the
 *     batch is published and the messages stay staged.
 *  4. store_sync again: only now are the messages durably delivered.
 * A crash before step 4 may lose published messages (the index may or
 * may not have them): the caller must still hold its own copy (the queue
 * file) until step 4 returns. Never a message with partial content: no
 * file is renamed into place before its bytes are on disk.
 * store_staged_free releases a staged message (removing the tmp file if
 * it was not published).
 */
struct store_staged;
int store_msg_stage_iov(struct store_mbox *mbox, const struct iovec *iov,
    int iovcnt, unsigned flags, int64_t internaldate,
    struct store_staged **out, const char **errstr_out);
int store_msg_publish(struct store_mbox *mbox, struct store_staged **v,
    size_t n, uint32_t *uids_out, const char **errstr_out);
void store_staged_free(struct store_staged **stp);

/*
 * Iterates over the messages with first <= UID <= last (last 0: no upper
 * bound) and MODSEQ > changedsince (0: all), in UID order. The iterator
 * reads one snapshot of the index. 0 and *it_out, or -1.
 */
struct store_msg_iter;
int store_msg_iter_new(struct store_mbox *mbox, uint32_t first,
    uint32_t last, uint64_t changedsince, struct store_msg_iter **it_out,
    const char **errstr_out);
/* 1 and *msg_out (valid until the next call), 0 at the end, -1 error. */
int store_msg_iter_next(struct store_msg_iter *it,
    const struct store_msg **msg_out, const char **errstr_out);
void store_msg_iter_free(struct store_msg_iter **itp);

/*
 * Opens the file of message uid read-only (finding it under another name
 * when another tool renamed it). 1 and *fd_out (the caller closes it),
 * 0 no such message, -1 error.
 */
int store_msg_open(struct store_mbox *mbox, uint32_t uid, int *fd_out,
    const char **errstr_out);

/*
 * Changes the flags and keywords of message uid (keywords NULL: leave
 * them; with SET, NULL keeps them and "" clears them). Bumps its MODSEQ
 * only when something changed. 1 and *modseq_out (may be NULL; the
 * message's MODSEQ after the call), 0 no such message, -1 error.
 */
int store_msg_flags(struct store_mbox *mbox, uint32_t uid,
    enum store_flag_op op, unsigned flags, const char *keywords,
    uint64_t *modseq_out, const char **errstr_out);

/* Expunges message uid. 1 done, 0 no such message, -1 error. */
int store_msg_expunge(struct store_mbox *mbox, uint32_t uid,
    const char **errstr_out);
/*
 * Expunges every message flagged \Deleted (IMAP EXPUNGE, POP3 QUIT).
 * 0 and the expunged UIDs in *uids_out (the caller frees it; may be NULL
 * when n_out is 0), or -1 (nothing expunged).
 */
int store_mbox_expunge_deleted(struct store_mbox *mbox, uint32_t **uids_out,
    size_t *n_out, const char **errstr_out);

/* UIDs expunged with MODSEQ > since (RFC 7162 VANISHED). 0 or -1. */
int store_mbox_vanished(struct store_mbox *mbox, uint64_t since,
    uint32_t **uids_out, size_t *n_out, const char **errstr_out);

/*
 * Copies message uid of src into dst with its flags, keywords and
 * internal date, as a new file of its own. 1 and *uid_out (in dst;
 * may be NULL), 0 no such message, -1 error. move: then expunges it in
 * src (RFC 6851).
 */
int store_msg_copy(struct store_mbox *src, uint32_t uid,
    struct store_mbox *dst, uint32_t *uid_out, const char **errstr_out);
int store_msg_move(struct store_mbox *src, uint32_t uid,
    struct store_mbox *dst, uint32_t *uid_out, const char **errstr_out);

/* Stores the cached ENVELOPE and BODYSTRUCTURE (NULL clears) of uid.
 * 1, 0 no such message, -1. Does not bump MODSEQ. */
int store_msg_cache_set(struct store_mbox *mbox, uint32_t uid,
    const char *envelope, const char *bodystructure,
    const char **errstr_out);

/*
 * Reconciles the index with the files: new files get UIDs, vanished ones
 * are expunged, renamed ones (flags set by mutt, new/ -> cur/) are
 * followed, and tmp/ files older than 36 hours (dead deliveries) are
 * removed. Call it on IMAP SELECT and POP3 login. 0 and *changed_out (may
 * be NULL), or -1.
 */
int store_mbox_sync(struct store_mbox *mbox, bool *changed_out,
    const char **errstr_out);

/*
 * Rebuilds the index of folder from its files (posternctl mailbox
 * reindex), safely beside running processes. A damaged index file is
 * moved aside (postern-index.db.corrupt) and rebuilt. *uidvalidity_changed_out
 * (may be NULL) tells whether the UIDs had to be renumbered. 1 done, 0 no
 * such folder, -1 error.
 */
int store_mbox_reindex(struct store *store, const char *user,
    const char *folder, bool *uidvalidity_changed_out,
    const char **errstr_out);

/* Maildir info letters of flags, "DFPRST" order, into out (7 bytes). */
void store_flags_to_info(unsigned flags, char *out);
/* Flags of an info string ("2,FS"-style letters after ":2,"). */
unsigned store_flags_from_info(const char *info);

#endif
