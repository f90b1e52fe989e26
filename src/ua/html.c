/*
 * html.c: a small HTML-to-text renderer for the user agent (html.h).
 * Not an HTML parser: a tag scanner good enough to read mail.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "mime/charset.h"
#include "ua/html.h"

static const char *blocks[] = { "p", "div", "br", "tr", "h1", "h2", "h3",
    "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre", "hr",
    "li", "title" };

/* Decodes the reference at s (after '&'); returns bytes used, 0 if none. */
static size_t
entity(const char *s, size_t len, unsigned long *cp)
{
	static const struct { const char *name; unsigned long cp; } names[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' },
		{ "quot", '"' }, { "apos", '\'' }, { "nbsp", ' ' },
		{ "copy", 0xa9 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
		{ "hellip", 0x2026 }, { "euro", 0x20ac },
	};
	size_t i, n = 0;

	if (len > 0 && s[0] == '#') {
		int hex = len > 1 && (s[1] == 'x' || s[1] == 'X');
		unsigned long v = 0;

		for (i = hex ? 2 : 1; i < len && i < 10 &&
		    (hex ? isxdigit((unsigned char)s[i]) :
		    isdigit((unsigned char)s[i])); i++)
			v = v * (hex ? 16 : 10) + (unsigned long)(isdigit(
			    (unsigned char)s[i]) ? s[i] - '0' :
			    (tolower((unsigned char)s[i]) - 'a' + 10));
		if (i == (hex ? 2u : 1u))
			return 0;
		*cp = v;
		return i < len && s[i] == ';' ? i + 1 : i;
	}
	while (n < len && n < 10 && isalnum((unsigned char)s[n]))
		n++;
	for (i = 0; i < nitems(names); i++)
		if (strlen(names[i].name) == n &&
		    strncmp(s, names[i].name, n) == 0) {
			*cp = names[i].cp;
			return n < len && s[n] == ';' ? n + 1 : n;
		}
	return 0;
}

int
ua_html_to_text(const char *h, size_t len, struct buf *out)
{
	size_t i = 0, start = out->len;
	int space = 0, skip = 0, pre = 0, rc = 0;

	while (i < len && rc == 0) {
		char c = h[i];

		if (c == '<') {
			const char *end = memchr(h + i, '>', len - i);
			size_t tl, k;
			int closing;
			char name[16];

			if (end == NULL)
				break;
			closing = h[i + 1] == '/';
			k = i + 1 + (size_t)closing;
			for (tl = 0; k < (size_t)(end - h) && tl < 15 &&
			    isalnum((unsigned char)h[k]); k++)
				name[tl++] = (char)tolower((unsigned char)h[k]);
			name[tl] = '\0';
			i = (size_t)(end - h) + 1;
			if (!strcmp(name, "script") || !strcmp(name, "style"))
				skip = !closing;
			if (!strcmp(name, "pre"))
				pre = !closing;
			for (k = 0; k < nitems(blocks); k++)
				if (!strcmp(name, blocks[k])) {
					if (out->len > start &&
					    out->data[out->len - 1] != '\n')
						rc = buf_putc(out, '\n');
					if (!closing && !strcmp(name, "li"))
						rc = buf_puts(out, "* ");
					space = 0;
				}
			continue;
		}
		i++;
		if (skip)
			continue;
		if (!pre && isspace((unsigned char)c)) {
			space = 1;
			continue;
		}
		if (space && out->len > start &&
		    out->data[out->len - 1] != '\n' &&
		    out->data[out->len - 1] != ' ')
			rc = buf_putc(out, ' ');
		space = 0;
		if (c == '&') {
			unsigned long cp;
			size_t used = entity(h + i, len - i, &cp);
			if (used > 0) {
				i += used;
				rc = mime_utf8_put(out, cp == 0 ||
				    cp > 0x10ffff ? 0xfffd : (uint32_t)cp);
				continue;
			}
		}
		if (rc == 0)
			rc = buf_putc(out, c);
	}
	if (rc == 0 && out->len > start && out->data[out->len - 1] != '\n')
		rc = buf_putc(out, '\n');
	return rc;
}
