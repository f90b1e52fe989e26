/*
 * smtpchat: runs tests/proto/smtpd/ *.chat transcripts against the SMTP
 * session engine in memory, with a fake glue (users, passwords, queue).
 * Unit-level: no network, no files besides the transcripts.
 *
 * usage: smtpchat [-b] [-r SEED] [-v] FILE...
 *   -b  feed client bytes one at a time (default: each block at once)
 *   -r  feed client bytes in random pieces of 1-64 bytes
 *   -v  print every line as it is checked
 * Exit 0 when every transcript passed, 1 otherwise. The unit test
 * tests/unit/smtpd/test-chat.c includes this file (SMTPCHAT_NO_MAIN) to
 * run the same transcripts under ASan and UBSan.
 *
 * Transcript lines (blank lines and "#" comments are ignored):
 *   @ key=value ...   settings, before any client line:
 *       listener=mta|submission|submissions  tls=none|available|active
 *       plaintext=yes|no  max=N  peer=ADDR  peername=NAME  relay=yes|no
 *       errors=N  junk=N  rcpts=N  greet=no  bytewise=no
 *       async=rcpt,auth,commit  disk=full
 *       sink=begin-temp|begin-perm|write-fail|commit-temp|commit-perm
 *   C: text           client line; CRLF is appended
 *   R: text           raw client bytes: \r \n \t \0 \\ \xHH escapes
 *   X: N text         raw bytes as in R:, repeated N times
 *   S: text           the next reply line must be text
 *   S* N text         the next N reply lines must each be text
 *   A: CLOSE|STARTTLS|NONE  the action bits now (space-separated)
 *   ! greet | tls | rcpt-done | auth-done | commit-done [ok|temp|perm]
 *     | abort STATUS TEXT
 *   M: text           next line of the last committed message
 *   E: text           next line of the last begun envelope
 *   V: text           next event ("KIND detail")
 * Before client bytes are sent and at the end, every reply must have
 * been matched. Message dates are fixed: now = 1700000000.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "smtpd/session.h"

#define MAXQ 4096

struct fake {
	bool async_rcpt, async_auth, async_commit, disk_full;
	char sink_mode[32];
	enum smtpd_rcpt_kind rcpt_res;
	enum smtpd_status auth_res;
	int nextid;
	struct buf msg, last_msg;
	struct buf env;		/* envelope lines of the last begun message */
	struct buf events;
	bool begun;
};

struct run {
	const char *file;
	int lineno;
	bool bytewise, verbose;
	unsigned random;	/* seed; 0: off */
	int failed;
	struct smtpd_session *s;
	struct fake f;
	char peer[128], peername[256];
	struct buf pending;	/* client bytes not yet taken */
	struct buf replies;	/* reply bytes not yet matched */
	size_t moff, eoff, voff;	/* read offsets in last_msg/env/events */
};

static void
chat_fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed++)
		return;
	fprintf(stderr, "FAIL %s:%d (%s): ", r->file, r->lineno,
	    r->random ? "random" : r->bytewise ? "bytewise" : "whole");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the fake glue ---- */

static bool
user_exists(const char *mailbox)
{
	static const char *users[] = { "alice", "bob", "postmaster" };
	const char *at = strrchr(mailbox, '@');
	size_t n = at ? (size_t)(at - mailbox) : strlen(mailbox), i;

	for (i = 0; i < nitems(users); i++)
		if (strlen(users[i]) == n && strncasecmp(users[i], mailbox, n) == 0)
			return true;
	return false;
}

static enum smtpd_rcpt_kind
f_rcpt(void *ctx, const char *mailbox, const char *domain)
{
	struct fake *f = ctx;
	enum smtpd_rcpt_kind k;

	if (domain[0] == '\0')
		k = SMTPD_RCPT_LOCAL;	/* Postmaster */
	else if (strcasecmp(domain, "example.org") != 0 &&
	    strcasecmp(domain, "localhost") != 0)
		k = SMTPD_RCPT_REMOTE;
	else if (strncasecmp(mailbox, "temp@", 5) == 0)
		k = SMTPD_RCPT_TEMPFAIL;
	else
		k = user_exists(mailbox) ? SMTPD_RCPT_LOCAL : SMTPD_RCPT_UNKNOWN;
	if (f->async_rcpt) {
		f->rcpt_res = k;
		return SMTPD_RCPT_PENDING;
	}
	return k;
}

static enum smtpd_status
f_auth(void *ctx, const char *user, const char *pass)
{
	struct fake *f = ctx;
	enum smtpd_status st;

	if (strcmp(user, "temp") == 0)
		st = SMTPD_TEMPFAIL;
	else if (strcmp(user, "alice") == 0 && strcmp(pass, "secret") == 0)
		st = SMTPD_OK;
	else
		st = SMTPD_PERMFAIL;
	if (f->async_auth) {
		f->auth_res = st;
		return SMTPD_PENDING;
	}
	return st;
}

static enum smtpd_status
f_space(void *ctx, uint64_t size)
{
	struct fake *f = ctx;

	return f->disk_full ? SMTPD_TEMPFAIL : SMTPD_OK;
}

static void
notify_str(struct buf *b, unsigned n)
{
	const char *sep = "";

	if (n & SMTPD_NOTIFY_NEVER)
		buf_puts(b, "NEVER");
	if (n & SMTPD_NOTIFY_SUCCESS) {
		buf_printf(b, "%sSUCCESS", sep);
		sep = ",";
	}
	if (n & SMTPD_NOTIFY_FAILURE) {
		buf_printf(b, "%sFAILURE", sep);
		sep = ",";
	}
	if (n & SMTPD_NOTIFY_DELAY)
		buf_printf(b, "%sDELAY", sep);
}

static enum smtpd_status
f_begin(void *ctx, const struct smtpd_envelope *env, char *id, size_t idsize)
{
	struct fake *f = ctx;
	const struct smtpd_mail_params *m = &env->mail;
	size_t i;

	if (strcmp(f->sink_mode, "begin-temp") == 0)
		return SMTPD_TEMPFAIL;
	if (strcmp(f->sink_mode, "begin-perm") == 0)
		return SMTPD_PERMFAIL;
	if (f->begun)
		abort();	/* engine bug: two messages at once */
	f->begun = true;
	snprintf(id, idsize, "Q%d", ++f->nextid);
	buf_reset(&f->msg);
	buf_reset(&f->env);
	buf_printf(&f->env, "from=<%s> proto=%s helo=%s", env->sender,
	    env->protocol, env->helo);
	if (m->has_size)
		buf_printf(&f->env, " size=%llu", (unsigned long long)m->size);
	if (m->body != SMTPD_BODY_NONE)
		buf_printf(&f->env, " body=%s",
		    m->body == SMTPD_BODY_7BIT ? "7BIT" : "8BITMIME");
	if (m->smtputf8)
		buf_puts(&f->env, " smtputf8");
	if (m->ret != SMTPD_RET_NONE)
		buf_printf(&f->env, " ret=%s",
		    m->ret == SMTPD_RET_FULL ? "FULL" : "HDRS");
	if (m->envid[0])
		buf_printf(&f->env, " envid=%s", m->envid);
	if (m->auth[0])
		buf_printf(&f->env, " auth=%s", m->auth);
	if (env->auth_user)
		buf_printf(&f->env, " user=%s", env->auth_user);
	if (env->tls)
		buf_puts(&f->env, " tls");
	buf_puts(&f->env, "\r\n");
	for (i = 0; i < env->nrcpts; i++) {
		const struct smtpd_rcpt *rc = &env->rcpts[i];

		buf_printf(&f->env, "to=<%s> %s", rc->mailbox,
		    rc->kind == SMTPD_RCPT_LOCAL ? "local" : "remote");
		if (rc->dsn.notify) {
			buf_puts(&f->env, " notify=");
			notify_str(&f->env, rc->dsn.notify);
		}
		if (rc->dsn.orcpt[0])
			buf_printf(&f->env, " orcpt=%s", rc->dsn.orcpt);
		buf_puts(&f->env, "\r\n");
	}
	return SMTPD_OK;
}

static int
f_write(void *ctx, const void *data, size_t len)
{
	struct fake *f = ctx;

	if (!f->begun)
		abort();
	if (strcmp(f->sink_mode, "write-fail") == 0)
		return -1;
	if (buf_append(&f->msg, data, len) == -1)
		return -1;
	return 0;
}

static enum smtpd_status
commit_now(struct fake *f)
{
	if (strcmp(f->sink_mode, "commit-temp") == 0)
		return SMTPD_TEMPFAIL;
	if (strcmp(f->sink_mode, "commit-perm") == 0)
		return SMTPD_PERMFAIL;
	buf_reset(&f->last_msg);
	buf_append(&f->last_msg, f->msg.data, f->msg.len);
	return SMTPD_OK;
}

static enum smtpd_status
f_commit(void *ctx)
{
	struct fake *f = ctx;

	if (!f->begun)
		abort();
	f->begun = false;
	if (f->async_commit)
		return SMTPD_PENDING;
	return commit_now(f);
}

static void
f_abort(void *ctx)
{
	struct fake *f = ctx;

	f->begun = false;
}

static void
f_event(void *ctx, enum smtpd_event ev, const char *detail)
{
	static const char *names[] = { "PROTOCOL", "PLAINTEXT_DISCARDED",
		"AUTH_OK", "AUTH_FAIL", "LIMIT", "REJECT", "QUEUED" };
	struct fake *f = ctx;

	buf_printf(&f->events, "%s %s\r\n", names[ev], detail);
}

static time_t
f_now(void *ctx)
{
	return 1700000000;
}

static const struct smtpd_ops fake_ops = {
	.rcpt_lookup = f_rcpt,
	.auth = f_auth,
	.space = f_space,
	.msg_begin = f_begin,
	.msg_write = f_write,
	.msg_commit = f_commit,
	.msg_abort = f_abort,
	.event = f_event,
	.now = f_now,
};

/* ---- driving the engine ---- */

static void
collect(struct run *r)
{
	size_t n;
	const char *o = smtpd_session_output(r->s, &n);

	if (buf_append(&r->replies, o, n) == -1)
		chat_fail(r, "too much unmatched output");
	smtpd_session_output_consume(r->s, n);
}

/* Pushes pending client bytes as far as the engine takes them. */
static void
flush(struct run *r)
{
	size_t off = 0;

	for (;;) {
		size_t want = r->pending.len - off, n;

		if (want == 0)
			break;
		if (r->random) {
			size_t k = 1 + (size_t)(rand_r(&r->random) % 64);

			if (want > k)
				want = k;
		} else if (r->bytewise)
			want = 1;
		n = smtpd_session_push(r->s, r->pending.data + off, want);
		collect(r);
		if (n == 0) {
			/* Engine full or waiting: only a drain can help. */
			n = smtpd_session_push(r->s, NULL, 0);
			collect(r);
			if (smtpd_session_waiting(r->s))
				break;
			continue;
		}
		off += n;
	}
	buf_consume(&r->pending, off);
	collect(r);
}

/* The next CRLF-terminated line of b from *off, or NULL. */
static char *
next_line(struct buf *b, size_t *off, char *tmp, size_t tmpsize)
{
	const char *p = b->data + *off, *e;
	size_t n;

	if (*off >= b->len)
		return NULL;
	e = memchr(p, '\n', b->len - *off);
	n = e ? (size_t)(e - p) : b->len - *off;
	*off += e ? n + 1 : n;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n >= tmpsize)
		n = tmpsize - 1;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	return tmp;
}

static void
expect_line(struct run *r, struct buf *b, size_t *off, const char *what,
    const char *want)
{
	char tmp[2048];
	const char *got = next_line(b, off, tmp, sizeof(tmp));

	if (r->verbose)
		printf("  %s %s\n", what, want);
	if (got == NULL)
		chat_fail(r, "%s: expected \"%s\", got nothing", what, want);
	else if (strcmp(got, want) != 0)
		chat_fail(r, "%s: expected \"%s\", got \"%s\"", what, want, got);
}

static void
expect_reply(struct run *r, const char *want)
{
	size_t off = 0;

	flush(r);
	expect_line(r, &r->replies, &off, "S:", want);
	buf_consume(&r->replies, off);
}

/* Events are searched forward: the ones in between are not checked. */
static void
expect_event(struct run *r, const char *want)
{
	char tmp[2048];
	const char *got;

	while ((got = next_line(&r->f.events, &r->voff, tmp, sizeof(tmp))))
		if (strcmp(got, want) == 0)
			return;
	chat_fail(r, "V: event \"%s\" not seen", want);
}

static void
check_drained(struct run *r)
{
	if (r->replies.len > 0)
		chat_fail(r, "unexpected reply: %.*s", (int)(strcspn(r->replies.data,
		    "\r\n")), r->replies.data);
}

static int
unescape(struct run *r, const char *s, struct buf *out)
{
	while (*s) {
		char c = *s++;

		if (c == '\\') {
			switch (*s++) {
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '0': c = '\0'; break;
			case '\\': c = '\\'; break;
			case 'x': {
				char hex[3] = { s[0], s[0] ? s[1] : 0, 0 };

				if (!isxdigit((unsigned char)hex[0]) ||
				    !isxdigit((unsigned char)hex[1])) {
					chat_fail(r, "bad \\x escape");
					return -1;
				}
				c = (char)strtol(hex, NULL, 16);
				s += 2;
				break;
			}
			default:
				chat_fail(r, "bad escape");
				return -1;
			}
		}
		buf_putc(out, c);
	}
	return 0;
}

static enum smtpd_status
status_arg(const char *a)
{
	if (a == NULL || *a == '\0' || strcmp(a, "ok") == 0)
		return SMTPD_OK;
	return strcmp(a, "temp") == 0 ? SMTPD_TEMPFAIL : SMTPD_PERMFAIL;
}

static void
bang(struct run *r, char *cmd)
{
	char *arg = strchr(cmd, ' ');

	if (arg)
		*arg++ = '\0';
	flush(r);
	if (strcmp(cmd, "greet") == 0)
		smtpd_session_greet(r->s);
	else if (strcmp(cmd, "tls") == 0) {
		if (!(smtpd_session_actions(r->s) & SMTPD_ACT_STARTTLS)) {
			chat_fail(r, "tls without STARTTLS action");
			return;
		}
		smtpd_session_tls_done(r->s, "TLSv1.3");
	} else if (strcmp(cmd, "rcpt-done") == 0) {
		enum smtpd_rcpt_kind k = r->f.rcpt_res;

		if (arg && strcmp(arg, "temp") == 0)
			k = SMTPD_RCPT_TEMPFAIL;
		smtpd_session_rcpt_done(r->s, k);
	} else if (strcmp(cmd, "auth-done") == 0)
		smtpd_session_auth_done(r->s, arg ? status_arg(arg) :
		    r->f.auth_res);
	else if (strcmp(cmd, "commit-done") == 0) {
		enum smtpd_status st = status_arg(arg);

		if (st == SMTPD_OK) {
			buf_reset(&r->f.last_msg);
			buf_append(&r->f.last_msg, r->f.msg.data, r->f.msg.len);
		}
		smtpd_session_commit_done(r->s, st);
	} else if (strcmp(cmd, "abort") == 0) {
		char *text = arg ? strchr(arg, ' ') : NULL;

		if (text)
			*text++ = '\0';
		smtpd_session_abort(r->s, arg ? arg : "4.3.2",
		    text ? text : "Service shutting down");
	} else {
		chat_fail(r, "unknown ! command %s", cmd);
		return;
	}
	collect(r);
	flush(r);
}

static void
check_actions(struct run *r, const char *want)
{
	unsigned a, w = 0;

	flush(r);
	a = smtpd_session_actions(r->s);
	if (strstr(want, "CLOSE"))
		w |= SMTPD_ACT_CLOSE;
	if (strstr(want, "STARTTLS"))
		w |= SMTPD_ACT_STARTTLS;
	if (a != w)
		chat_fail(r, "actions: expected %s, got %s%s%s", want,
		    a & SMTPD_ACT_CLOSE ? "CLOSE " : "",
		    a & SMTPD_ACT_STARTTLS ? "STARTTLS " : "", a ? "" : "NONE");
}

static void
setting(struct run *r, struct smtpd_settings *set, char *kv, bool *greet,
    bool *skip)
{
	char *v = strchr(kv, '=');

	if (v == NULL) {
		chat_fail(r, "bad setting %s", kv);
		return;
	}
	*v++ = '\0';
	if (strcmp(kv, "listener") == 0)
		set->listener = strcmp(v, "submission") == 0 ?
		    SMTPD_LISTENER_SUBMISSION : strcmp(v, "submissions") == 0 ?
		    SMTPD_LISTENER_SUBMISSIONS : SMTPD_LISTENER_MTA;
	else if (strcmp(kv, "tls") == 0) {
		set->tls_available = strcmp(v, "available") == 0;
		set->tls_active = strcmp(v, "active") == 0;
	} else if (strcmp(kv, "plaintext") == 0)
		set->plaintext_auth = strcmp(v, "yes") == 0;
	else if (strcmp(kv, "max") == 0)
		set->max_message_size = strtoull(v, NULL, 10);
	else if (strcmp(kv, "peer") == 0) {
		snprintf(r->peer, sizeof(r->peer), "%s", v);
		set->peer_addr = r->peer;
	} else if (strcmp(kv, "peername") == 0) {
		snprintf(r->peername, sizeof(r->peername), "%s", v);
		set->peer_name = r->peername;
	}
	else if (strcmp(kv, "relay") == 0)
		set->peer_relay = strcmp(v, "yes") == 0;
	else if (strcmp(kv, "errors") == 0)
		set->error_limit = (unsigned)atoi(v);
	else if (strcmp(kv, "junk") == 0)
		set->junk_limit = (unsigned)atoi(v);
	else if (strcmp(kv, "rcpts") == 0)
		set->rcpt_limit = (unsigned)atoi(v);
	else if (strcmp(kv, "greet") == 0)
		*greet = strcmp(v, "no") != 0;
	else if (strcmp(kv, "bytewise") == 0)
		*skip = strcmp(v, "no") == 0 && r->bytewise;
	else if (strcmp(kv, "async") == 0) {
		r->f.async_rcpt = strstr(v, "rcpt") != NULL;
		r->f.async_auth = strstr(v, "auth") != NULL;
		r->f.async_commit = strstr(v, "commit") != NULL;
	} else if (strcmp(kv, "disk") == 0)
		r->f.disk_full = strcmp(v, "full") == 0;
	else if (strcmp(kv, "sink") == 0)
		snprintf(r->f.sink_mode, sizeof(r->f.sink_mode), "%s", v);
	else
		chat_fail(r, "unknown setting %s", kv);
}

static void
fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->msg, 1 << 24);
	buf_init(&f->last_msg, 1 << 24);
	buf_init(&f->env, 1 << 16);
	buf_init(&f->events, 1 << 20);
}

static void
fake_free(struct fake *f)
{
	buf_free(&f->msg);
	buf_free(&f->last_msg);
	buf_free(&f->env);
	buf_free(&f->events);
}

/* Runs one transcript; returns 0 when it passed (or was skipped). */
static int
run_file(const char *file, bool bytewise, unsigned seed, bool verbose)
{
	struct smtpd_settings set = { .hostname = "mx.example.org",
		.peer_addr = "192.0.2.1" };
	struct run r = { .file = file, .bytewise = bytewise || seed,
		.random = seed, .verbose = verbose };
	bool greet = true, skip = false, started = false;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;

	if ((fp = fopen(file, "r")) == NULL) {
		perror(file);
		return 1;
	}
	fake_init(&r.f);
	buf_init(&r.pending, 1 << 24);
	buf_init(&r.replies, 1 << 24);
	while (!r.failed && (n = getline(&line, &cap, fp)) != -1) {
		char *rest;

		r.lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (line[0] == '@') {
			char *tok, *save = NULL;

			if (started) {
				chat_fail(&r, "settings after the start");
				break;
			}
			for (tok = strtok_r(line + 1, " ", &save); tok;
			    tok = strtok_r(NULL, " ", &save))
				setting(&r, &set, tok, &greet, &skip);
			if (skip)
				break;
			continue;
		}
		if (!started) {
			r.s = smtpd_session_new(&set, &fake_ops, &r.f);
			if (greet)
				smtpd_session_greet(r.s);
			collect(&r);
			started = true;
		}
		rest = n > 3 ? line + 3 : line + n;
		if (strncmp(line, "C: ", 3) == 0 || strcmp(line, "C:") == 0) {
			check_drained(&r);
			buf_puts(&r.pending, rest);
			buf_puts(&r.pending, "\r\n");
		} else if (strncmp(line, "R: ", 3) == 0) {
			check_drained(&r);
			unescape(&r, rest, &r.pending);
		} else if (strncmp(line, "X: ", 3) == 0) {
			char *text;
			long count = strtol(rest, &text, 10), i;

			check_drained(&r);
			if (*text == ' ')
				text++;
			for (i = 0; i < count && !r.failed; i++)
				unescape(&r, text, &r.pending);
		} else if (strncmp(line, "S: ", 3) == 0 || strcmp(line, "S:") == 0)
			expect_reply(&r, rest);
		else if (strncmp(line, "S* ", 3) == 0) {
			char *text;
			long count = strtol(rest, &text, 10), i;

			if (*text == ' ')
				text++;
			for (i = 0; i < count && !r.failed; i++)
				expect_reply(&r, text);
		} else if (strncmp(line, "A: ", 3) == 0)
			check_actions(&r, rest);
		else if (line[0] == '!')
			bang(&r, line + 1 + (line[1] == ' '));
		else if (strncmp(line, "M: ", 3) == 0 || strcmp(line, "M:") == 0) {
			flush(&r);
			expect_line(&r, &r.f.last_msg, &r.moff, "M:", rest);
		} else if (strncmp(line, "E: ", 3) == 0) {
			flush(&r);
			expect_line(&r, &r.f.env, &r.eoff, "E:", rest);
		} else if (strncmp(line, "V: ", 3) == 0) {
			flush(&r);
			expect_event(&r, rest);
		} else
			chat_fail(&r, "unknown line: %s", line);
		/* A run of M: (E:) lines reads the message (envelope) from
		 * its first line. */
		if (line[0] != 'M')
			r.moff = 0;
		if (line[0] != 'E')
			r.eoff = 0;
	}
	if (started && !r.failed) {
		r.lineno++;
		flush(&r);
		check_drained(&r);
	}
	if (r.s != NULL)
		smtpd_session_free(&r.s);
	free(line);
	fclose(fp);
	buf_free(&r.pending);
	buf_free(&r.replies);
	fake_free(&r.f);
	if (!r.failed && verbose)
		printf("ok %s (%s)%s\n", file, bytewise ? "bytewise" : "whole",
		    skip ? " skipped" : "");
	return r.failed ? 1 : 0;
}

#ifndef SMTPCHAT_NO_MAIN
int
main(int argc, char **argv)
{
	bool bytewise = false, verbose = false;
	unsigned seed = 0;
	int i, bad = 0, n = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-b") == 0)
			bytewise = true;
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			seed = (unsigned)strtoul(argv[++i], NULL, 10) | 1;
		else if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else {
			fprintf(stderr,
			    "usage: smtpchat [-b] [-r SEED] [-v] FILE...\n");
			return 2;
		}
	}
	for (; i < argc; i++, n++)
		bad += run_file(argv[i], bytewise, seed, verbose);
	printf("smtpchat: %d passed, %d failed\n", n - bad, bad);
	return bad ? 1 : 0;
}
#endif
