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
#include "ua/source.h"
#include "ua/summary.h"

#define PARTS_MAX	10000

struct part {
	char		*section;
	char		*type;		/* "text/plain", lowercased */
	char		*charset, *name, *cte, *disposition;
	unsigned long long size;
	size_t		 tree_index;	/* local messages */
};

struct view {
	struct ua_src	*src;
	size_t		 num;
	struct buf	 whole;		/* local: the message */
	struct buf	 header;
	struct mime_tree *tree;
	struct part	*parts;
	size_t		 nparts;
};

static void
add_part(struct view *v, const char *sec, const char *type,
    const char *sub, const char *charset, const char *name, const char *cte,
    const char *disp, unsigned long long size, size_t ti)
{
	struct part *p;

	if (v->nparts == PARTS_MAX)
		return;
	v->parts = xreallocarray(v->parts, v->nparts + 1, sizeof(*v->parts));
	p = &v->parts[v->nparts++];
	p->section = xstrdup(sec);
	p->type = xasprintf("%s/%s", type, sub);
	for (char *c = p->type; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	p->charset = charset ? xstrdup(charset) : NULL;
	p->name = name ? xstrdup(name) : NULL;
	p->cte = xstrdup(cte ? cte : "7bit");
	p->disposition = disp ? xstrdup(disp) : NULL;
	p->size = size;
	p->tree_index = ti;
}

/* ---- local messages: sections from the MIME tree ---- */

static void
tree_parts(struct view *v)
{
	size_t n = mime_tree_count(v->tree), i;
	char **sec = xcalloc(n, sizeof(char *)), **leaf = xcalloc(n,
	    sizeof(char *));
	struct buf name, cs;
	const char *es;

	buf_init(&name, 4096);
	buf_init(&cs, 256);
	for (i = 0; i < n; i++) {
		const struct mime_part *p = mime_tree_part(v->tree, i);
		const struct mime_part *par = p->parent == MIME_PART_NONE ?
		    NULL : mime_tree_part(v->tree, p->parent);

		if (par == NULL) {
			sec[i] = xstrdup("");
			leaf[i] = xstrdup("1");
		} else if (par->flags & MIME_PART_F_MESSAGE) {
			sec[i] = xstrdup(leaf[p->parent]);
			leaf[i] = xasprintf("%s.1", leaf[p->parent]);
		} else {
			size_t k = 1, c = par->first_child;
			while (c != i && c != MIME_PART_NONE) {
				c = mime_tree_part(v->tree, c)->next;
				k++;
			}
			sec[i] = *sec[p->parent] ? xasprintf("%s.%zu",
			    sec[p->parent], k) : xasprintf("%zu", k);
			leaf[i] = xstrdup(sec[i]);
		}
		if (p->flags & MIME_PART_F_MULTIPART)
			continue;
		buf_reset(&name);
		buf_reset(&cs);
		(void)mime_part_filename(v->tree, p, &name);
		(void)mime_params_get(&p->params, "charset", &cs, &es);
		add_part(v, leaf[i], p->type, p->subtype,
		    cs.len ? buf_cstr(&cs) : NULL,
		    name.len ? buf_cstr(&name) : NULL, p->cte_raw,
		    p->disposition, p->body_end - p->body_start, i);
	}
	for (i = 0; i < n; i++) {
		free(sec[i]);
		free(leaf[i]);
	}
	free(sec);
	free(leaf);
	buf_free(&name);
	buf_free(&cs);
}

/* ---- IMAP: sections from BODYSTRUCTURE (RFC 3501 §7.4.2) ---- */

/* A NUL-terminated copy of an atom or string node, or NULL for NIL. */
static char *
str(const struct ua_imap_node *n)
{
	if (n == NULL || (n->type != UA_IMAP_ATOM &&
	    n->type != UA_IMAP_STRING))
		return NULL;
	return xstrndup(n->s, n->len);
}

/* The value of parameter name in an IMAP (k v k v) list, RFC 2231 and
 * RFC 2047 applied by building the packed form mime_params_get reads. */
static char *
param(const struct ua_imap_resp *r, const struct ua_imap_node *l,
    const char *name)
{
	struct buf blob, out;
	struct mime_params mp;
	const struct ua_imap_node *k, *val;
	const char *es;
	size_t i;
	char *res = NULL;

	if (l == NULL || l->type != UA_IMAP_LIST)
		return NULL;
	buf_init(&blob, 64 * 1024);
	buf_init(&out, 64 * 1024);
	mp.count = 0;
	for (i = 0; (k = ua_imap_child(r, l, i)) != NULL &&
	    (val = ua_imap_child(r, l, i + 1)) != NULL; i += 2) {
		size_t j, start = blob.len;
		if (buf_append(&blob, k->s, k->len) == -1 ||
		    buf_putc(&blob, '\0') == -1 ||
		    buf_append(&blob, val->s, val->len) == -1 ||
		    buf_putc(&blob, '\0') == -1)
			break;
		for (j = start; j < start + k->len; j++)
			blob.data[j] = (char)tolower(
			    (unsigned char)blob.data[j]);
		mp.count++;
	}
	mp.blob = blob.data;
	mp.len = blob.len;
	if (mp.count > 0 && mime_params_get(&mp, name, &out, &es) == 1)
		res = xstrdup(buf_cstr(&out));
	buf_free(&blob);
	buf_free(&out);
	return res;
}

static void
bs_walk(struct view *v, const struct ua_imap_resp *r,
    const struct ua_imap_node *b, const char *sec, const char *leaf,
    unsigned depth)
{
	const struct ua_imap_node *first = ua_imap_child(r, b, 0);
	char *type, *sub, *cte, *cs, *name, *disp = NULL;
	const struct ua_imap_node *dn;
	size_t i, di;

	if (first == NULL || depth > 50)
		return;
	if (first->type == UA_IMAP_LIST) {
		const struct ua_imap_node *c;
		for (i = 0; (c = ua_imap_child(r, b, i)) != NULL &&
		    c->type == UA_IMAP_LIST; i++) {
			char *s = *sec ? xasprintf("%s.%zu", sec, i + 1) :
			    xasprintf("%zu", i + 1);
			bs_walk(v, r, c, s, s, depth + 1);
			free(s);
		}
		return;
	}
	type = str(first);
	sub = str(ua_imap_child(r, b, 1));
	cte = str(ua_imap_child(r, b, 5));
	cs = param(r, ua_imap_child(r, b, 2), "charset");
	name = param(r, ua_imap_child(r, b, 2), "name");
	/* body-ext-1part: disposition after md5; text has a line count,
	 * message/rfc822 an envelope, a body and a line count first. */
	di = 8;
	if (type && !strcasecmp(type, "text"))
		di = 9;
	else if (type && sub && !strcasecmp(type, "message") &&
	    !strcasecmp(sub, "rfc822"))
		di = 11;
	dn = ua_imap_child(r, b, di);
	if (dn != NULL && dn->type == UA_IMAP_LIST) {
		disp = str(ua_imap_child(r, dn, 0));
		char *fn = param(r, ua_imap_child(r, dn, 1), "filename");
		if (fn != NULL) {
			free(name);
			name = fn;
		}
	}
	if (disp != NULL)
		for (char *c = disp; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	{
		const struct ua_imap_node *sz = ua_imap_child(r, b, 6);
		add_part(v, leaf, type ? type : "text", sub ? sub : "plain",
		    cs, name, cte, disp, sz && sz->type == UA_IMAP_ATOM ?
		    strtoull(sz->s, NULL, 10) : 0, 0);
	}
	if (type && sub && !strcasecmp(type, "message") &&
	    !strcasecmp(sub, "rfc822")) {
		char *inner = xasprintf("%s.1", leaf);
		bs_walk(v, r, ua_imap_child(r, b, 8), leaf, inner, depth + 1);
		free(inner);
	}
	free(type);
	free(sub);
	free(cte);
	free(cs);
	free(name);
	free(disp);
}

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
			bs_walk(v, r, bs, "", "1", 0);
	}
	return 0;
}

/* The part's encoded bytes; max 0 means all. *cut_out: truncated. */
static int
part_raw(struct view *v, const struct part *p, int peek, size_t max,
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
decode(const struct part *p, const struct buf *raw, struct buf *out)
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
is_attachment(const struct part *p)
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
	const struct part *text = NULL;
	struct buf raw, dec, utf8, html;
	const char *es;
	size_t i;
	int rc = 0;

	*cut_out = 0;
	for (i = 0; i < v->nparts && text == NULL; i++)
		if (!strcmp(v->parts[i].type, "text/plain") &&
		    !is_attachment(&v->parts[i]))
			text = &v->parts[i];
	for (i = 0; i < v->nparts && text == NULL; i++)
		if (!strcmp(v->parts[i].type, "text/html") &&
		    !is_attachment(&v->parts[i]))
			text = &v->parts[i];
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
	size_t i;

	for (i = 0; i < v->nparts; i++) {
		free(v->parts[i].section);
		free(v->parts[i].type);
		free(v->parts[i].charset);
		free(v->parts[i].name);
		free(v->parts[i].cte);
		free(v->parts[i].disposition);
	}
	free(v->parts);
	mime_tree_free(&v->tree);
	buf_free(&v->whole);
	buf_free(&v->header);
}

/* Opens message arg of the source: header and part list. */
static int
view_open(struct ua_ctx *c, struct ua_src *s, const char *arg,
    struct view *v)
{
	const char *es;

	memset(v, 0, sizeof(*v));
	v->src = s;
	buf_init(&v->whole, UA_MSG_MAX);
	buf_init(&v->header, UA_MSG_MAX);
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
	tree_parts(v);
	return 0;
}

int
ua_cmd_read(struct ua_ctx *c)
{
	struct ua_src s;
	struct view v;
	size_t i;
	int rc = UA_EXIT_ERR;

	if (ua_src_open(c, 0, &s) == -1 || view_open(c, &s, c->opt.args[0],
	    &v) == -1) {
		ua_src_close(&s);
		if (s.count == 0 && s.kind == UA_SRC_IMAP)
			return UA_EXIT_ERR;
		return UA_EXIT_ERR;
	}
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
	for (i = 0; i < v.nparts; i++) {
		struct buf name;
		buf_init(&name, 4096);
		buf_puts(&name, v.parts[i].name ? v.parts[i].name : "");
		ua_sanitize(&name);
		printf("  %-8s %-32s %10llu  %s\n", v.parts[i].section,
		    v.parts[i].type, v.parts[i].size, buf_cstr(&name));
		buf_free(&name);
	}
	rc = UA_EXIT_OK;
	if (s.kind == UA_SRC_IMAP && v.nparts > 0 &&
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
	const struct part *p = NULL;
	const char *file = c->opt.args[2];
	FILE *f;
	size_t i;
	int rc = UA_EXIT_ERR, cut;

	buf_init(&raw, UA_MSG_MAX);
	buf_init(&dec, UA_MSG_MAX);
	if (ua_src_open(c, 1, &s) == -1 || view_open(c, &s, c->opt.args[0],
	    &v) == -1) {
		ua_src_close(&s);
		buf_free(&raw);
		buf_free(&dec);
		return UA_EXIT_ERR;
	}
	for (i = 0; i < v.nparts; i++)
		if (strcmp(v.parts[i].section, c->opt.args[1]) == 0)
			p = &v.parts[i];
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

	if (view_open(c, s, arg, &v) == 0 &&
	    buf_append(header, v.header.data ? v.header.data : "",
	    v.header.len) == 0 && text_of(&v, 0, text, &cut) == 0) {
		*num_out = v.num;
		rc = 0;
	}
	view_free(&v);
	return rc;
}
