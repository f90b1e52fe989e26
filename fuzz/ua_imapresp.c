/*
 * ua_imapresp.c: fuzz the user agent's IMAP response parser. The input is
 * split into responses the way imap.c's reader does (a line, plus the
 * literal its "{N}" suffix announces, plus the next line...); every
 * response parses or fails cleanly, and a parsed tree is well formed.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "ua/imapresp.c"	/* the UA is not in libpostern.a */

static void
check(const struct ua_imap_resp *r)
{
	size_t i, k, n;

	for (i = 0; i < r->nnodes; i++) {
		const struct ua_imap_node *x = &r->nodes[i];
		assert(x->next == UA_IMAP_NONE || x->next < r->nnodes);
		assert(x->type == UA_IMAP_LIST || x->s + x->len <= r->data +
		    r->len);
		if (x->type != UA_IMAP_LIST)
			continue;
		for (n = 0, k = x->child; k != UA_IMAP_NONE;
		    k = r->nodes[k].next)
			n++;
		assert(n == x->n);
		(void)ua_imap_fetch_item(r, x, "BODY[");
		(void)ua_imap_fetch_item(r, x, "FLAGS");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		struct ua_imap_resp r;
		const char *start = p, *es = NULL, *nl;
		size_t lit, suf;

		for (;;) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL) {
				p = end;
				break;
			}
			suf = ua_imap_literal_suffix(start, (size_t)(nl - start) -
			    (nl > start && nl[-1] == '\r'), &lit);
			p = nl + 1;
			if (suf == 0 || lit > (size_t)(end - p))
				break;
			p += lit;
		}
		if (ua_imap_resp_parse(start, (size_t)((nl ? nl : end) - start),
		    &r, &es) == 0)
			check(&r);
		else
			assert(es != NULL);
		ua_imap_resp_free(&r);
	}
	return 0;
}
