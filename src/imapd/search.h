/*
 * search.h: IMAP SEARCH keys (RFC 3501 §6.4.4, RFC 7162 MODSEQ) parsed
 * into a tree and matched against messages. Text keys (HEADER, BODY,
 * TEXT and the address/subject shorthands) compare case-insensitively
 * after decoding: RFC 2047 words in headers, base64/quoted-printable and
 * the part's charset in bodies, all as UTF-8. A message's file is read
 * only when a text key or a sent-date key needs it.
 */
#ifndef IMAPD_SEARCH_H
#define IMAPD_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imapd/parser.h"
#include "lib/buf.h"

#define SEARCH_NODES_MAX	1000
#define SEARCH_DEPTH_MAX	32

struct imapd_search;

/* What a key looks at: index data, and the file when asked for. */
struct imapd_search_msg {
	uint32_t	 seq, uid;
	unsigned	 flags;		/* STORE_FLAG_* */
	const char	*keywords;
	bool		 recent;
	int64_t		 internaldate;
	uint64_t	 size, modseq;
	uint32_t	 nmsgs, maxuid;	/* what a star stands for in sets */
	/* Reads the raw message into data_out and len_out (1), gone (0),
	 * error (-1); data stays valid until the next message. */
	int		(*load)(void *arg, const char **data_out,
			    size_t *len_out);
	void		*load_arg;
};

/*
 * Parses search keys from toks[0..n) (after an optional CHARSET, which
 * the caller handles: strings are taken as UTF-8). 0 and *out, or -1 with
 * *errstr_out.
 */
int imapd_search_parse(const struct imapd_tok *toks, size_t n,
    struct imapd_search **out, const char **errstr_out);
void imapd_search_free(struct imapd_search **sp);
/* Whether the MODSEQ key appears (the reply then carries MODSEQ). */
bool imapd_search_has_modseq(const struct imapd_search *s);
/* 1 match, 0 no match. */
int imapd_search_match(struct imapd_search *s,
    const struct imapd_search_msg *m);

/* Case-folds UTF-8 text for comparison (exposed for tests). */
void imapd_search_fold(const char *in, size_t len, struct buf *out);

#endif
