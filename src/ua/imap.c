/*
 * imap.c: blocking IMAP client session for `postern` (RFC 3501).
 * STARTTLS hardening: with TLS required, a PREAUTH greeting in clear, a
 * missing STARTTLS capability, or bytes queued behind the STARTTLS reply
 * end the session before any password is sent.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/sasl.h"
#include "lib/scram.h"
#include "lib/util.h"
#include "mime/codec.h"
#include "ua/conn.h"
#include "ua/imap.h"
#include "mime/mutf7.h"
#include "ua/ua.h"

struct ua_imap {
	struct ua_conn		*conn;
	unsigned		 tagn;
	char			*caps;		/* " CAP1 CAP2 " uppercased */
	char			 delim;
	struct ua_imap_resp	*resps;
	size_t			 nresps, cap;
	struct buf		 line, text;
	int			 progress_fd;	/* -1: no reports */
	char			 err[1024];
};

static void
seterr(struct ua_imap *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

static void
clear_resps(struct ua_imap *s)
{
	size_t i;

	for (i = 0; i < s->nresps; i++)
		ua_imap_resp_free(&s->resps[i]);
	s->nresps = 0;
}

/*
 * Reads a literal of n bytes into s->text; a large one in steps, with a
 * "progress DONE TOTAL" line after each on the progress descriptor (the
 * terminal interface's status line). A failed report is ignored.
 */
static int
read_literal(struct ua_imap *s, size_t n)
{
	size_t done = 0, step;

	if (s->progress_fd < 0 || n < UA_IMAP_PROGRESS_STEP)
		return ua_conn_read(s->conn, n, &s->text);
	while (done < n) {
		step = n - done < UA_IMAP_PROGRESS_STEP ? n - done :
		    UA_IMAP_PROGRESS_STEP;
		if (ua_conn_read(s->conn, step, &s->text) == -1)
			return -1;
		done += step;
		(void)dprintf(s->progress_fd, "progress %zu %zu\n", done, n);
	}
	return 0;
}

void
ua_imap_set_progress(struct ua_imap *s, int fd)
{
	s->progress_fd = fd;
}

/* Reads one whole response (line + literals). 0, or -1. */
static int
read_resp(struct ua_imap *s, struct ua_imap_resp *r)
{
	const char *es = "bad response";
	size_t n, suf;

	buf_reset(&s->text);
	for (;;) {
		if (ua_conn_readline(s->conn, &s->line, UA_IMAP_LINE_MAX)
		    == -1) {
			seterr(s, "imap: %s", ua_conn_error(s->conn));
			return -1;
		}
		if (buf_append(&s->text, s->line.data, s->line.len) == -1)
			goto big;
		suf = ua_imap_literal_suffix(s->line.data, s->line.len, &n);
		if (suf == 0)
			break;
		if (buf_puts(&s->text, "\r\n") == -1 ||
		    n > s->text.max - s->text.len)
			goto big;
		if (read_literal(s, n) == -1) {
			seterr(s, "imap: %s", ua_conn_error(s->conn));
			return -1;
		}
	}
	if (ua_imap_resp_parse(s->text.data ? s->text.data : "", s->text.len,
	    r, &es) == -1) {
		seterr(s, "imap: %s: %.80s", es, buf_cstr(&s->text));
		ua_imap_resp_free(r);
		return -1;
	}
	return 0;
big:
	seterr(s, "imap: response too large");
	return -1;
}

static void
note_caps(struct ua_imap *s, const char *text, size_t len)
{
	size_t i;

	free(s->caps);
	s->caps = xmalloc(len + 3);
	s->caps[0] = ' ';
	for (i = 0; i < len; i++)
		s->caps[i + 1] = (char)toupper((unsigned char)text[i]);
	s->caps[len + 1] = ' ';
	s->caps[len + 2] = '\0';
}

/* Remembers CAPABILITY data from an untagged response or a code. */
static void
scan_caps(struct ua_imap *s, const struct ua_imap_resp *r)
{
	const struct ua_imap_node *root = ua_imap_node(r, 0), *first;

	if (r->code != NULL && strncasecmp(r->code, "CAPABILITY ", 11) == 0)
		note_caps(s, r->code + 11, strlen(r->code + 11));
	if (r->status == NULL && root != NULL &&
	    (first = ua_imap_child(r, root, 0)) != NULL &&
	    ua_imap_node_is(first, "CAPABILITY")) {
		const struct ua_imap_node *last = ua_imap_child(r, root,
		    root->n - 1);
		note_caps(s, first->s + first->len + 1,
		    (size_t)(last->s + last->len - first->s) - first->len - 1);
	}
}

static int wait_tagged(struct ua_imap *, const char *);

int
ua_imap_cmd(struct ua_imap *s, const char *fmt, ...)
{
	struct buf cmd;
	va_list ap;
	char tag[16];
	int rc;

	clear_resps(s);
	snprintf(tag, sizeof(tag), "A%u", ++s->tagn);
	buf_init(&cmd, UA_IMAP_LINE_MAX);
	buf_printf(&cmd, "%s ", tag);
	va_start(ap, fmt);
	rc = buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = buf_puts(&cmd, "\r\n");
	if (rc == 0 && (rc = ua_conn_write(s->conn, cmd.data, cmd.len)) == -1)
		seterr(s, "imap: %s", ua_conn_error(s->conn));
	else if (rc == -1)
		seterr(s, "imap: command too long");
	buf_free(&cmd);
	if (rc == -1)
		return -1;
	return wait_tagged(s, tag);
}

int
ua_imap_append(struct ua_imap *s, const char *mailbox_arg, const char *flags,
    const char *msg, size_t len)
{
	struct ua_imap_resp r;
	char tag[16];

	clear_resps(s);
	snprintf(tag, sizeof(tag), "A%u", ++s->tagn);
	/* RFC 3501 §6.3.11, a synchronizing literal (§7.5): the message
	 * goes only after the server's "+" */
	if (ua_conn_printf(s->conn, "%s APPEND %s (%s) {%zu}\r\n", tag,
	    mailbox_arg, flags, len) == -1) {
		seterr(s, "imap: %s", ua_conn_error(s->conn));
		return -1;
	}
	for (;;) {
		if (read_resp(s, &r) == -1)
			return -1;
		if (r.kind == UA_IMAP_CONT)
			break;
		if (r.kind == UA_IMAP_TAGGED) {
			seterr(s, "imap: %s %s", r.status ? r.status : "?",
			    r.text ? r.text : "");
			ua_imap_resp_free(&r);
			return -1;
		}
		ua_imap_resp_free(&r);
	}
	ua_imap_resp_free(&r);
	if (ua_conn_write(s->conn, msg, len) == -1 ||
	    ua_conn_write(s->conn, "\r\n", 2) == -1) {
		seterr(s, "imap: %s", ua_conn_error(s->conn));
		return -1;
	}
	return wait_tagged(s, tag);
}

/* Reads responses up to the tagged reply to tag: 0 for OK, else -1. */
static int
wait_tagged(struct ua_imap *s, const char *tag)
{
	struct ua_imap_resp r;
	int rc;

	for (;;) {
		if (read_resp(s, &r) == -1)
			return -1;
		scan_caps(s, &r);
		if (r.kind == UA_IMAP_TAGGED && strcmp(r.tag, tag) == 0)
			break;
		if (r.kind == UA_IMAP_UNTAGGED && r.status != NULL &&
		    strcmp(r.status, "BYE") == 0) {
			seterr(s, "imap: server closed: %s", r.text);
			ua_imap_resp_free(&r);
			return -1;
		}
		if (r.kind != UA_IMAP_UNTAGGED) {
			/* A continuation or another tag: we sent neither. */
			ua_imap_resp_free(&r);
			continue;
		}
		if (s->nresps == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 16;
			s->resps = xreallocarray(s->resps, s->cap,
			    sizeof(*s->resps));
		}
		s->resps[s->nresps++] = r;
	}
	rc = strcmp(r.status ? r.status : "", "OK") == 0 ? 0 : -1;
	if (rc == -1)
		seterr(s, "imap: %s %s", r.status ? r.status : "?", r.text ?
		    r.text : "");
	ua_imap_resp_free(&r);
	return rc;
}

static int
is_exists(const struct ua_imap_resp *r)
{
	const struct ua_imap_node *root = ua_imap_node(r, 0);

	return r->kind == UA_IMAP_UNTAGGED && r->status == NULL &&
	    ua_imap_node_is(ua_imap_child(r, root, 1), "EXISTS");
}

int
ua_imap_idle(struct ua_imap *s, int seconds)
{
	struct ua_imap_resp r;
	char tag[16];
	int got = 0, w, rc = 0;
	time_t deadline;

	/* RFC 2177 §3: leave IDLE at least every 29 minutes. */
	if (seconds > UA_IMAP_IDLE_MAX_S)
		seconds = UA_IMAP_IDLE_MAX_S;
	clear_resps(s);
	snprintf(tag, sizeof(tag), "A%u", ++s->tagn);
	if (ua_conn_printf(s->conn, "%s IDLE\r\n", tag) == -1) {
		seterr(s, "imap: %s", ua_conn_error(s->conn));
		return -1;
	}
	/* Wait for "+ idling" (untagged data may come first). */
	for (;;) {
		if (read_resp(s, &r) == -1)
			return -1;
		if (r.kind == UA_IMAP_CONT)
			break;
		if (r.kind == UA_IMAP_TAGGED) {
			seterr(s, "imap: IDLE: %s %s", r.status ? r.status :
			    "?", r.text ? r.text : "");
			ua_imap_resp_free(&r);
			return -1;
		}
		got |= is_exists(&r);
		ua_imap_resp_free(&r);
	}
	ua_imap_resp_free(&r);
	/* §3: the server sends untagged updates while we idle, and maybe
	 * keepalives: the deadline stays fixed. */
	deadline = time(NULL) + seconds;
	while (!got) {
		time_t left = deadline - time(NULL);
		if (left <= 0)
			break;
		if ((w = ua_conn_wait(s->conn, (int)left * 1000)) <= 0) {
			if (w == -1)
				rc = -1;
			break;
		}
		if (read_resp(s, &r) == -1)
			return -1;
		got |= is_exists(&r);
		ua_imap_resp_free(&r);
	}
	if (ua_conn_printf(s->conn, "DONE\r\n") == -1) {
		seterr(s, "imap: %s", ua_conn_error(s->conn));
		return -1;
	}
	for (;;) {
		if (read_resp(s, &r) == -1)
			return -1;
		if (r.kind == UA_IMAP_TAGGED && strcmp(r.tag, tag) == 0) {
			if (strcmp(r.status ? r.status : "", "OK") != 0) {
				seterr(s, "imap: IDLE: %s", r.text ? r.text :
				    "");
				rc = -1;
			}
			ua_imap_resp_free(&r);
			break;
		}
		got |= is_exists(&r);
		ua_imap_resp_free(&r);
	}
	return rc == -1 ? -1 : got;
}

size_t
ua_imap_nresp(const struct ua_imap *s)
{
	return s->nresps;
}

const struct ua_imap_resp *
ua_imap_resp_at(const struct ua_imap *s, size_t i)
{
	return i < s->nresps ? &s->resps[i] : NULL;
}

const char *
ua_imap_error(const struct ua_imap *s)
{
	return s->err;
}

int
ua_imap_has_cap(const struct ua_imap *s, const char *cap)
{
	char want[64];

	if (s->caps == NULL)
		return 0;
	snprintf(want, sizeof(want), " %s ", cap);
	return strcasestr(s->caps, want) != NULL;
}

int
ua_imap_quote(const char *str, struct buf *out)
{
	int rc = buf_putc(out, '"');

	for (; *str != '\0' && rc == 0; str++) {
		if (*str == '"' || *str == '\\')
			rc = buf_putc(out, '\\');
		if (rc == 0)
			rc = buf_putc(out, *str);
	}
	return rc == 0 ? buf_putc(out, '"') : -1;
}

char
ua_imap_delimiter(const struct ua_imap *s)
{
	return s->delim;
}

int
ua_imap_mailbox_arg(struct ua_imap *s, const char *folder, struct buf *out)
{
	char *name = xstrdup(folder ? folder : "INBOX"), *p;
	struct buf enc;
	int rc;

	if (s->delim != '\0' && s->delim != '/')
		for (p = name; *p; p++)
			if (*p == '/')
				*p = s->delim;
	/* RFC 3501 §5.1.3: non-ASCII names travel in modified UTF-7. */
	buf_init(&enc, 4 * strlen(name) + 16);
	rc = mime_mutf7_encode(name, strlen(name), &enc);
	if (rc == 0)
		rc = ua_imap_quote(buf_cstr(&enc), out);
	buf_free(&enc);
	free(name);
	return rc;
}

int
ua_imap_select(struct ua_imap *s, const char *folder, int readonly,
    size_t *exists_out)
{
	struct buf mb;
	size_t i;
	int rc;

	buf_init(&mb, 4096);
	if (ua_imap_mailbox_arg(s, folder, &mb) == -1) {
		buf_free(&mb);
		seterr(s, "folder name too long");
		return -1;
	}
	rc = ua_imap_cmd(s, "%s %s", readonly ? "EXAMINE" : "SELECT",
	    buf_cstr(&mb));
	buf_free(&mb);
	*exists_out = 0;
	for (i = 0; rc == 0 && i < s->nresps; i++) {
		const struct ua_imap_resp *r = &s->resps[i];
		const struct ua_imap_node *root = ua_imap_node(r, 0);
		const struct ua_imap_node *n0 = ua_imap_child(r, root, 0);
		const struct ua_imap_node *n1 = ua_imap_child(r, root, 1);

		if (n0 != NULL && ua_imap_node_is(n1, "EXISTS"))
			*exists_out = strtoul(n0->s, NULL, 10);
	}
	return rc;
}

int
ua_imap_fetch_resp(const struct ua_imap_resp *r, size_t *num_out,
    const struct ua_imap_node **list_out)
{
	const struct ua_imap_node *root = ua_imap_node(r, 0), *n0, *n1, *l;

	if (r->status != NULL || root == NULL)
		return 0;
	n0 = ua_imap_child(r, root, 0);
	n1 = ua_imap_child(r, root, 1);
	l = ua_imap_child(r, root, 2);
	if (n0 == NULL || n0->type != UA_IMAP_ATOM ||
	    !ua_imap_node_is(n1, "FETCH") || l == NULL ||
	    l->type != UA_IMAP_LIST)
		return 0;
	*num_out = strtoul(n0->s, NULL, 10);
	*list_out = l;
	return 1;
}

/* True when s can travel as an IMAP quoted string (RFC 3501 §9). */
static int
quotable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80 || *s == '\r' || *s == '\n')
			return 0;
	return 1;
}

/*
 * AUTHENTICATE PLAIN (RFC 4959 §3 without SASL-IR: wait for "+"), for
 * credentials a quoted string cannot carry, or when LOGIN is disabled.
 */
static int
auth_plain(struct ua_imap *s, const char *user, const char *pw)
{
	struct ua_imap_resp r;
	struct buf cred, enc;
	char tag[16];
	int rc = -1;

	snprintf(tag, sizeof(tag), "A%u", ++s->tagn);
	if (ua_conn_printf(s->conn, "%s AUTHENTICATE PLAIN\r\n", tag) == -1) {
		seterr(s, "imap: %s", ua_conn_error(s->conn));
		return -1;
	}
	if (read_resp(s, &r) == -1)
		return -1;
	if (r.kind != UA_IMAP_CONT) {
		seterr(s, "imap: AUTHENTICATE: %s %s", r.status ? r.status :
		    "?", r.text ? r.text : "");
		ua_imap_resp_free(&r);
		return -1;
	}
	ua_imap_resp_free(&r);
	buf_init(&cred, 4096);
	buf_init(&enc, 8192);
	buf_putc(&cred, '\0');
	buf_puts(&cred, user);
	buf_putc(&cred, '\0');
	if (buf_puts(&cred, pw) == 0 &&
	    mime_b64_encode(cred.data, cred.len, 0, &enc) == 0 &&
	    buf_puts(&enc, "\r\n") == 0 &&
	    ua_conn_write(s->conn, enc.data, enc.len) == 0)
		rc = 0;
	else
		seterr(s, "imap: AUTHENTICATE: %s", ua_conn_error(s->conn));
	explicit_bzero(cred.data, cred.len);
	explicit_bzero(enc.data ? enc.data : "", enc.len);
	buf_free(&cred);
	buf_free(&enc);
	while (rc == 0) {
		if (read_resp(s, &r) == -1)
			return -1;
		if (r.kind == UA_IMAP_TAGGED && strcmp(r.tag, tag) == 0) {
			scan_caps(s, &r);
			if (strcmp(r.status ? r.status : "", "OK") != 0) {
				seterr(s, "imap: %s %s", r.status ? r.status :
				    "?", r.text ? r.text : "");
				rc = -1;
			}
			ua_imap_resp_free(&r);
			break;
		}
		ua_imap_resp_free(&r);
	}
	return rc;
}

/* Sends msg base64 on a line of its own (a SASL response). */
static int
send_b64(struct ua_imap *s, const char *msg, size_t len)
{
	char enc[SCRAM_MSG_MAX * 2 + 3];
	long n = sasl_base64_encode(msg, len, enc, sizeof(enc) - 2);

	if (n < 0)
		return -1;
	memcpy(enc + n, "\r\n", 2);
	return ua_conn_write(s->conn, enc, (size_t)n + 2);
}

/*
 * The next response, which should be a "+ base64" continuation, decoded
 * into dec. Its length; -1 when it is something else (the tagged reply,
 * say: *r holds it; -1 with r->kind UA_IMAP_CONT is bad base64); -2 on a
 * read error (nothing to free). Free *r unless -2.
 */
static long
read_cont(struct ua_imap *s, struct ua_imap_resp *r, char *dec,
    size_t decsize)
{
	if (read_resp(s, r) == -1)
		return -2;
	if (r->kind != UA_IMAP_CONT)
		return -1;
	return sasl_base64_decode(r->text, strlen(r->text), dec, decsize);
}

/* After a response that was not the continuation wanted: 1 for the
 * command's tagged NO (another mechanism may do), else -1. */
static int
scram_refused(struct ua_imap *s, struct ua_imap_resp *r, const char *tag)
{
	int rc = r->kind == UA_IMAP_TAGGED && strcmp(r->tag, tag) == 0 &&
	    strcmp(r->status ? r->status : "", "NO") == 0 ? 1 : -1;

	seterr(s, "imap: AUTHENTICATE " SCRAM_MECH ": %s %s",
	    r->status ? r->status : "?", r->text ? r->text : "bad response");
	ua_imap_resp_free(r);
	return rc;
}

/*
 * AUTHENTICATE SCRAM-SHA-256 (RFC 5802, RFC 7677), the client-first
 * message as SASL-IR (RFC 4959) when offered. 0 logged in; 1 the server
 * said NO (the caller may try another mechanism: the account may predate
 * the server's SCRAM credentials); -1 failed, including a server whose
 * signature does not verify.
 */
static int
auth_scram(struct ua_imap *s, struct scram_client *sc)
{
	char m[SCRAM_MSG_MAX + 1], dec[SCRAM_MSG_MAX + 1], tag[16];
	char enc[SCRAM_MSG_MAX * 2];
	const char *err = "malformed challenge";
	struct ua_imap_resp r;
	long n, k;
	int rc;

	snprintf(tag, sizeof(tag), "A%u", ++s->tagn);
	if ((n = scram_client_first(sc, m, sizeof(m))) < 0 ||
	    sasl_base64_encode(m, (size_t)n, enc, sizeof(enc)) < 0)
		return -1;
	if (ua_imap_has_cap(s, "SASL-IR")) {
		if (ua_conn_printf(s->conn, "%s AUTHENTICATE " SCRAM_MECH
		    " %s\r\n", tag, enc) == -1)
			goto ioerr;
	} else {
		if (ua_conn_printf(s->conn, "%s AUTHENTICATE " SCRAM_MECH
		    "\r\n", tag) == -1)
			goto ioerr;
		if ((k = read_cont(s, &r, dec, sizeof(dec))) == -2)
			return -1;
		if (k != 0)
			return scram_refused(s, &r, tag);
		ua_imap_resp_free(&r);
		if (send_b64(s, m, (size_t)n) == -1)
			goto ioerr;
	}
	/* server-first -> client-final */
	if ((n = read_cont(s, &r, dec, sizeof(dec))) == -2)
		return -1;
	if (n < 0)
		return scram_refused(s, &r, tag);
	ua_imap_resp_free(&r);
	if ((k = scram_client_final(sc, dec, (size_t)n, m, sizeof(m),
	    &err)) < 0)
		goto cancel;
	if (send_b64(s, m, (size_t)k) == -1)
		goto ioerr;
	/* server-final as a continuation, or a tagged NO */
	if ((n = read_cont(s, &r, dec, sizeof(dec))) == -2)
		return -1;
	if (n < 0)
		return scram_refused(s, &r, tag);
	ua_imap_resp_free(&r);
	if (scram_client_verify(sc, dec, (size_t)n, &err) == -1)
		goto cancel;
	if (ua_conn_write(s->conn, "\r\n", 2) == -1)
		goto ioerr;
	for (;;) {
		if (read_resp(s, &r) == -1)
			return -1;
		if (r.kind == UA_IMAP_TAGGED && strcmp(r.tag, tag) == 0)
			break;
		ua_imap_resp_free(&r);
	}
	scan_caps(s, &r);
	rc = 0;
	if (strcmp(r.status ? r.status : "", "OK") != 0) {
		seterr(s, "imap: %s %s", r.status ? r.status : "?",
		    r.text ? r.text : "");
		rc = -1;
	}
	ua_imap_resp_free(&r);
	return rc;
cancel:
	/* RFC 3501 §6.2.2: "*" cancels. A server that cannot prove it
	 * knows our credentials is not logged in to. */
	(void)ua_conn_write(s->conn, "*\r\n", 3);
	seterr(s, "imap: AUTHENTICATE " SCRAM_MECH ": %s", err);
	return -1;
ioerr:
	seterr(s, "imap: %s", ua_conn_error(s->conn));
	return -1;
}

static int
login(struct ua_imap *s, struct ua_account *a)
{
	struct buf cmd;
	const char *pw;
	char perr[256];
	int rc;

	if (a->user == NULL) {
		seterr(s, "imap: no user: set user in the config or --user");
		return -1;
	}
	if ((pw = ua_account_password(a, perr, sizeof(perr))) == NULL) {
		seterr(s, "%s", perr);
		return -1;
	}
	/* SCRAM-SHA-256 first: the password stays here and the server
	 * proves itself. Credentials our SASLprep refuses use the rest. */
	if (ua_imap_has_cap(s, "AUTH=" SCRAM_MECH)) {
		const char *err;
		struct scram_client *sc = scram_client_new(a->user, pw, NULL,
		    &err);

		if (sc != NULL) {
			rc = auth_scram(s, sc);
			scram_client_free(&sc);
			if (rc != 1)
				return rc;
		}
	}
	if (ua_imap_has_cap(s, "LOGINDISABLED") || !quotable(a->user) ||
	    !quotable(pw)) {
		if (ua_imap_has_cap(s, "AUTH=PLAIN"))
			return auth_plain(s, a->user, pw);
		seterr(s, "imap: %s", ua_imap_has_cap(s, "LOGINDISABLED") ?
		    (ua_conn_is_tls(s->conn) ? "the server disables LOGIN" :
		    "the server disables LOGIN without TLS (use --starttls "
		    "or --tls)") : "the password needs AUTH=PLAIN, which "
		    "the server does not offer");
		return -1;
	}
	buf_init(&cmd, 8192);
	ua_imap_quote(a->user, &cmd);
	buf_putc(&cmd, ' ');
	ua_imap_quote(pw, &cmd);
	rc = ua_imap_cmd(s, "LOGIN %s", buf_cstr(&cmd));
	explicit_bzero(cmd.data, cmd.len);
	buf_free(&cmd);
	return rc;
}

static int
session_start(struct ua_imap *s, struct ua_account *a, const char *host,
    enum ua_tls tls)
{
	struct ua_tls_opts o = { !a->insecure, a->ca_file, host };
	struct ua_imap_resp g;
	int preauth;
	size_t i;

	if (tls == UA_TLS_IMPLICIT && ua_conn_start_tls(s->conn, &o) == -1) {
		seterr(s, "imap: %s", ua_conn_error(s->conn));
		return -1;
	}
	if (read_resp(s, &g) == -1)
		return -1;
	if (g.kind != UA_IMAP_UNTAGGED || g.status == NULL ||
	    strcmp(g.status, "BYE") == 0 || (strcmp(g.status, "OK") != 0 &&
	    strcmp(g.status, "PREAUTH") != 0)) {
		seterr(s, "imap: bad greeting: %s", g.text ? g.text : "");
		ua_imap_resp_free(&g);
		return -1;
	}
	preauth = strcmp(g.status, "PREAUTH") == 0;
	ua_imap_resp_free(&g);
	if (tls == UA_TLS_STARTTLS && preauth) {
		/* RFC 3501 §6.2.1: no STARTTLS after PREAUTH. */
		seterr(s, "imap: PREAUTH greeting in clear while TLS is "
		    "required: giving up");
		return -1;
	}
	if (ua_imap_cmd(s, "CAPABILITY") == -1)
		return -1;
	if (tls == UA_TLS_STARTTLS) {
		if (!ua_imap_has_cap(s, "STARTTLS")) {
			seterr(s, "imap: STARTTLS required but not offered "
			    "by %s", host);
			return -1;
		}
		if (ua_imap_cmd(s, "STARTTLS") == -1)
			return -1;
		if (ua_conn_start_tls(s->conn, &o) == -1) {
			seterr(s, "imap: %s", ua_conn_error(s->conn));
			return -1;
		}
		/* §6.2.1: capabilities learnt in clear are forgotten. */
		free(s->caps);
		s->caps = NULL;
		if (ua_imap_cmd(s, "CAPABILITY") == -1)
			return -1;
	}
	if (!preauth && login(s, a) == -1)
		return -1;
	if (ua_imap_cmd(s, "LIST \"\" \"\"") == 0)
		for (i = 0; i < s->nresps; i++) {
			const struct ua_imap_resp *r = &s->resps[i];
			const struct ua_imap_node *root = ua_imap_node(r, 0);
			const struct ua_imap_node *d = ua_imap_child(r, root,
			    2);
			if (ua_imap_node_is(ua_imap_child(r, root, 0),
			    "LIST") && d != NULL && d->type ==
			    UA_IMAP_STRING && d->len == 1)
				s->delim = d->s[0];
		}
	return 0;
}

struct ua_imap *
ua_imap_open(struct ua_account *a, char *err, size_t errlen)
{
	struct ua_imap *s;
	char host[256], port[16];
	enum ua_tls tls;

	if (ua_account_endpoint(a, UA_SVC_IMAP, host, sizeof(host), port,
	    sizeof(port), &tls, err, errlen) == -1)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->progress_fd = -1;
	buf_init(&s->line, UA_IMAP_LINE_MAX);
	buf_init(&s->text, UA_MSG_MAX + UA_IMAP_LINE_MAX);
	if ((s->conn = ua_conn_open(host, port, err, errlen)) == NULL) {
		char tmp[UA_CONN_ERR_MAX];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "imap: %s:%s: %s", host, port, tmp);
		ua_imap_close(&s);
		return NULL;
	}
	if (session_start(s, a, host, tls) == -1) {
		snprintf(err, errlen, "%s", s->err);
		ua_conn_close(&s->conn);
		ua_imap_close(&s);
		return NULL;
	}
	return s;
}

void
ua_imap_close(struct ua_imap **sp)
{
	struct ua_imap *s = *sp;

	if (s == NULL)
		return;
	if (s->conn != NULL)
		(void)ua_imap_cmd(s, "LOGOUT");
	clear_resps(s);
	free(s->resps);
	free(s->caps);
	buf_free(&s->line);
	buf_free(&s->text);
	ua_conn_close(&s->conn);
	free(s);
	*sp = NULL;
}
