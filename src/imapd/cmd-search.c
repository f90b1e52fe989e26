/*
 * cmd-search.c: SEARCH and UID SEARCH (RFC 3501 §6.4.4), with the MODSEQ
 * key of RFC 7162. The key parser and matcher live in search.c. Run by
 * the imap role process.
 */
#include "imapd/imapd-private.h"

void
cmd_search(struct imapd_session *s, struct imapd_cmdctx *c)
{
	(void)s;
	reply(c, "NO", "SEARCH not yet implemented");
}
