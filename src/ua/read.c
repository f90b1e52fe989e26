/*
 * read.c: `postern read` and `postern save`. A message is seen as a list
 * of leaf parts with their IMAP section numbers (RFC 3501 §6.4.5). Over
 * IMAP the header and BODYSTRUCTURE come first and a part is fetched only
 * when shown or saved (partial download, --max-bytes); POP3 and Maildir
 * messages are parsed whole with the MIME tree.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "mime/charset.h"
#include "mime/codec.h"
#include "mime/hdr.h"
#include "mime/rfc2231.h"
#include "mime/tree.h"
#include "ua/html.h"
#include "ua/parts.h"
#include "ua/source.h"
#include "ua/summary.h"

struct view {
	struct ua_src	*src;
	size_t		 num;
	struct buf	 whole;		/* local: the message */
	struct buf	 header;
	struct mime_tree *tree;
	struct ua_parts	 parts;
};

static int
imap_structure(struct view *v)
{
	struct ua_imap *im = v->src->imap;
	size_t i;

	if (ua_imap_cmd(im, "FETCH %zu (BODY.PEEK[HEADER] BODYSTRUCTURE)",
	    v->num) == -1) {
		ua_warnx("%s", ua_imap_error(im));
		return -1;
	}
	for (i = 0; i < ua_imap_nresp(im); i++) {
		const struct ua_imap_resp *r = ua_imap_resp_at(im, i);
		const struct ua_imap_node *l, *h, *bs;
		size_t num;

		if (!ua_imap_fetch_resp(r, &num, &l) || num != v->num)
			continue;
		if ((h = ua_imap_fetch_item(r, l, "BODY[")) != NULL &&
		    h->type == UA_IMAP_STRING)
			buf_append(&v->header, h->s, h->len);
		if ((bs = ua_imap_fetch_item(r, l, "BODYSTRUCTURE")) != NULL)
			ua_parts_from_bodystructure(r, bs, &v->parts);
	}
	return 0;
}

/* The part's encoded bytes; max 0 means all. *cut_out: truncated. */
static int
part_raw(struct view *v, const struct ua_part *p, int peek, size_t max,
    struct buf *out, int *cut_out)
{
	size_t i;

	*cut_out = 0;
	if (v->src->kind != UA_SRC_IMAP) {
		const struct mime_part *mp = mime_tree_part(v->tree,
		    p->tree_index);
		size_t n = mp->body_end - mp->body_start;
		if (max > 0 && n > max) {
			n = max;
			*cut_out = 1;
		}
		return buf_append(out, v->whole.data + mp->body_start, n);
	}
	if (max > 0)
		i = (size_t)ua_imap_cmd(v->src->imap,
		    "FETCH %zu BODY%s[%s]<0.%zu>", v->num, peek ? ".PEEK" : "",
		    p->section, max);
	else
		i = (size_t)ua_imap_cmd(v->src->imap, "FETCH %zu BODY%s[%s]",
		    v->num, peek ? ".PEEK" : "", p->section);
	if (i != 0) {
		ua_warnx("%s", ua_imap_error(v->src->imap));
		return -1;
	}
	for (i = 0; i < ua_imap_nresp(v->src->imap); i++) {
		const struct ua_imap_resp *r = ua_imap_resp_at(v->src->imap,
		    i);
		const struct ua_imap_node *l, *b;
		size_t num;

		if (ua_imap_fetch_resp(r, &num, &l) && num == v->num &&
		    (b = ua_imap_fetch_item(r, l, "BODY[")) != NULL) {
			if (b->type == UA_IMAP_STRING &&
			    buf_append(out, b->s, b->len) == -1)
				return -1;
			*cut_out = max > 0 && p->size > max;
			return 0;
		}
	}
	ua_warnx("message %zu part %s: not in the reply", v->num, p->section);
	return -1;
}

static int
decode(const struct ua_part *p, const struct buf *raw, struct buf *out)
{
	const char *es;
	const char *d = raw->data ? raw->data : "";

	if (!strcasecmp(p->cte, "base64"))
		return mime_b64_decode(d, raw->len, MIME_B64_LENIENT, out, &es);
	if (!strcasecmp(p->cte, "quoted-printable"))
		return mime_qp_decode(d, raw->len, 0, out, &es);
	return buf_append(out, d, raw->len);
}

static void
print_summary_header(struct view *v)
{
	static const char *fields[] = { "From", "To", "Cc", "Date",
	    "Subject" };
	struct buf val;
	size_t i;

	buf_init(&val, 1024 * 1024);
	for (i = 0; i < nitems(fields); i++) {
		buf_reset(&val);
		if (ua_header_get(v->header.data ? v->header.data : "",
		    v->header.len, fields[i], 1, &val) == 1) {
			ua_sanitize(&val);
			printf("%s: %s\n", fields[i], buf_cstr(&val));
		}
	}
	buf_free(&val);
}

static int
is_attachment(const struct ua_part *p)
{
	return p->disposition != NULL && !strcmp(p->disposition,
	    "attachment");
}

/*
 * The text to show: the first inline text/plain part, else text/html
 * rendered, decoded to UTF-8 with LF line ends, appended to out.
 * *cut_out: truncated by max. 0 (also when there is no text), or -1.
 */
static int
text_of(struct view *v, size_t max, struct buf *out, int *cut_out)
{
	const struct ua_part *text = NULL;
	struct buf raw, dec, utf8, html;
	const char *es;
	size_t i;
	int rc = 0;

	*cut_out = 0;
	for (i = 0; i < v->parts.n && text == NULL; i++)
		if (!strcmp(v->parts.v[i].type, "text/plain") &&
		    !is_attachment(&v->parts.v[i]))
			text = &v->parts.v[i];
	for (i = 0; i < v->parts.n && text == NULL; i++)
		if (!strcmp(v->parts.v[i].type, "text/html") &&
		    !is_attachment(&v->parts.v[i]))
			text = &v->parts.v[i];
	if (text == NULL)
		return 0;
	buf_init(&raw, UA_MSG_MAX);
	buf_init(&dec, UA_MSG_MAX);
	buf_init(&utf8, UA_MSG_MAX * 2);
	buf_init(&html, UA_MSG_MAX * 2);
	if (part_raw(v, text, 0, max, &raw, cut_out) == -1 ||
	    decode(text, &raw, &dec) == -1 ||
	    mime_charset_to_utf8(text->charset, dec.data ? dec.data : "",
	    dec.len, &utf8, &es) == -1)
		rc = -1;
	else {
		struct buf *show = &utf8;
		if (!strcmp(text->type, "text/html")) {
			(void)ua_html_to_text(buf_cstr(&utf8), utf8.len,
			    &html);
			show = &html;
		}
		/* CRLF to LF for the terminal. */
		for (i = 0; i < show->len && rc == 0; i++)
			if (!(show->data[i] == '\r' && i + 1 < show->len &&
			    show->data[i + 1] == '\n'))
				rc = buf_putc(out, show->data[i]);
		if (rc == 0 && out->len > 0 && out->data[out->len - 1] != '\n')
			rc = buf_putc(out, '\n');
		ua_sanitize_text(out);
	}
	buf_free(&raw);
	buf_free(&dec);
	buf_free(&utf8);
	buf_free(&html);
	return rc;
}

static int
show_text(struct view *v, size_t max)
{
	struct buf text;
	int cut, rc;

	buf_init(&text, UA_MSG_MAX * 2);
	rc = text_of(v, max, &text, &cut);
	if (rc == 0) {
		fwrite(text.data ? text.data : "", 1, text.len, stdout);
		if (cut)
			printf("[truncated at %zu bytes]\n", max);
	}
	buf_free(&text);
	return rc;
}

static void
view_free(struct view *v)
{
	ua_parts_free(&v->parts);
	mime_tree_free(&v->tree);
	buf_free(&v->whole);
	buf_free(&v->header);
}

/* An empty view: view_free is safe on it whatever happens next. */
static void
view_init(struct view *v)
{
	memset(v, 0, sizeof(*v));
	buf_init(&v->whole, UA_MSG_MAX);
	buf_init(&v->header, UA_MSG_MAX);
}

/* Opens message arg of the source: header and part list. */
static int
view_open(struct ua_ctx *c, struct ua_src *s, const char *arg,
    struct view *v)
{
	const char *es;

	v->src = s;
	if (ua_src_number(s, arg, &v->num) == -1)
		return -1;
	if (s->kind == UA_SRC_IMAP && !c->opt.raw)
		return imap_structure(v);
	if (ua_src_whole(s, v->num, &v->whole) == -1)
		return -1;
	if (mime_tree_parse(v->whole.data ? v->whole.data : "",
	    v->whole.len, NULL, &v->tree, &es) == -1) {
		ua_warnx("%s", es);
		return -1;
	}
	buf_append(&v->header, v->whole.data,
	    mime_tree_part(v->tree, 0)->body_start);
	ua_parts_from_tree(v->tree, &v->parts);
	return 0;
}

int
ua_cmd_read(struct ua_ctx *c)
{
	struct ua_src s;
	struct view v;
	size_t i;
	int rc = UA_EXIT_ERR;

	view_init(&v);
	if (ua_src_open(c, 0, &s) == -1 || view_open(c, &s, c->opt.args[0],
	    &v) == -1)
		goto out;
	if (c->opt.raw) {
		fwrite(v.whole.data ? v.whole.data : "", 1, v.whole.len,
		    stdout);
		rc = UA_EXIT_OK;
		goto out;
	}
	if (c->opt.headers) {
		ua_sanitize_text(&v.header);
		fwrite(v.header.data ? v.header.data : "", 1, v.header.len,
		    stdout);
	}
	else {
		print_summary_header(&v);
		putchar('\n');
	}
	if (show_text(&v, c->opt.max_bytes) == -1)
		goto out;
	printf("\nParts:\n");
	for (i = 0; i < v.parts.n; i++) {
		struct buf name;
		buf_init(&name, 4096);
		buf_puts(&name, v.parts.v[i].name ? v.parts.v[i].name : "");
		ua_sanitize(&name);
		printf("  %-8s %-32s %10llu  %s\n", v.parts.v[i].section,
		    v.parts.v[i].type, v.parts.v[i].size, buf_cstr(&name));
		buf_free(&name);
	}
	rc = UA_EXIT_OK;
	if (s.kind == UA_SRC_IMAP && v.parts.n > 0 &&
	    ua_imap_cmd(s.imap, "STORE %zu +FLAGS.SILENT (\\Seen)", v.num)
	    == -1)
		ua_warnx("%s", ua_imap_error(s.imap));
out:
	fflush(stdout);
	view_free(&v);
	ua_src_close(&s);
	return rc;
}

int
ua_cmd_save(struct ua_ctx *c)
{
	struct ua_src s;
	struct view v;
	struct buf raw, dec;
	const struct ua_part *p = NULL;
	const char *file = c->opt.args[2];
	FILE *f;
	size_t i;
	int rc = UA_EXIT_ERR, cut;

	buf_init(&raw, UA_MSG_MAX);
	buf_init(&dec, UA_MSG_MAX);
	view_init(&v);
	if (ua_src_open(c, 1, &s) == -1 || view_open(c, &s, c->opt.args[0],
	    &v) == -1)
		goto out;
	for (i = 0; i < v.parts.n; i++)
		if (strcmp(v.parts.v[i].section, c->opt.args[1]) == 0)
			p = &v.parts.v[i];
	if (p == NULL) {
		ua_warnx("message %zu has no part %s", v.num, c->opt.args[1]);
		rc = UA_EXIT_NONE;
		goto out;
	}
	if (part_raw(&v, p, 1, 0, &raw, &cut) == -1 ||
	    decode(p, &raw, &dec) == -1)
		goto out;
	f = strcmp(file, "-") == 0 ? stdout : fopen(file, "w");
	if (f == NULL) {
		ua_warnx("%s: %s", file, strerror(errno));
		goto out;
	}
	if (fwrite(dec.data ? dec.data : "", 1, dec.len, f) != dec.len ||
	    (f != stdout ? fclose(f) : fflush(f)) != 0)
		ua_warnx("%s: %s", file, strerror(errno));
	else {
		if (f != stdout)
			printf("saved part %s (%zu bytes) to %s\n", p->section,
			    dec.len, file);
		rc = UA_EXIT_OK;
	}
out:
	view_free(&v);
	ua_src_close(&s);
	buf_free(&raw);
	buf_free(&dec);
	return rc;
}

int
ua_read_text(struct ua_ctx *c, struct ua_src *s, const char *arg,
    struct buf *header, struct buf *text, size_t *num_out)
{
	struct view v;
	int cut, rc = -1;

	view_init(&v);
	if (view_open(c, s, arg, &v) == 0 &&
	    buf_append(header, v.header.data ? v.header.data : "",
	    v.header.len) == 0 && text_of(&v, 0, text, &cut) == 0) {
		*num_out = v.num;
		rc = 0;
	}
	view_free(&v);
	return rc;
}
