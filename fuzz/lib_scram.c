/*
 * lib_scram: the SCRAM-SHA-256 parsers. First byte picks the side:
 * 0 server (client-first NUL client-final), 1 client (server-first NUL
 * server-final, our nonce "fuzz"), 2 a round trip whose user name is the
 * input (must succeed when our SASLprep takes it).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/scram.h"

/* Iteration counts above this are skipped: each costs PBKDF2 rounds. */
#define FUZZ_ITER_MAX	5000

static void
server(const char *p, size_t n, const struct scram_creds *cr)
{
	struct scram_server *s = scram_server_new();
	const char *nul = memchr(p, '\0', n), *user, *err;
	char out[SCRAM_MSG_MAX + 1];
	int r;

	if (scram_server_client_first(s, p, nul ? (size_t)(nul - p) : n, &user,
	    &err) == 0) {
		if (strlen(user) == 0 || strlen(user) > SCRAM_FIELD_MAX)
			__builtin_trap();
		if (scram_server_first(s, cr, "snonce", out, sizeof(out),
		    &err) < 0)
			__builtin_trap();
		if (nul != NULL) {
			r = scram_server_client_final(s, nul + 1,
			    n - (size_t)(nul - p) - 1, out, sizeof(out), &err);
			if (r < -1 || r > 1 || (r == 1 && strncmp(out, "v=",
			    2) != 0))
				__builtin_trap();
		}
	}
	scram_server_free(&s);
}

static void
client(const char *p, size_t n)
{
	struct scram_client *c = scram_client_new("user", "pencil", "fuzz",
	    &(const char *){ NULL });
	const char *nul = memchr(p, '\0', n), *i, *err;
	char out[SCRAM_MSG_MAX + 1];
	size_t fl = nul ? (size_t)(nul - p) : n;

	/* Skip costly iteration counts (the client itself takes up to
	 * SCRAM_ITERATIONS_MAX). */
	if ((i = memmem(p, fl, ",i=", 3)) != NULL) {
		unsigned long v = 0;

		for (i += 3; i < p + fl && *i >= '0' && *i <= '9' &&
		    v <= FUZZ_ITER_MAX; i++)
			v = v * 10 + (unsigned long)(*i - '0');
		if (v > FUZZ_ITER_MAX) {
			scram_client_free(&c);
			return;
		}
	}
	if (scram_client_first(c, out, sizeof(out)) > 0 &&
	    scram_client_final(c, p, fl, out, sizeof(out), &err) >= 0 &&
	    nul != NULL)
		(void)scram_client_verify(c, nul + 1, n - fl - 1, &err);
	scram_client_free(&c);
}

static void
roundtrip(const char *p, size_t n, const struct scram_creds *cr)
{
	char user[SCRAM_FIELD_MAX + 2], m[SCRAM_MSG_MAX + 1];
	char r[SCRAM_MSG_MAX + 1];
	struct scram_server *s;
	struct scram_client *c;
	const char *u, *err;
	long k;

	if (n > SCRAM_FIELD_MAX)
		return;
	memcpy(user, p, n);
	user[n] = '\0';
	if ((c = scram_client_new(user, "pw", NULL, &err)) == NULL)
		return;
	s = scram_server_new();
	k = scram_client_first(c, m, sizeof(m));
	if (k < 0 || scram_server_client_first(s, m, (size_t)k, &u, &err) != 0 ||
	    strcmp(u, user) != 0 ||
	    (k = scram_server_first(s, cr, NULL, r, sizeof(r), &err)) < 0 ||
	    (k = scram_client_final(c, r, (size_t)k, m, sizeof(m), &err)) < 0 ||
	    scram_server_client_final(s, m, (size_t)k, r, sizeof(r),
	    &err) != 1 || scram_client_verify(c, r, strlen(r), &err) != 0)
		__builtin_trap();
	scram_server_free(&s);
	scram_client_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scram_creds cr;	/* read-only after the first run */
	static int have;
	const char *err;

	if (!have) {
		if (scram_creds_make("pw", (const unsigned char *)"salt", 4,
		    SCRAM_ITERATIONS, &cr, &err) != 0)
			__builtin_trap();
		have = 1;
	}
	if (size < 1 || size > 4 * SCRAM_MSG_MAX)
		return 0;
	switch (data[0] % 3) {
	case 0:
		server((const char *)data + 1, size - 1, &cr);
		break;
	case 1:
		client((const char *)data + 1, size - 1);
		break;
	default:
		roundtrip((const char *)data + 1, size - 1, &cr);
		break;
	}
	return 0;
}
