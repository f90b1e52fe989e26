/*
 * imapresp.c: IMAP response parser for the user agent (RFC 3501 §7 and
 * the §9 grammar, leniently). Pure: text in, node tree out.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "ua/imapresp.h"

struct parser {
	struct ua_imap_resp *r;
	char		*p, *end;
	const char	*err;
};

static size_t
node_new(struct parser *ps, enum ua_imap_type t)
{
	struct ua_imap_resp *r = ps->r;

	if (r->nnodes == UA_IMAP_MAX_NODES) {
		ps->err = "too many items";
		return UA_IMAP_NONE;
	}
	if (r->nnodes == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->nodes = xreallocarray(r->nodes, r->cap, sizeof(*r->nodes));
	}
	r->nodes[r->nnodes] = (struct ua_imap_node){ t, "", 0, UA_IMAP_NONE,
	    UA_IMAP_NONE, 0 };
	return r->nnodes++;
}

/* Atom characters (RFC 3501 §9 ATOM-CHAR, plus "\" and "]" of flags and
 * resp-text-codes, which we accept everywhere). */
static int
atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	    c != '"' && c != '%' && c != '[';
}

static int parse_item(struct parser *, size_t *, unsigned);

static int
parse_list(struct parser *ps, size_t *out, unsigned depth, char close)
{
	size_t self = node_new(ps, UA_IMAP_LIST), last = UA_IMAP_NONE, it;

	if (self == UA_IMAP_NONE)
		return -1;
	if (depth > UA_IMAP_MAX_DEPTH) {
		ps->err = "nested too deep";
		return -1;
	}
	for (;;) {
		while (ps->p < ps->end && *ps->p == ' ')
			ps->p++;
		if (ps->p == ps->end) {
			if (close == '\0')
				break;
			ps->err = "unterminated list";
			return -1;
		}
		if (*ps->p == close && close != '\0') {
			ps->p++;
			break;
		}
		if (parse_item(ps, &it, depth + 1) == -1)
			return -1;
		if (last == UA_IMAP_NONE)
			ps->r->nodes[self].child = it;
		else
			ps->r->nodes[last].next = it;
		last = it;
		ps->r->nodes[self].n++;
	}
	*out = self;
	return 0;
}

/* A quoted string, unescaped in place (RFC 3501 §4.3). */
static int
parse_quoted(struct parser *ps, size_t *out)
{
	char *start = ++ps->p, *w = start;
	size_t self;

	for (;;) {
		if (ps->p == ps->end) {
			ps->err = "unterminated string";
			return -1;
		}
		if (*ps->p == '"')
			break;
		if (*ps->p == '\\' && ps->p + 1 < ps->end)
			ps->p++;
		*w++ = *ps->p++;
	}
	ps->p++;
	if ((self = node_new(ps, UA_IMAP_STRING)) == UA_IMAP_NONE)
		return -1;
	ps->r->nodes[self].s = start;
	ps->r->nodes[self].len = (size_t)(w - start);
	*w = '\0';	/* w < ps->p: the closing quote's place or earlier */
	*out = self;
	return 0;
}

static int
parse_literal(struct parser *ps, size_t *out)
{
	size_t n = 0, self;
	char *p = ps->p + 1;

	if (p == ps->end || !isdigit((unsigned char)*p))
		goto bad;
	while (p < ps->end && isdigit((unsigned char)*p)) {
		if (n > (size_t)(ps->end - ps->p))
			goto bad;
		n = n * 10 + (size_t)(*p++ - '0');
	}
	if (p < ps->end && *p == '+')
		p++;
	if (p + 3 > ps->end || p[0] != '}' || p[1] != '\r' || p[2] != '\n')
		goto bad;
	p += 3;
	if ((size_t)(ps->end - p) < n)
		goto bad;
	if ((self = node_new(ps, UA_IMAP_STRING)) == UA_IMAP_NONE)
		return -1;
	ps->r->nodes[self].s = p;
	ps->r->nodes[self].len = n;
	ps->p = p + n;
	*out = self;
	return 0;
bad:
	ps->err = "bad literal";
	return -1;
}

static int
parse_atom(struct parser *ps, size_t *out)
{
	char *start = ps->p;
	size_t self;

	while (ps->p < ps->end) {
		if (*ps->p == '[') {
			/* BODY[HEADER.FIELDS (A B)]: one atom up to "]". */
			char *close = memchr(ps->p, ']',
			    (size_t)(ps->end - ps->p));
			if (close == NULL) {
				ps->err = "unterminated [";
				return -1;
			}
			ps->p = close + 1;
			continue;
		}
		if (!atom_char((unsigned char)*ps->p))
			break;
		ps->p++;
	}
	if (ps->p == start) {
		ps->err = "unexpected character";
		return -1;
	}
	if ((self = node_new(ps, UA_IMAP_ATOM)) == UA_IMAP_NONE)
		return -1;
	ps->r->nodes[self].s = start;
	ps->r->nodes[self].len = (size_t)(ps->p - start);
	if (ps->p - start == 3 && strncasecmp(start, "NIL", 3) == 0)
		ps->r->nodes[self].type = UA_IMAP_NIL;
	*out = self;
	return 0;
}

static int
parse_item(struct parser *ps, size_t *out, unsigned depth)
{
	switch (*ps->p) {
	case '(':
		ps->p++;
		return parse_list(ps, out, depth, ')');
	case '"':
		return parse_quoted(ps, out);
	case '{':
		return parse_literal(ps, out);
	default:
		return parse_atom(ps, out);
	}
}

static int
is_status(const char *w, size_t n)
{
	static const char *words[] = { "OK", "NO", "BAD", "BYE", "PREAUTH" };
	size_t i;

	for (i = 0; i < nitems(words); i++)
		if (strlen(words[i]) == n && strncasecmp(w, words[i], n) == 0)
			return 1;
	return 0;
}

int
ua_imap_resp_parse(const char *data, size_t len, struct ua_imap_resp *r,
    const char **errstr_out)
{
	struct parser ps;
	char *sp, *w;
	size_t root, wl;

	memset(r, 0, sizeof(*r));
	r->data = xmalloc(len + 1);
	memcpy(r->data, data, len);
	r->data[len] = '\0';
	r->len = len;
	ps = (struct parser){ r, r->data, r->data + len, NULL };
	if (len == 0 || (sp = memchr(r->data, ' ', len)) == NULL) {
		/* "+" alone is a continuation with empty text. */
		if (len == 1 && r->data[0] == '+') {
			r->kind = UA_IMAP_CONT;
			r->text = "";
			return 0;
		}
		*errstr_out = "response without a space";
		return -1;
	}
	*sp = '\0';
	if (strcmp(r->data, "*") == 0)
		r->kind = UA_IMAP_UNTAGGED;
	else if (strcmp(r->data, "+") == 0) {
		r->kind = UA_IMAP_CONT;
		r->text = sp + 1;
		return 0;
	} else {
		r->kind = UA_IMAP_TAGGED;
		r->tag = r->data;
	}
	ps.p = sp + 1;
	w = ps.p;
	wl = strcspn(w, " ");
	if (wl > (size_t)(ps.end - w))
		wl = (size_t)(ps.end - w);
	if (is_status(w, wl)) {
		/* resp-cond-state / resp-cond-bye (§7.1): text is free form,
		 * an optional [code] first. */
		r->status = w;
		ps.p = w + wl;
		if (ps.p < ps.end)
			*ps.p++ = '\0';
		r->text = ps.p;
		if (ps.p < ps.end && *ps.p == '[') {
			char *close = memchr(ps.p, ']',
			    (size_t)(ps.end - ps.p));
			if (close != NULL) {
				*close = '\0';
				r->code = ps.p + 1;
				r->text = close + 1 < ps.end ? close + 1 : "";
				while (*r->text == ' ')
					r->text++;
			}
		}
		for (w = (char *)r->status; *w; w++)
			*w = (char)toupper((unsigned char)*w);
		if (r->kind == UA_IMAP_TAGGED)
			return 0;
		/* untagged status responses keep no items */
		return 0;
	}
	if (parse_list(&ps, &root, 0, '\0') == -1) {
		*errstr_out = ps.err;
		return -1;
	}
	return 0;
}

void
ua_imap_resp_free(struct ua_imap_resp *r)
{
	free(r->nodes);
	free(r->data);
	memset(r, 0, sizeof(*r));
}

const struct ua_imap_node *
ua_imap_node(const struct ua_imap_resp *r, size_t i)
{
	return i < r->nnodes ? &r->nodes[i] : NULL;
}

int
ua_imap_node_is(const struct ua_imap_node *node, const char *s)
{
	return node != NULL && (node->type == UA_IMAP_ATOM ||
	    node->type == UA_IMAP_STRING) && strlen(s) == node->len &&
	    strncasecmp(node->s, s, node->len) == 0;
}

const struct ua_imap_node *
ua_imap_child(const struct ua_imap_resp *r, const struct ua_imap_node *list,
    size_t i)
{
	size_t k;

	if (list == NULL || list->type != UA_IMAP_LIST)
		return NULL;
	for (k = list->child; k != UA_IMAP_NONE; k = r->nodes[k].next)
		if (i-- == 0)
			return &r->nodes[k];
	return NULL;
}

const struct ua_imap_node *
ua_imap_fetch_item(const struct ua_imap_resp *r,
    const struct ua_imap_node *list, const char *name)
{
	size_t k, nl = strlen(name);

	if (list == NULL || list->type != UA_IMAP_LIST)
		return NULL;
	for (k = list->child; k != UA_IMAP_NONE; k = r->nodes[k].next) {
		const struct ua_imap_node *key = &r->nodes[k];
		size_t v = key->next;

		if (v == UA_IMAP_NONE)
			break;
		if (key->type == UA_IMAP_ATOM && (ua_imap_node_is(key, name) ||
		    (name[nl - 1] == '[' && key->len >= nl &&
		    strncasecmp(key->s, name, nl) == 0)))
			return &r->nodes[v];
		k = v;
	}
	return NULL;
}

size_t
ua_imap_literal_suffix(const char *line, size_t len, size_t *n_out)
{
	size_t i, n = 0, mult = 1;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	i = len - 2;
	if (line[i] == '+')
		i--;
	if (!isdigit((unsigned char)line[i]))
		return 0;
	while (i > 0 && isdigit((unsigned char)line[i])) {
		if (mult > 1000000000000ULL)
			return 0;
		n += (size_t)(line[i] - '0') * mult;
		mult *= 10;
		i--;
	}
	if (line[i] != '{')
		return 0;
	*n_out = n;
	return len - i;
}
