/*
 * html.h: text/html rendered as readable plain text for `postern read`
 * when a message has no text/plain part.
 */
#ifndef UA_HTML_H
#define UA_HTML_H

#include <stddef.h>

#include "lib/buf.h"

/*
 * Appends a plain-text rendering of UTF-8 HTML: tags dropped, block
 * elements and <br> as line breaks, list items as "* ", script and style
 * skipped, character references decoded, white space collapsed.
 * 0, or -1 when out is full.
 */
int ua_html_to_text(const char *html, size_t len, struct buf *out);

#endif
