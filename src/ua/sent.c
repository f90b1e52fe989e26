/*
 * sent.c: the copy of a submitted message in the account's Sent folder
 * over IMAP (APPEND with \Seen, RFC 3501 §6.3.11). The folder is the one
 * with the \Sent special-use attribute (RFC 6154 §2), else one named
 * "Sent" (created when missing), or the folder `save_sent` names.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "mime/mutf7.h"
#include "ua/imap.h"
#include "ua/sent.h"

#define SENT_DEFAULT	"Sent"

/* The last hierarchy level of a raw mailbox name. */
static int
leaf_is(const struct ua_imap_node *mb, const struct ua_imap_node *d,
    const char *name)
{
	size_t i = mb->len, n = strlen(name);

	if (d != NULL && d->type == UA_IMAP_STRING && d->len == 1)
		while (i > 0 && mb->s[i - 1] != d->s[0])
			i--;
	else
		i = 0;
	return mb->len - i == n && strncasecmp(mb->s + i, name, n) == 0;
}

/*
 * Finds the Sent folder in a LIST reply: its quoted name goes to arg and
 * its UA name (decoded, "/" separated) to shown. 1 found, 0 not.
 */
static int
find_sent(struct ua_imap *im, struct buf *arg, struct buf *shown)
{
	const struct ua_imap_node *best = NULL, *best_d = NULL;
	size_t i, k;
	int special = 0;

	for (i = 0; i < ua_imap_nresp(im); i++) {
		const struct ua_imap_resp *r = ua_imap_resp_at(im, i);
		const struct ua_imap_node *root = ua_imap_node(r, 0);
		const struct ua_imap_node *at = ua_imap_child(r, root, 1);
		const struct ua_imap_node *d = ua_imap_child(r, root, 2);
		const struct ua_imap_node *mb = ua_imap_child(r, root, 3), *x;
		int is_sent = 0;

		if (!ua_imap_node_is(ua_imap_child(r, root, 0), "LIST") ||
		    at == NULL || at->type != UA_IMAP_LIST || mb == NULL ||
		    (mb->type != UA_IMAP_STRING && mb->type != UA_IMAP_ATOM))
			continue;
		for (k = 0; (x = ua_imap_child(r, at, k)) != NULL; k++) {
			if (ua_imap_node_is(x, "\\Noselect") ||
			    ua_imap_node_is(x, "\\NonExistent"))
				goto next;
			is_sent |= ua_imap_node_is(x, "\\Sent");
		}
		if (is_sent && !special) {
			best = mb;
			best_d = d;
			special = 1;
		} else if (best == NULL && leaf_is(mb, d, SENT_DEFAULT)) {
			best = mb;
			best_d = d;
		}
next:		;
	}
	if (best == NULL)
		return 0;
	{
		/* the raw name stays in modified UTF-7 for the command */
		struct buf raw;
		buf_init(&raw, best->len + 1);
		(void)buf_append(&raw, best->s, best->len);
		int q = ua_imap_quote(buf_cstr(&raw), arg);
		buf_free(&raw);
		if (q != 0 || memchr(best->s, '\0', best->len) != NULL) {
			buf_reset(arg);		/* a name we cannot send */
			return 0;
		}
	}
	if (mime_mutf7_decode(best->s, best->len, shown) == -1)
		(void)buf_append(shown, best->s, best->len);
	if (best_d != NULL && best_d->type == UA_IMAP_STRING &&
	    best_d->len == 1)
		for (k = 0; k < shown->len; k++)
			if (shown->data[k] == best_d->s[0])
				shown->data[k] = '/';
	return 1;
}

int
ua_sent_save(struct ua_account *a, const char *msg, size_t len,
    char *where, size_t wlen, char *err, size_t errlen)
{
	const char *want = a->save_sent;
	struct ua_imap *im;
	struct buf arg, shown;
	int rc = -1, named;

	where[0] = '\0';
	if (a->imap == NULL || (want != NULL && (!strcasecmp(want, "no") ||
	    !strcasecmp(want, "false") || !strcmp(want, "0"))))
		return 0;
	named = want != NULL && strcasecmp(want, "yes") &&
	    strcasecmp(want, "true") && strcmp(want, "1");
	if ((im = ua_imap_open(a, err, errlen)) == NULL)
		return -1;
	buf_init(&arg, 16 * 1024);
	buf_init(&shown, 16 * 1024);
	if (named) {
		(void)buf_puts(&shown, want);
		if (ua_imap_mailbox_arg(im, want, &arg) == -1) {
			snprintf(err, errlen, "save_sent: folder name too "
			    "long");
			goto out;
		}
	} else if (ua_imap_cmd(im, "LIST \"\" \"*\"") == -1)
		goto imap_err;
	else if (find_sent(im, &arg, &shown) == 0) {
		/* none yet: make "Sent" (RFC 6154 §5.2 would let us ask for
		 * the attribute; a plain name works on every server) */
		(void)buf_puts(&shown, SENT_DEFAULT);
		if (ua_imap_mailbox_arg(im, SENT_DEFAULT, &arg) == -1 ||
		    ua_imap_cmd(im, "CREATE %s", buf_cstr(&arg)) == -1)
			goto imap_err;
	}
	if (ua_imap_append(im, buf_cstr(&arg), "\\Seen", msg, len) == -1) {
		/* a named folder may not exist yet (RFC 3501 §6.3.11
		 * TRYCREATE): create it once and try again */
		if (!named || ua_imap_cmd(im, "CREATE %s", buf_cstr(&arg))
		    == -1 || ua_imap_append(im, buf_cstr(&arg), "\\Seen",
		    msg, len) == -1)
			goto imap_err;
	}
	snprintf(where, wlen, "%s", buf_cstr(&shown));
	rc = 1;
	goto out;
imap_err:
	snprintf(err, errlen, "%s", ua_imap_error(im));
out:
	buf_free(&arg);
	buf_free(&shown);
	ua_imap_close(&im);
	return rc;
}
