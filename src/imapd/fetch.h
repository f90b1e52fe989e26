/*
 * fetch.h: FETCH attributes (RFC 3501 §6.4.5 fetch-att, RFC 7162
 * CHANGEDSINCE): the parsed form, the section-spec check and the
 * <partial> cut. Pure; the imap role's FETCH (cmd-fetch.c) uses it.
 */
#ifndef IMAPD_FETCH_H
#define IMAPD_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imapd/parser.h"

#define IMAPD_FETCH_ITEMS_MAX	64
#define IMAPD_SECTION_MAX	1024

enum imapd_fitem_kind {
	IMAPD_FI_FLAGS,
	IMAPD_FI_INTERNALDATE,
	IMAPD_FI_SIZE,
	IMAPD_FI_ENVELOPE,
	IMAPD_FI_BODY,
	IMAPD_FI_BODYSTRUCTURE,
	IMAPD_FI_UID,
	IMAPD_FI_MODSEQ,
	IMAPD_FI_RFC822,
	IMAPD_FI_RFC822_HEADER,
	IMAPD_FI_RFC822_TEXT,
	IMAPD_FI_SECTION,
	IMAPD_FI_BINARY,	/* RFC 3516 */
	IMAPD_FI_BINARY_SIZE,
};

struct imapd_fitem {
	enum imapd_fitem_kind	 kind;
	bool		 peek;
	char		 spec[IMAPD_SECTION_MAX];
	bool		 partial;
	uint64_t	 off, len;
};

struct imapd_fetch {
	struct imapd_fitem	 items[IMAPD_FETCH_ITEMS_MAX];
	size_t		 n;
	bool		 need_msg;	/* some item reads the file */
	bool		 need_tree;
	bool		 sets_seen;
	uint64_t	 changedsince;
	bool		 modseq;
};

/* Parses the items after the sequence set: one attribute or a list,
 * then an optional (CHANGEDSINCE n). 0, or -1 for bad syntax. */
int imapd_fetch_parse(const struct imapd_tok *toks, size_t n,
    struct imapd_fetch *f);
/* Whether section-spec s (the text between the brackets) is valid. */
bool imapd_fetch_spec_ok(const char *s);
bool imapd_fetch_has(const struct imapd_fetch *f, enum imapd_fitem_kind k);
/* Adds an attribute once (sections may repeat). 0, or -1 when full. */
int imapd_fetch_add(struct imapd_fetch *f, enum imapd_fitem_kind k);
/* Cuts data/len to the item's <partial> range (§6.4.5). */
void imapd_fetch_partial(const struct imapd_fitem *it, const char **data,
    size_t *len);

#endif
