/*
 * pop3d_session.c: fuzz the whole POP3 session engine in every state.
 * Byte 0 picks the settings (TLS on, STLS offered, plaintext allowed),
 * byte 1 the push chunk size; the rest is client input. A fake store
 * logs in anyone whose password starts with 'p' (so the fuzzer reaches
 * TRANSACTION and UPDATE at once), answers IN-USE, LOGIN-DELAY or a
 * failure for other first letters, and serves three messages, one of
 * them vanished.
 * Invariants: every reply ends in CRLF, actions come with what they need.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/scram.h"
#include "pop3d/session.h"

static const char *const body[] = {
	"Subject: a\r\n\r\n.x\r\nline\r\n",
	"Subject: b\n\nbare\n.\nend",
	NULL,	/* expunged by someone else */
};

static void
glue(struct pop3d_session *s)
{
	static const struct pop3d_msginfo msgs[3] = {
		{ 1, 27 }, { 2, 30 }, { 3, 10 } };
	struct pop3d_action a;
	struct buf *out;

	for (;;) {
		enum pop3d_act t = pop3d_session_run(s, &a);
		out = pop3d_session_out(s);
		assert(out->len == 0 || (out->len >= 2 &&
		    memcmp(out->data + out->len - 2, "\r\n", 2) == 0));
		pop3d_session_out_clear(s);
		switch (t) {
		case POP3D_ACT_NONE:
		case POP3D_ACT_CLOSE:
			return;
		case POP3D_ACT_SCRAM: {
			/* Stand-ins: the exchange runs to a failing end. */
			struct scram_creds cr = { .salt = "salt", .salt_len = 4,
			    .iter = SCRAM_ITERATIONS };
			pop3d_session_scram_done(s, a.user[0] == 't' ? -1 : 0,
			    &cr, a.user);
			break;
		}
		case POP3D_ACT_AUTH:
			assert(a.user != NULL && (a.pass != NULL ||
			    a.scram != 0));
			if (a.scram != 0) {
				assert(a.scram < 0);
				pop3d_session_auth_done(s, POP3D_AUTH_BAD, 0,
				    NULL, 0);
				break;
			}
			pop3d_session_auth_done(s, a.pass[0] == 'p' ?
			    POP3D_AUTH_OK : a.pass[0] == 'i' ? POP3D_AUTH_INUSE :
			    a.pass[0] == 't' ? POP3D_AUTH_TEMP :
			    a.pass[0] == 'd' ? POP3D_AUTH_DELAY :
			    POP3D_AUTH_BAD,
			    7, msgs, 3);
			break;
		case POP3D_ACT_RETR: {
			const char *b;
			assert(a.uid >= 1 && a.uid <= 3);
			b = body[a.uid - 1];
			pop3d_session_msg_begin(s, b != NULL);
			if (b != NULL) {
				pop3d_session_msg_push(s, b, strlen(b));
				pop3d_session_msg_end(s);
			}
			break;
		}
		case POP3D_ACT_STARTTLS:
			pop3d_session_tls_done(s, true);
			break;
		case POP3D_ACT_UPDATE:
			assert(a.ndele + a.nseen <= 3);
			pop3d_session_update_done(s, 0);
			break;
		case POP3D_ACT_DELAY:
			assert(a.delay_ms > 0);
			break;
		case POP3D_ACT_FLUSH:
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3d_settings set = { .hostname = "fuzz.test" };
	struct pop3d_session *s;
	size_t off = 2, chunk;

	if (size < 2)
		return 0;
	set.tls_active = data[0] & 1;
	set.tls_offered = data[0] & 2;
	set.plaintext_ok = data[0] & 4;
	set.expire_days = (data[0] & 8) ? data[0] >> 4 : -1;
	set.login_delay_s = data[1];
	chunk = 1 + data[1];
	s = pop3d_session_new(&set);
	glue(s);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		off += pop3d_session_push(s, data + off, n);
		glue(s);
	}
	pop3d_session_free(&s);
	return 0;
}
