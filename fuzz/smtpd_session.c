/*
 * smtpd_session.c: libFuzzer target for the whole SMTP session engine.
 *
 * Input: byte 0 picks the entry state (low 3 bits: greeted, after EHLO,
 * in a transaction, in DATA, in BDAT, after STARTTLS and EHLO, in an AUTH
 * exchange, before the greeting) and settings (listener, TLS, plaintext
 * AUTH); byte 1 picks how input is cut into pushes and which ops answer
 * later (PENDING). The rest is what the client sends.
 * The entry states are reached with one command per push and synchronous
 * ops ("user@example.org" is a local recipient for the fake lookup).
 * Checks: every reply line is "ddd" then " " or "-", ends in CRLF, and the
 * output stays bounded; begun messages end in exactly one commit or abort.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/scram.h"
#include "smtpd/session.h"

struct fz {
	unsigned	 async;	/* bits: 1 rcpt, 2 auth, 4 commit */
	int		 open;	/* begun, not yet committed or aborted */
	int		 pending_rcpt, pending_auth, pending_commit;
};

static enum smtpd_rcpt_kind
f_rcpt(void *ctx, const char *mailbox, const char *domain)
{
	struct fz *f = ctx;
	enum smtpd_rcpt_kind k = (enum smtpd_rcpt_kind)(strlen(mailbox) % 4);

	if (f->async & 1) {
		f->pending_rcpt = 1;
		return SMTPD_RCPT_PENDING;
	}
	return k;
}

static enum smtpd_status
f_auth(void *ctx, const char *user, const char *pass)
{
	struct fz *f = ctx;

	if (f->async & 2) {
		f->pending_auth = 1;
		return SMTPD_PENDING;
	}
	return strcmp(pass, "secret") == 0 ? SMTPD_OK : SMTPD_PERMFAIL;
}

/* SCRAM: stand-in credentials (the exchange fails at the proof);
 * "temp" fails the lookup. */
static enum smtpd_status
f_scram(void *ctx, const char *user, struct scram_creds *cr, char *canon,
    size_t canonsize)
{
	static const struct scram_creds fixed = { .salt = "salt",
	    .salt_len = 4, .iter = SCRAM_ITERATIONS };

	*cr = fixed;
	snprintf(canon, canonsize, "%s", user);
	return strcmp(user, "temp") == 0 ? SMTPD_TEMPFAIL : SMTPD_PERMFAIL;
}

static enum smtpd_status
f_begin(void *ctx, const struct smtpd_envelope *env, char *id, size_t n)
{
	struct fz *f = ctx;

	assert(!f->open);
	assert(env->nrcpts > 0);
	f->open = 1;
	memcpy(id, "ID", 3);
	return SMTPD_OK;
}

static int
f_write(void *ctx, const void *data, size_t len)
{
	struct fz *f = ctx;

	assert(f->open);
	return 0;
}

static enum smtpd_status
f_commit(void *ctx)
{
	struct fz *f = ctx;

	assert(f->open);
	f->open = 0;
	if (f->async & 4) {
		f->pending_commit = 1;
		return SMTPD_PENDING;
	}
	return SMTPD_OK;
}

static void
f_abort(void *ctx)
{
	struct fz *f = ctx;

	f->open = 0;
}

static const struct smtpd_ops ops = {
	.rcpt_lookup = f_rcpt, .auth = f_auth, .scram = f_scram,
	.msg_begin = f_begin,
	.msg_write = f_write, .msg_commit = f_commit, .msg_abort = f_abort,
};

static const char *const entry[8] = {
	"",
	"EHLO c\r\n",
	"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<user@example.org>\r\n",
	"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<user@example.org>\r\nDATA\r\n",
	"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<user@example.org>\r\nBDAT 100\r\n",
	"EHLO c\r\nSTARTTLS\r\n",
	"EHLO c\r\nAUTH LOGIN\r\n",
	NULL,	/* before the greeting */
};

static void
drain(struct smtpd_session *s)
{
	size_t n, i;
	const char *o = smtpd_session_output(s, &n);

	assert(n < 65536 + 1024);
	for (i = 0; i < n;) {
		const char *nl = memchr(o + i, '\n', n - i);

		assert(nl != NULL && nl > o + i + 4 && nl[-1] == '\r');
		assert(o[i] >= '2' && o[i] <= '5' && (o[i + 3] == ' ' ||
		    o[i + 3] == '-'));
		i = (size_t)(nl - o) + 1;
	}
	smtpd_session_output_consume(s, n);
}

/* Completes whatever the engine waits for. */
static void
complete(struct smtpd_session *s, struct fz *f, uint8_t how)
{
	if (f->pending_rcpt) {
		f->pending_rcpt = 0;
		smtpd_session_rcpt_done(s, (enum smtpd_rcpt_kind)(how % 4));
	} else if (f->pending_auth) {
		f->pending_auth = 0;
		smtpd_session_auth_done(s, (enum smtpd_status)(how % 4));
	} else if (f->pending_commit) {
		f->pending_commit = 0;
		smtpd_session_commit_done(s, (enum smtpd_status)(how % 4));
	} else if (smtpd_session_actions(s) & SMTPD_ACT_STARTTLS)
		smtpd_session_tls_done(s, NULL);
	drain(s);
}

static void
push_all(struct smtpd_session *s, struct fz *f, const uint8_t *p, size_t len,
    size_t piece)
{
	size_t off = 0;
	int stuck = 0;

	while (off < len && stuck < 4) {
		size_t want = len - off < piece ? len - off : piece;
		size_t n = smtpd_session_push(s, p + off, want);

		drain(s);
		off += n;
		if (n == 0) {
			stuck++;
			complete(s, f, p[off]);
			smtpd_session_push(s, NULL, 0);
			drain(s);
		} else
			stuck = 0;
		if (smtpd_session_waiting(s))
			complete(s, f, p[off - (off > 0)]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpd_settings set = { .hostname = "mx.example",
		.peer_addr = "192.0.2.1", .max_message_size = 4096,
		.error_limit = 50, .junk_limit = 50, .rcpt_limit = 5 };
	struct fz f = { 0 };
	struct smtpd_session *s;
	static const size_t pieces[8] = { 1, 2, 3, 7, 64, 512, 4096, 1 << 20 };
	uint8_t mode, how;

	if (size < 2)
		return 0;
	mode = data[0];
	how = data[1];
	data += 2;
	size -= 2;
	set.listener = (enum smtpd_listener)((mode >> 3) % 3);
	set.tls_available = mode & 0x20;
	set.tls_active = set.listener == SMTPD_LISTENER_SUBMISSIONS;
	set.plaintext_auth = mode & 0x40;
	set.peer_relay = mode & 0x80;
	if ((mode & 7) == 5) {		/* STARTTLS must be possible */
		set.tls_available = true;
		set.tls_active = false;
	}
	if ((mode & 7) >= 2 && (mode & 7) <= 4)
		set.listener = SMTPD_LISTENER_MTA;	/* no AUTH needed */
	if ((mode & 7) == 6)
		set.plaintext_auth = true;
	s = smtpd_session_new(&set, &ops, &f);
	if (entry[mode & 7] != NULL) {
		const char *e = entry[mode & 7];

		smtpd_session_greet(s);
		/* One line per push: the entry is not a pipelining test. */
		while (*e != '\0') {
			size_t n = strcspn(e, "\n") + 1;

			push_all(s, &f, (const uint8_t *)e, n, n);
			e += n;
		}
		if ((mode & 7) == 5)
			complete(s, &f, 0);	/* the handshake */
		assert(!(smtpd_session_actions(s) & SMTPD_ACT_CLOSE));
	}
	f.async = how >> 5;	/* the entry itself completes at once */
	drain(s);
	push_all(s, &f, data, size, pieces[how & 7]);
	if (how & 0x10)
		smtpd_session_abort(s, "4.4.2", "Timeout");
	drain(s);
	smtpd_session_free(&s);
	assert(f.open == 0);
	return 0;
}
