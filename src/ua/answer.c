/*
 * answer.c: `postern reply N` and `postern forward N`. A reply goes to
 * Reply-To or From (--all: also the other To and Cc addresses), with
 * "Re: " once, In-Reply-To and References (RFC 5322 §3.6.4) and the
 * quoted text; over IMAP the original is then flagged \Answered. A
 * forward attaches the original as message/rfc822 (or, with --inline,
 * quotes it) under "Fwd: ".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "mime/addr.h"
#include "ua/source.h"
#include "ua/summary.h"

#define FIELD_MAX	(256 * 1024)

struct original {
	struct ua_src	 src;
	struct buf	 hdr, text, raw;
	size_t		 num;
};

static int
load(struct ua_ctx *c, struct original *o, int need_raw)
{
	buf_init(&o->hdr, UA_MSG_MAX);
	buf_init(&o->text, UA_MSG_MAX * 2);
	buf_init(&o->raw, UA_MSG_MAX);
	if (ua_src_open(c, 0, &o->src) == -1 ||
	    ua_read_text(c, &o->src, c->opt.args[0], &o->hdr, &o->text,
	    &o->num) == -1 ||
	    (need_raw && ua_src_whole(&o->src, o->num, &o->raw) == -1))
		return -1;
	return 0;
}

static void
unload(struct original *o)
{
	ua_src_close(&o->src);
	buf_free(&o->hdr);
	buf_free(&o->text);
	buf_free(&o->raw);
}

static char *
field(struct original *o, const char *name, int decode)
{
	struct buf b;
	char *s = NULL;

	buf_init(&b, FIELD_MAX);
	if (ua_header_get(o->hdr.data ? o->hdr.data : "", o->hdr.len, name,
	    decode, &b) == 1)
		s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* "prefix subject", unless the subject already starts with prefix. */
static char *
subject(struct original *o, const char *prefix)
{
	char *s = field(o, "Subject", 1), *r;
	size_t n = strlen(prefix);

	if (s == NULL)
		return xstrdup(prefix);
	if (strncasecmp(s, prefix, n) == 0)
		return s;
	r = xasprintf("%s %s", prefix, s);
	free(s);
	return r;
}

/* "On DATE, SENDER wrote:" and the text with "> " before each line. */
static void
quote(struct original *o, struct buf *out)
{
	char *date = field(o, "Date", 0), *from = field(o, "From", 0);
	struct buf who;
	size_t i;
	int bol = 1;

	buf_init(&who, FIELD_MAX);
	if (from != NULL)
		ua_sender_text(from, strlen(from), &who);
	buf_printf(out, "On %s, %s wrote:\n", date ? date : "?",
	    who.len ? buf_cstr(&who) : "someone");
	for (i = 0; i < o->text.len; i++) {
		if (bol)
			buf_puts(out, o->text.data[i] == '>' ? ">" : "> ");
		buf_putc(out, o->text.data[i]);
		bol = o->text.data[i] == '\n';
	}
	free(date);
	free(from);
	buf_free(&who);
}

/* Adds every addr-spec of a field value to list (skipping skip). */
static void
add_addrs(const char *value, const char *skip, struct ua_strs *list,
    struct ua_strs *owned)
{
	struct mime_addr_parser *p;
	struct mime_addr a;
	struct buf spec;
	const char *es;

	if (value == NULL)
		return;
	p = mime_addr_parser_new(value, strlen(value));
	buf_init(&spec, 1024);
	while (mime_addr_next(p, &a, &es) == 1) {
		char *s;
		if (a.kind != MIME_ADDR_MAILBOX || a.domain == NULL)
			continue;
		buf_reset(&spec);
		if (mime_addr_spec_format(&a, &spec) == -1 ||
		    (skip != NULL && strcasecmp(buf_cstr(&spec), skip) == 0))
			continue;
		s = xstrdup(buf_cstr(&spec));
		list->v = xreallocarray(list->v, list->n + 1, sizeof(char *));
		list->v[list->n++] = s;
		owned->v = xreallocarray(owned->v, owned->n + 1,
		    sizeof(char *));
		owned->v[owned->n++] = s;
	}
	buf_free(&spec);
	mime_addr_parser_free(&p);
}

int
ua_cmd_reply(struct ua_ctx *c)
{
	struct original o;
	struct ua_compose_extra x;
	struct ua_strs owned = { NULL, 0 };
	struct buf q, refs;
	char *mid = NULL, *oldrefs = NULL, *to = NULL, *subj = NULL;
	const char *me = c->opt.from ? c->opt.from : c->acct.from;
	size_t i;
	int rc = UA_EXIT_ERR;

	memset(&x, 0, sizeof(x));
	buf_init(&q, UA_MSG_MAX * 3);
	buf_init(&refs, FIELD_MAX);
	if (load(c, &o, 0) == -1)
		goto out;
	if ((to = field(&o, "Reply-To", 0)) == NULL)
		to = field(&o, "From", 0);
	if (to == NULL) {
		ua_warnx("message %zu has no From or Reply-To", o.num);
		goto out;
	}
	add_addrs(to, NULL, &c->opt.to, &owned);
	if (c->opt.all) {
		char *t = field(&o, "To", 0), *cc = field(&o, "Cc", 0);
		add_addrs(t, me, &c->opt.cc, &owned);
		add_addrs(cc, me, &c->opt.cc, &owned);
		free(t);
		free(cc);
	}
	if (c->opt.to.n == 0) {
		ua_warnx("message %zu: no address to reply to", o.num);
		goto out;
	}
	subj = subject(&o, "Re:");
	if (c->opt.subject == NULL)
		c->opt.subject = subj;
	if ((mid = field(&o, "Message-ID", 0)) != NULL) {
		/* §3.6.4: References is the parent's References (or its
		 * In-Reply-To) followed by the parent's Message-ID. */
		if ((oldrefs = field(&o, "References", 0)) == NULL)
			oldrefs = field(&o, "In-Reply-To", 0);
		if (oldrefs != NULL)
			buf_printf(&refs, "%s ", oldrefs);
		buf_puts(&refs, mid);
		x.in_reply_to = mid;
		x.references = buf_cstr(&refs);
	}
	quote(&o, &q);
	x.quote = buf_cstr(&q);
	x.quote_len = q.len;
	rc = ua_send_compose(c, &x);
	if (rc == UA_EXIT_OK && o.src.kind == UA_SRC_IMAP &&
	    ua_imap_cmd(o.src.imap, "STORE %zu +FLAGS.SILENT (\\Answered)",
	    o.num) == -1)
		ua_warnx("%s", ua_imap_error(o.src.imap));
out:
	unload(&o);
	for (i = 0; i < owned.n; i++)
		free(owned.v[i]);
	free(owned.v);
	free(mid);
	free(oldrefs);
	free(to);
	free(subj);
	buf_free(&q);
	buf_free(&refs);
	return rc;
}

/* True when a message can travel as a 7bit message/rfc822 part. */
static int
seven_bit(const struct buf *b)
{
	size_t i, line = 0;

	for (i = 0; i < b->len; i++) {
		unsigned char ch = (unsigned char)b->data[i];
		if (ch >= 0x80 || ch == 0 || ++line > 998)
			return 0;
		if (ch == '\n')
			line = 0;
	}
	return 1;
}

int
ua_cmd_forward(struct ua_ctx *c)
{
	struct original o;
	struct ua_compose_extra x;
	struct buf q;
	char *subj = NULL;
	int rc = UA_EXIT_ERR;

	memset(&x, 0, sizeof(x));
	buf_init(&q, UA_MSG_MAX * 3);
	if (load(c, &o, !c->opt.inline_fwd) == -1)
		goto out;
	subj = subject(&o, "Fwd:");
	if (c->opt.subject == NULL)
		c->opt.subject = subj;
	if (c->opt.inline_fwd) {
		quote(&o, &q);
		x.quote = buf_cstr(&q);
		x.quote_len = q.len;
	} else {
		/* RFC 2046 §5.2.1: message/rfc822 is never base64; an 8-bit
		 * original goes as a file instead. */
		x.msg = o.raw.data ? o.raw.data : "";
		x.msg_len = o.raw.len;
		x.msg_type = seven_bit(&o.raw) ? "message/rfc822" :
		    "application/octet-stream";
		x.msg_name = "forwarded.eml";
	}
	rc = ua_send_compose(c, &x);
out:
	unload(&o);
	free(subj);
	buf_free(&q);
	return rc;
}
