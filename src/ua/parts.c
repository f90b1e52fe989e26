/*
 * parts.c: leaf parts with IMAP section numbers, from a MIME tree or a
 * BODYSTRUCTURE (see parts.h). Used by `postern read`, `save`, `reply`.
 */
#include <ctype.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "mime/rfc2231.h"
#include "ua/parts.h"

static void
add(struct ua_parts *out, const char *sec, const char *type,
    const char *sub, const char *charset, const char *name, const char *cte,
    const char *disp, unsigned long long size, size_t ti)
{
	struct ua_part *p;
	char *c;

	if (out->n == UA_PARTS_MAX)
		return;
	out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	p = &out->v[out->n++];
	p->section = xstrdup(sec);
	p->type = xasprintf("%s/%s", type, sub);
	for (c = p->type; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	p->charset = charset ? xstrdup(charset) : NULL;
	p->name = name ? xstrdup(name) : NULL;
	p->cte = xstrdup(cte ? cte : "7bit");
	for (c = p->cte; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	p->disposition = disp ? xstrdup(disp) : NULL;
	if (p->disposition != NULL)
		for (c = p->disposition; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	p->size = size;
	p->tree_index = ti;
}

void
ua_parts_free(struct ua_parts *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].section);
		free(p->v[i].type);
		free(p->v[i].charset);
		free(p->v[i].name);
		free(p->v[i].cte);
		free(p->v[i].disposition);
	}
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

const struct ua_part *
ua_parts_find(const struct ua_parts *p, const char *section)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].section, section) == 0)
			return &p->v[i];
	return NULL;
}

/* ---- from a MIME tree ---- */

/*
 * Each part gets two numbers: sec, the prefix its children extend, and
 * leaf, the section of its own body. The root: "" and "1". A multipart's
 * k-th child: both "sec.k" (or "k" under the root). The message inside a
 * message/rfc822 part S: sec S, leaf S.1. Parts come in pre-order, so a
 * parent's child counter is enough to number its children.
 */
void
ua_parts_from_tree(const struct mime_tree *t, struct ua_parts *out)
{
	size_t n = mime_tree_count(t), i;
	char **sec = xcalloc(n + 1, sizeof(char *));
	char **leaf = xcalloc(n + 1, sizeof(char *));
	size_t *nth = xcalloc(n + 1, sizeof(size_t));
	struct buf name, cs;
	const char *es;

	buf_init(&name, 64 * 1024);
	buf_init(&cs, 1024);
	for (i = 0; i < n; i++) {
		const struct mime_part *p = mime_tree_part(t, i);
		const struct mime_part *par = p->parent == MIME_PART_NONE ?
		    NULL : mime_tree_part(t, p->parent);

		if (par == NULL) {
			sec[i] = xstrdup("");
			leaf[i] = xstrdup("1");
		} else if (par->flags & MIME_PART_F_MESSAGE) {
			sec[i] = xstrdup(leaf[p->parent]);
			leaf[i] = xasprintf("%s.1", leaf[p->parent]);
		} else {
			size_t k = ++nth[p->parent];
			sec[i] = *sec[p->parent] ? xasprintf("%s.%zu",
			    sec[p->parent], k) : xasprintf("%zu", k);
			leaf[i] = xstrdup(sec[i]);
		}
		if (p->flags & MIME_PART_F_MULTIPART)
			continue;
		buf_reset(&name);
		buf_reset(&cs);
		(void)mime_part_filename(t, p, &name);
		(void)mime_params_get(&p->params, "charset", &cs, &es);
		add(out, leaf[i], p->type, p->subtype,
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
	free(nth);
	buf_free(&name);
	buf_free(&cs);
}

/* ---- from BODYSTRUCTURE (RFC 3501 §7.4.2) ---- */

/* A NUL-terminated copy of an atom or string node, or NULL. */
static char *
str(const struct ua_imap_node *n)
{
	if (n == NULL || (n->type != UA_IMAP_ATOM &&
	    n->type != UA_IMAP_STRING))
		return NULL;
	return xstrndup(n->s, n->len);
}

/*
 * The value of parameter name in an IMAP ("k" "v" ...) list, with RFC
 * 2231 and RFC 2047 applied: the list is packed the way mime_params_get
 * reads a parsed header (name\0value\0, names lowercased).
 */
static char *
param(const struct ua_imap_resp *r, const struct ua_imap_node *l,
    const char *name)
{
	struct buf blob, out;
	struct mime_params mp;
	const struct ua_imap_node *k, *val;
	const char *es;
	size_t i, j, start;
	char *res = NULL;

	if (l == NULL || l->type != UA_IMAP_LIST)
		return NULL;
	buf_init(&blob, 256 * 1024);
	buf_init(&out, 256 * 1024);
	mp.count = 0;
	for (i = 0; (k = ua_imap_child(r, l, i)) != NULL &&
	    (val = ua_imap_child(r, l, i + 1)) != NULL; i += 2) {
		/* a NUL would split the packed pair: skip such pairs */
		if (k->type == UA_IMAP_LIST || val->type == UA_IMAP_LIST ||
		    memchr(k->s, '\0', k->len) || memchr(val->s, '\0',
		    val->len))
			continue;
		start = blob.len;
		if (buf_append(&blob, k->s, k->len) == -1 ||
		    buf_putc(&blob, '\0') == -1 ||
		    buf_append(&blob, val->s, val->len) == -1 ||
		    buf_putc(&blob, '\0') == -1) {
			buf_truncate(&blob, start);
			break;
		}
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

/* Whether a Content-Transfer-Encoding value names base64 or
 * quoted-printable, read as the MIME library reads it: the leading RFC
 * 2045 token, case-insensitive, whatever follows it. */
static bool
cte_is_encoding(const char *cte)
{
	size_t k = 0;

	if (cte == NULL)
		return false;
	while (cte[k] > 0x20 && cte[k] < 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", cte[k]) == NULL)
		k++;
	return (k == 6 && strncasecmp(cte, "base64", 6) == 0) ||
	    (k == 16 && strncasecmp(cte, "quoted-printable", 16) == 0);
}

static void
walk(const struct ua_imap_resp *r, const struct ua_imap_node *b,
    const char *sec, const char *leaf, unsigned depth, struct ua_parts *out)
{
	const struct ua_imap_node *first = ua_imap_child(r, b, 0), *dn, *sz;
	char *type, *sub, *cte, *cs, *name, *disp = NULL, *fn;
	size_t i, di;
	int is_msg;

	if (first == NULL || depth > UA_PARTS_DEPTH || out->n == UA_PARTS_MAX)
		return;
	if (first->type == UA_IMAP_LIST) {
		/* body-type-mpart: the parts, then the subtype */
		const struct ua_imap_node *c;
		for (i = 0; (c = ua_imap_child(r, b, i)) != NULL &&
		    c->type == UA_IMAP_LIST && out->n < UA_PARTS_MAX; i++) {
			char *s = *sec ? xasprintf("%s.%zu", sec, i + 1) :
			    xasprintf("%zu", i + 1);
			walk(r, c, s, s, depth + 1, out);
			free(s);
		}
		return;
	}
	type = str(first);
	sub = str(ua_imap_child(r, b, 1));
	if (type == NULL || sub == NULL) {
		free(type);
		free(sub);
		return;
	}
	cte = str(ua_imap_child(r, b, 5));
	cs = param(r, ua_imap_child(r, b, 2), "charset");
	name = param(r, ua_imap_child(r, b, 2), "name");
	/* RFC 9051 §7.5.2 / RFC 6532: message/global is structured like
	 * message/rfc822 (envelope, body, lines). */
	is_msg = !strcasecmp(type, "message") && (!strcasecmp(sub, "rfc822") ||
	    !strcasecmp(sub, "global"));
	/* body-ext-1part: the disposition follows md5; text has a line
	 * count first, message/rfc822 an envelope, a body and a count. */
	di = !strcasecmp(type, "text") ? 9 : is_msg ? 11 : 8;
	dn = ua_imap_child(r, b, di);
	if (dn != NULL && dn->type == UA_IMAP_LIST) {
		disp = str(ua_imap_child(r, dn, 0));
		if ((fn = param(r, ua_imap_child(r, dn, 1), "filename"))
		    != NULL) {
			free(name);
			name = fn;
		}
	}
	sz = ua_imap_child(r, b, 6);
	/* Strings holding NUL are cut there by str(): harmless. */
	add(out, leaf, type, sub, cs, name, cte, disp,
	    sz && sz->type == UA_IMAP_ATOM ? strtoull(sz->s, NULL, 10) : 0, 0);
	/* RFC 2046 §5.2.1: a message/rfc822 part is never encoded; one that
	 * is (base64, quoted-printable) is an opaque leaf, as the MIME
	 * library's tree has it, whatever placeholder body a server lists. */
	if (is_msg && !cte_is_encoding(cte)) {
		char *inner = xasprintf("%s.1", leaf);
		walk(r, ua_imap_child(r, b, 8), leaf, inner, depth + 1, out);
		free(inner);
	}
	free(type);
	free(sub);
	free(cte);
	free(cs);
	free(name);
	free(disp);
}

void
ua_parts_from_bodystructure(const struct ua_imap_resp *r,
    const struct ua_imap_node *bs, struct ua_parts *out)
{
	if (bs != NULL && bs->type == UA_IMAP_LIST)
		walk(r, bs, "", "1", 0, out);
}
