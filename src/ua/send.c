/*
 * send.c: `postern send`, `flush` and `outbox`: composes a message with
 * the message library (mime/build.h), submits it (smtp.c), keeps it in
 * the outbox (outbox.c) when the server cannot be reached, and copies
 * what went out to the Sent folder (sent.c).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "mime/addr.h"
#include "mime/build.h"
#include "ua/outbox.h"
#include "ua/sent.h"
#include "ua/smtp.h"
#include "ua/ua.h"

struct rcpts {
	char	**v;
	size_t	  n;
};

static int
slurp(FILE *f, struct buf *out)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(out, chunk, n) == -1)
			return -1;
	return ferror(f) ? -1 : 0;
}

/* Body from $EDITOR on a temporary file (stdin is a terminal), which
 * starts with initial (a quoted reply, or nothing). */
static int
edit_body(struct buf *out, const char *initial, size_t ilen)
{
	char path[] = "/tmp/postern-XXXXXX";
	const char *ed = getenv("VISUAL") ? getenv("VISUAL") :
	    getenv("EDITOR") ? getenv("EDITOR") : "vi";
	char *cmd;
	FILE *f;
	int fd, st, rc = -1;

	if ((fd = mkstemp(path)) == -1)
		return -1;
	if (ilen > 0 && write(fd, initial, ilen) != (ssize_t)ilen) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	cmd = xasprintf("%s '%s'", ed, path);
	st = system(cmd);
	free(cmd);
	if (st == 0 && (f = fopen(path, "r")) != NULL) {
		rc = slurp(f, out);
		fclose(f);
	}
	unlink(path);
	return rc;
}

/*
 * Adds each mailbox of an address-list argument ("a@b", "Name <a@b>",
 * "a@b, c@d") to the header field (unless field is NULL: Bcc) and to the
 * envelope recipients.
 */
static int
add_addrs(struct mime_build *b, const char *field, const char *arg,
    struct rcpts *env)
{
	struct mime_addr_parser *p = mime_addr_parser_new(arg, strlen(arg));
	struct mime_addr a;
	struct buf spec;
	const char *es = NULL;
	int rc, n = 0;

	buf_init(&spec, 1024);
	while ((rc = mime_addr_next(p, &a, &es)) == 1) {
		if (a.kind != MIME_ADDR_MAILBOX)
			continue;
		buf_reset(&spec);
		if (a.domain == NULL || (a.flags & MIME_ADDR_F_INVALID) ||
		    mime_addr_spec_format(&a, &spec) == -1) {
			ua_warnx("bad address: %s", arg);
			rc = -1;
			break;
		}
		if (field != NULL && mime_build_addr(b, field, a.name,
		    buf_cstr(&spec), &es) == -1) {
			ua_warnx("%s: %s", arg, es);
			rc = -1;
			break;
		}
		if (env != NULL) {
			env->v = xreallocarray(env->v, env->n + 1,
			    sizeof(char *));
			env->v[env->n++] = xstrdup(buf_cstr(&spec));
		}
		n++;
	}
	if (rc == 0 && n == 0) {
		ua_warnx("no address in '%s'", arg);
		rc = -1;
	}
	mime_addr_parser_free(&p);
	buf_free(&spec);
	return rc == -1 ? -1 : 0;
}

/* The envelope sender: the addr-spec of --from / from / user. */
static char *
sender(struct mime_build *b, const char *from, const char *display)
{
	struct rcpts one = { NULL, 0 };
	char *s = NULL;

	if (add_addrs(b, NULL, from, &one) == -1 || one.n != 1) {
		if (one.n > 1)
			ua_warnx("--from: one address only");
	} else
		s = one.v[0];
	if (s != NULL) {
		struct mime_addr_parser *p = mime_addr_parser_new(from,
		    strlen(from));
		struct mime_addr a;
		const char *es;
		if (mime_addr_next(p, &a, &es) == 1 &&
		    mime_build_addr(b, "From", a.name ? a.name : display, s,
		    &es) == -1) {
			ua_warnx("--from: %s", es);
			free(s);
			s = NULL;
		}
		mime_addr_parser_free(&p);
	}
	free(one.v);
	return s;
}

static int
attach(struct mime_build *b, const char *file)
{
	struct buf data;
	FILE *f;
	char *copy, *base;
	const char *es = NULL;
	int rc = -1;

	if ((f = fopen(file, "r")) == NULL) {
		ua_warnx("%s: %s", file, strerror(errno));
		return -1;
	}
	buf_init(&data, UA_MSG_MAX);
	if (slurp(f, &data) == -1)
		ua_warnx("%s: read error or larger than %d bytes", file,
		    UA_MSG_MAX);
	else {
		copy = xstrdup(file);
		base = basename(copy);
		rc = mime_build_attach(b, base, data.data ? data.data : "",
		    data.len, NULL, &es);
		if (rc == -1)
			ua_warnx("%s: %s", file, es);
		free(copy);
	}
	fclose(f);
	buf_free(&data);
	return rc;
}

/* Builds the message; the envelope comes back in env and *from_out. */
static int
compose(struct ua_ctx *c, const struct ua_compose_extra *x,
    struct buf *msg, struct rcpts *env, char **from_out)
{
	struct ua_opts *o = &c->opt;
	struct mime_build *b;
	struct buf body;
	const char *from = o->from ? o->from : c->acct.from, *es = NULL;
	size_t i;
	int rc = -1, r;

	*from_out = NULL;
	if (from == NULL) {
		ua_warnx("no sender: use --from, or set from or user in the "
		    "config");
		return -1;
	}
	if (o->to.n + o->cc.n + o->bcc.n == 0) {
		ua_warnx("no recipient: use --to, --cc or --bcc");
		return -1;
	}
	b = mime_build_new(c->acct.hostname, 0);
	buf_init(&body, UA_MSG_MAX);
	if ((*from_out = sender(b, from, c->acct.display_name)) == NULL)
		goto out;
	for (i = 0; i < o->to.n; i++)
		if (add_addrs(b, "To", o->to.v[i], env) == -1)
			goto out;
	for (i = 0; i < o->cc.n; i++)
		if (add_addrs(b, "Cc", o->cc.v[i], env) == -1)
			goto out;
	for (i = 0; i < o->bcc.n; i++)	/* RFC 5322 §3.6.3: not shown */
		if (add_addrs(b, NULL, o->bcc.v[i], env) == -1)
			goto out;
	if (mime_build_field(b, "Subject", o->subject ? o->subject : "",
	    &es) == -1) {
		ua_warnx("--subject: %s", es);
		goto out;
	}
	if (x->in_reply_to != NULL && (mime_build_field(b, "In-Reply-To",
	    x->in_reply_to, &es) == -1 || mime_build_field(b, "References",
	    x->references, &es) == -1)) {
		ua_warnx("In-Reply-To: %s", es);
		goto out;
	}
	if (isatty(0))
		r = edit_body(&body, x->quote, x->quote_len);
	else {
		r = slurp(stdin, &body);
		if (r == 0 && x->quote_len > 0 &&
		    (buf_putc(&body, '\n') == -1 ||
		    buf_append(&body, x->quote, x->quote_len) == -1))
			r = -1;
	}
	if (r == -1) {
		ua_warnx("cannot read the body");
		goto out;
	}
	mime_build_text(b, body.data ? body.data : "", body.len);
	for (i = 0; i < o->attach.n; i++)
		if (attach(b, o->attach.v[i]) == -1)
			goto out;
	if (x->msg != NULL && mime_build_attach(b, x->msg_name, x->msg,
	    x->msg_len, x->msg_type, &es) == -1) {
		ua_warnx("attaching the message: %s", es);
		goto out;
	}
	if (mime_build_finish(b, msg, &es) == -1) {
		ua_warnx("building the message: %s", es);
		goto out;
	}
	rc = 0;
out:
	buf_free(&body);
	mime_build_free(&b);
	return rc;
}

void
ua_send_copy_sent(struct ua_account *a, const char *msg, size_t len,
    int quiet)
{
	char where[512], err[1024];

	switch (ua_sent_save(a, msg, len, where, sizeof(where), err,
	    sizeof(err))) {
	case 1:
		if (!quiet)
			printf("copied to %s\n", where);
		break;
	case -1:
		/* The mail went out: a missing copy is only a warning. */
		ua_warnx("sent, but no copy in the Sent folder: %s", err);
		break;
	}
}

int
ua_cmd_send(struct ua_ctx *c)
{
	struct ua_compose_extra none;

	memset(&none, 0, sizeof(none));
	return ua_send_compose(c, &none);
}

int
ua_send_compose(struct ua_ctx *c, const struct ua_compose_extra *x)
{
	struct rcpts env = { NULL, 0 };
	struct buf msg;
	char *from = NULL, *name = NULL, err[1024];
	enum ua_smtp_result r;
	size_t i;
	int rc = UA_EXIT_ERR;

	buf_init(&msg, UA_MSG_MAX + 1024 * 1024);
	if (compose(c, x, &msg, &env, &from) == -1)
		goto out;
	r = ua_smtp_submit(&c->acct, from, env.v, env.n, msg.data, msg.len,
	    err, sizeof(err));
	if (r == UA_SMTP_OK) {
		printf("sent to %zu recipient%s: %s\n", env.n,
		    env.n == 1 ? "" : "s", err);
		ua_send_copy_sent(&c->acct, msg.data, msg.len, 0);
		rc = UA_EXIT_OK;
	} else if (r == UA_SMTP_TEMPFAIL) {
		if (ua_outbox_put(c->acct.outbox, from, env.v, env.n,
		    msg.data, msg.len, &name) == -1) {
			ua_warnx("%s; and the outbox %s failed: %s", err,
			    c->acct.outbox, strerror(errno));
			goto out;
		}
		printf("queued %s in the outbox (%s); run postern flush\n",
		    name, err);
		rc = UA_EXIT_OK;
	} else if (r == UA_SMTP_PARTIAL) {
		/* Out to some: sending again would duplicate it. */
		ua_warnx("sent only in part: %s", err);
		ua_send_copy_sent(&c->acct, msg.data, msg.len, 0);
	} else
		ua_warnx("not sent: %s", err);
out:
	for (i = 0; i < env.n; i++)
		free(env.v[i]);
	free(env.v);
	free(from);
	free(name);
	buf_free(&msg);
	return rc;
}

int
ua_cmd_flush(struct ua_ctx *c)
{
	size_t sent, left;

	if (ua_outbox_flush(&c->acct, &sent, &left, 0) == -1) {
		ua_warnx("%s: %s", c->acct.outbox, strerror(errno));
		return UA_EXIT_ERR;
	}
	printf("%zu sent, %zu left\n", sent, left);
	if (left > 0)
		return UA_EXIT_ERR;
	return sent > 0 ? UA_EXIT_OK : UA_EXIT_NONE;
}

int
ua_cmd_outbox(struct ua_ctx *c)
{
	long n = ua_outbox_count(c->acct.outbox);

	if (n < 0) {
		ua_warnx("%s: %s", c->acct.outbox, strerror(errno));
		return UA_EXIT_ERR;
	}
	printf("%ld message%s in %s\n", n, n == 1 ? "" : "s",
	    c->acct.outbox);
	if (n > 0 && ua_outbox_list(c->acct.outbox) == -1) {
		ua_warnx("%s: %s", c->acct.outbox, strerror(errno));
		return UA_EXIT_ERR;
	}
	return n > 0 ? UA_EXIT_OK : UA_EXIT_NONE;
}
