/*
 * reply.c: SMTP reply parser (see reply.h). RFC 5321 §4.2, RFC 3463.
 */
#include "smtpc/reply.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

void
smtpc_reply_init(struct smtpc_reply_parser *p)
{
	memset(p, 0, sizeof(*p));
	lr_init(&p->lr, SMTPC_REPLY_LINE_MAX);
}

void
smtpc_reply_free(struct smtpc_reply_parser *p)
{
	lr_free(&p->lr);
}

size_t
smtpc_reply_push(struct smtpc_reply_parser *p, const void *data, size_t len)
{
	return lr_push(&p->lr, data, len);
}

void
smtpc_reply_discard(struct smtpc_reply_parser *p)
{
	lr_discard(&p->lr);
	p->cur.nlines = 0;
	p->textlen = 0;
}

size_t
smtpc_reply_pending(const struct smtpc_reply_parser *p)
{
	return lr_pending(&p->lr) + (p->cur.nlines > 0 ? 1 : 0);
}

/* RFC 3463 §2: class "." subject "." detail, 1-3 digits each. */
static size_t
status_len(const char *s, size_t len, int code)
{
	size_t i = 0, n;

	if (len < 5 || s[0] != '0' + code / 100 || s[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		for (n = 0; i < len && n < 4 && s[i] >= '0' && s[i] <= '9';
		    i++)
			n++;
		if (n == 0 || n > 3)
			return 0;
		if (part == 0) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && s[i] != ' ')
		return 0;
	return i;
}

static void
add_text(struct smtpc_reply_parser *p, const char *s, size_t len)
{
	struct smtpc_reply *r = &p->cur;

	if (p->cur.nlines > 1 && p->textlen + 1 < sizeof(r->text))
		r->text[p->textlen++] = '\n';
	for (size_t i = 0; i < len && p->textlen + 1 < sizeof(r->text); i++) {
		unsigned char c = (unsigned char)s[i];
		r->text[p->textlen++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	r->text[p->textlen] = '\0';
}

static int
fail(struct smtpc_reply_parser *p, const char *why, const char **errstr_out)
{
	p->failed = 1;
	*errstr_out = why;
	return -1;
}

int
smtpc_reply_next(struct smtpc_reply_parser *p, struct smtpc_reply *out,
    const char **errstr_out)
{
	const char *line;
	size_t len, sl;
	int code;

	if (p->failed)
		return fail(p, "earlier protocol error", errstr_out);
	for (;;) {
		switch (lr_next(&p->lr, &line, &len)) {
		case LR_MORE:
		case LR_EOF:
		case LR_ERR:
			return 0;
		case LR_TOOLONG:
			return fail(p, "reply line too long", errstr_out);
		case LR_LINE:
			break;
		}
		/* A bare LF ends a line too (lenient reading); a CR before
		 * it is the terminator's. */
		if (len > 0 && line[len - 1] == '\r')
			len--;
		/* §4.2: three digits, the first 2-5, then SP, '-' or the
		 * end of the line. */
		if (len < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' ||
		    line[2] < '0' || line[2] > '9' ||
		    (len > 3 && line[3] != ' ' && line[3] != '-'))
			return fail(p, "malformed reply line", errstr_out);
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (p->cur.nlines == 0) {
			p->cur.code = code;
			p->cur.status[0] = '\0';
			p->cur.text[0] = '\0';
			p->textlen = 0;
		} else if (code != p->cur.code)
			return fail(p, "reply code changed inside a reply",
			    errstr_out);
		if (++p->cur.nlines > SMTPC_REPLY_LINES_MAX)
			return fail(p, "too many reply lines", errstr_out);
		if (len > 4) {
			if (p->cur.nlines == 1 && (sl = status_len(line + 4,
			    len - 4, code)) > 0 &&
			    sl < sizeof(p->cur.status)) {
				memcpy(p->cur.status, line + 4, sl);
				p->cur.status[sl] = '\0';
			}
			add_text(p, line + 4, len - 4);
		} else
			add_text(p, "", 0);
		if (len == 3 || line[3] == ' ') {
			memcpy(out, &p->cur, sizeof(*out));
			p->cur.nlines = 0;
			p->textlen = 0;
			return 1;
		}
	}
}

void
smtpc_reply_format(const struct smtpc_reply *r, char *out, size_t len)
{
	size_t n;

	if (len == 0)
		return;
	n = (size_t)snprintf(out, len, "%03d %s", r->code, r->text);
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\n')
			out[i] = ' ';
}
