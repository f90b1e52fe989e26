/*
 * queue_bounce.c: fuzz the DSN builder with hostile inputs: the stored
 * error text (a remote server's reply), the original message (odd
 * headers), ORCPT and ENVID. The input is split at the first two NUL
 * bytes: error, orcpt/envid, message. Invariants: the notice has no bare
 * CR or LF, and its header and report parts hold no 8-bit byte.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "queue/bounce.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *z1, *z2;
	char err[2048], xt[512];
	struct bounce_rcpt r = { .addr = "rcpt@example.org" };
	struct bounce_info b;
	struct buf out;
	const char *errstr, *report;

	z1 = memchr(p, '\0', size);
	z2 = z1 ? memchr(z1 + 1, '\0', (size_t)(end - z1 - 1)) : NULL;
	if (z1 == NULL || z2 == NULL || (size_t)(z1 - p) >= sizeof(err) ||
	    (size_t)(z2 - z1 - 1) >= sizeof(xt))
		return 0;
	memcpy(err, p, (size_t)(z1 - p));
	err[z1 - p] = '\0';
	memcpy(xt, z1 + 1, (size_t)(z2 - z1 - 1));
	xt[z2 - z1 - 1] = '\0';
	r.error = err;
	r.orcpt = xt;
	r.last_try = 1700000000;
	memset(&b, 0, sizeof(b));
	b.kind = (enum bounce_kind)(size % 4);
	b.hostname = "mx.example.org";
	b.to = "sender@example.net";
	b.id = "0123456789ABCDEF";
	b.envid = xt;
	b.arrival = 1700000000;
	b.retry_until = 1700400000;
	b.now = 1700000100;
	b.rcpts = &r;
	b.nrcpts = 1;
	b.msg = z2 + 1;
	b.len = (size_t)(end - z2 - 1);
	b.full = (size & 2) != 0;
	buf_init(&out, 4 * size + 65536);
	if (bounce_build(&b, &out, &errstr) == 0) {
		for (size_t i = 0; i < out.len; i++) {
			if (out.data[i] == '\n')
				assert(i > 0 && out.data[i - 1] == '\r');
			if (out.data[i] == '\r')
				assert(i + 1 < out.len && out.data[i + 1] == '\n');
		}
		/* everything before the returned message (the third part)
		 * is ours: 7-bit */
		const char *bd = strstr(out.data, "boundary=\"");
		char delim[80];
		assert(bd != NULL);
		bd += 10;
		snprintf(delim, sizeof(delim), "\r\n--%.*s\r\n",
		    (int)strcspn(bd, "\""), bd);
		report = strstr(out.data, delim);
		for (int k = 0; k < 2 && report != NULL; k++)
			report = strstr(report + 1, delim);
		for (const char *q = out.data; q < (report ? report :
		    out.data + out.len); q++)
			assert((unsigned char)*q < 0x80);
	}
	buf_free(&out);
	return 0;
}
