/*
 * smtpc_session.c: fuzz the SMTP client engine and its reply parser with
 * a hostile server. The first byte picks the push chunk size; the rest is
 * what the server says. The client offers one message whenever it is
 * ready. Invariants: output never holds a bare CR or LF, and every
 * recipient has a result when DONE is reported.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtpc/client.h"

static void
check_output(struct smtpc *c)
{
	const char *o;
	size_t n;

	o = smtpc_output(c, &n);
	for (size_t i = 0; i < n; i++) {
		if (o[i] == '\n')
			assert(i > 0 && o[i - 1] == '\r');
		if (o[i] == '\r')
			assert(i + 1 < n && o[i + 1] == '\n');
	}
	smtpc_output_consume(c, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char body[] = "Subject: x\r\n\r\n.a\nb\rc\r\n.\r\n";
	const struct smtpc_settings s = { .helo = "me", .tls = SMTPC_TLS_MAY,
	    .auth_user = "u", .auth_pass = "p", .auth_plaintext = true };
	struct smtpc_rcpt r[2] = { { .addr = "a@x" }, { .addr = "b@x",
	    .notify = SMTPC_NOTIFY_DELAY, .orcpt = "rfc822;b@x" } };
	struct smtpc_msg m = { .sender = "s@y", .rcpts = r, .nrcpts = 2,
	    .data = body, .len = sizeof(body) - 1, .envid = "e" };
	struct smtpc *c;
	enum smtpc_event ev;
	size_t off = 1, chunk;
	int sends = 0;

	if (size < 1)
		return 0;
	chunk = 1 + data[0] % 64;
	c = smtpc_new(&s);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		smtpc_push(c, data + off, n);
		off += n;
		check_output(c);
		while ((ev = smtpc_event(c)) != SMTPC_EV_NONE) {
			if (ev == SMTPC_EV_STARTTLS)
				smtpc_tls_done(c, data[0] & 1);
			else if (ev == SMTPC_EV_READY) {
				if (sends++ < 3)
					smtpc_send(c, &m);
				else
					smtpc_quit(c);
			} else if (ev == SMTPC_EV_DONE) {
				for (size_t i = 0; i < 2; i++)
					assert(r[i].code >= 200 &&
					    r[i].code < 600);
			} else if (ev == SMTPC_EV_CLOSED)
				goto out;
			check_output(c);
		}
	}
	smtpc_eof(c);
out:
	smtpc_free(&c);
	return 0;
}
