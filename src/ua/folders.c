/*
 * folders.c: `postern folders`, `folder create|delete|rename`, `move`,
 * `flag` and `delete` over IMAP (RFC 3501 §6.3, §6.4.6-8; MOVE RFC 6851
 * when offered). Folder paths use "/" whatever delimiter the server has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "mime/mutf7.h"
#include "ua/source.h"
#include "ua/summary.h"

static struct ua_imap *
open_imap(struct ua_ctx *c)
{
	char err[1024];
	struct ua_imap *im = ua_imap_open(&c->acct, err, sizeof(err));

	if (im == NULL)
		ua_warnx("%s", err);
	return im;
}

int
ua_cmd_folders(struct ua_ctx *c)
{
	struct ua_imap *im = open_imap(c);
	struct buf name;
	size_t i, n = 0;

	if (im == NULL)
		return UA_EXIT_ERR;
	if (ua_imap_cmd(im, "LIST \"\" \"*\"") == -1) {
		ua_warnx("%s", ua_imap_error(im));
		ua_imap_close(&im);
		return UA_EXIT_ERR;
	}
	buf_init(&name, 64 * 1024);
	for (i = 0; i < ua_imap_nresp(im); i++) {
		const struct ua_imap_resp *r = ua_imap_resp_at(im, i);
		const struct ua_imap_node *root = ua_imap_node(r, 0);
		const struct ua_imap_node *d = ua_imap_child(r, root, 2);
		const struct ua_imap_node *mb = ua_imap_child(r, root, 3);
		size_t k;

		if (!ua_imap_node_is(ua_imap_child(r, root, 0), "LIST") ||
		    mb == NULL || mb->type == UA_IMAP_LIST ||
		    mb->type == UA_IMAP_NIL)
			continue;
		buf_reset(&name);
		if (mime_mutf7_decode(mb->s, mb->len, &name) == -1)
			buf_append(&name, mb->s, mb->len);
		if (d != NULL && d->type == UA_IMAP_STRING && d->len == 1)
			for (k = 0; k < name.len; k++)
				if (name.data[k] == d->s[0])
					name.data[k] = '/';
		ua_sanitize(&name);
		printf("%s\n", buf_cstr(&name));
		n++;
	}
	buf_free(&name);
	ua_imap_close(&im);
	return n > 0 ? UA_EXIT_OK : UA_EXIT_NONE;
}

/* CREATE, DELETE or RENAME with folder arguments. */
static int
folder_cmd(struct ua_ctx *c, const char *verb, size_t nargs)
{
	struct ua_imap *im = open_imap(c);
	struct buf args;
	size_t i;
	int rc;

	if (im == NULL)
		return UA_EXIT_ERR;
	buf_init(&args, 16 * 1024);
	for (i = 0; i < nargs; i++) {
		buf_putc(&args, ' ');
		ua_imap_mailbox_arg(im, c->opt.args[i], &args);
	}
	rc = ua_imap_cmd(im, "%s%s", verb, buf_cstr(&args));
	if (rc == -1)
		ua_warnx("%s", ua_imap_error(im));
	buf_free(&args);
	ua_imap_close(&im);
	return rc == 0 ? UA_EXIT_OK : UA_EXIT_ERR;
}

int
ua_cmd_folder_create(struct ua_ctx *c)
{
	return folder_cmd(c, "CREATE", 1);
}

int
ua_cmd_folder_delete(struct ua_ctx *c)
{
	return folder_cmd(c, "DELETE", 1);
}

int
ua_cmd_folder_rename(struct ua_ctx *c)
{
	return folder_cmd(c, "RENAME", 2);
}

/* Opens the folder read-write and checks message number arg. */
static int
open_msg(struct ua_ctx *c, struct ua_src *s, size_t *n_out)
{
	if (c->opt.maildir != NULL || c->opt.pop3) {
		ua_warnx("this command needs IMAP");
		return -1;
	}
	if (ua_src_open(c, 0, s) == -1 || ua_src_number(s, c->opt.args[0],
	    n_out) == -1) {
		ua_src_close(s);
		return -1;
	}
	return 0;
}

static int
run(struct ua_src *s, const char *fmt, size_t n, const char *arg)
{
	if (ua_imap_cmd(s->imap, fmt, n, arg) == -1) {
		ua_warnx("%s", ua_imap_error(s->imap));
		return -1;
	}
	return 0;
}

static int
expunge(struct ua_src *s)
{
	if (ua_imap_cmd(s->imap, "EXPUNGE") == -1) {
		ua_warnx("%s", ua_imap_error(s->imap));
		return -1;
	}
	return 0;
}

int
ua_cmd_delete(struct ua_ctx *c)
{
	struct ua_src s;
	size_t n;
	int rc;

	if (open_msg(c, &s, &n) == -1)
		return UA_EXIT_ERR;
	rc = run(&s, "STORE %zu +FLAGS.SILENT (%s)", n, "\\Deleted");
	if (rc == 0)
		rc = expunge(&s);
	ua_src_close(&s);
	return rc == 0 ? UA_EXIT_OK : UA_EXIT_ERR;
}

int
ua_cmd_move(struct ua_ctx *c)
{
	struct ua_src s;
	struct buf mb;
	size_t n;
	int rc;

	if (open_msg(c, &s, &n) == -1)
		return UA_EXIT_ERR;
	buf_init(&mb, 16 * 1024);
	ua_imap_mailbox_arg(s.imap, c->opt.args[1], &mb);
	if (ua_imap_has_cap(s.imap, "MOVE"))
		rc = run(&s, "MOVE %zu %s", n, buf_cstr(&mb));
	else {
		rc = run(&s, "COPY %zu %s", n, buf_cstr(&mb));
		if (rc == 0)
			rc = run(&s, "STORE %zu +FLAGS.SILENT (%s)", n,
			    "\\Deleted");
		if (rc == 0)
			rc = expunge(&s);
	}
	buf_free(&mb);
	ua_src_close(&s);
	return rc == 0 ? UA_EXIT_OK : UA_EXIT_ERR;
}

int
ua_cmd_flag(struct ua_ctx *c)
{
	static const char *known[] = { "Seen", "Answered", "Flagged",
	    "Deleted", "Draft" };
	struct ua_src s;
	struct buf add, del;
	size_t n, i, k;
	int rc = 0;

	if (c->opt.nargs < 2) {
		ua_warnx("usage: postern flag N +Seen|-Seen|+Flagged...");
		return UA_EXIT_ERR;
	}
	buf_init(&add, 4096);
	buf_init(&del, 4096);
	for (i = 1; i < c->opt.nargs; i++) {
		const char *a = c->opt.args[i];
		struct buf *b = a[0] == '+' ? &add : a[0] == '-' ? &del : NULL;
		const char *name = a + 1;

		for (k = 0; k < nitems(known); k++)
			if (strcasecmp(name, known[k]) == 0)
				break;
		if (b == NULL || (k == nitems(known) && (*name == '\0' ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP"
		    "QRSTUVWXYZ0123456789_-$") != strlen(name)))) {
			ua_warnx("bad flag %s: use +Seen, -Flagged, +$Label",
			    a);
			buf_free(&add);
			buf_free(&del);
			return UA_EXIT_ERR;
		}
		buf_printf(b, "%s%s%s", b->len ? " " : "",
		    k < nitems(known) ? "\\" : "",
		    k < nitems(known) ? known[k] : name);
	}
	if (open_msg(c, &s, &n) == -1) {
		buf_free(&add);
		buf_free(&del);
		return UA_EXIT_ERR;
	}
	if (add.len)
		rc = run(&s, "STORE %zu +FLAGS.SILENT (%s)", n, buf_cstr(&add));
	if (rc == 0 && del.len)
		rc = run(&s, "STORE %zu -FLAGS.SILENT (%s)", n, buf_cstr(&del));
	buf_free(&add);
	buf_free(&del);
	ua_src_close(&s);
	return rc == 0 ? UA_EXIT_OK : UA_EXIT_ERR;
}
