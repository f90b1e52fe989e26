/*
 * pop3d_retrieved.c: fuzz the pop3_expire / leave-on-server record parser
 * (expire.h). The record is always read for UIDVALIDITY 7. Invariant:
 * whatever parses formats back to text that parses to the same entries
 * (hidden marks included), sorted by strictly rising UIDs.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pop3d/expire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3d_retrieved *v, *w;
	size_t n, m, len;
	char *text;

	pop3d_retrieved_parse((const char *)data, size, 7, &v, &n);
	for (size_t i = 1; i < n; i++)
		assert(v[i - 1].uid < v[i].uid);
	pop3d_retrieved_format(7, v, n, &text, &len);
	pop3d_retrieved_parse(text, len, 7, &w, &m);
	assert(m == n);
	for (size_t i = 0; i < n; i++)
		assert(v[i].uid == w[i].uid && v[i].when == w[i].when &&
		    v[i].hidden == w[i].hidden);
	free(text);
	free(v);
	free(w);
	return 0;
}
