/*
 * smtp.c: blocking message submission for `postern send` and `flush`
 * (RFC 6409 over RFC 5321, STARTTLS RFC 3207, AUTH RFC 4954). Reads one
 * reply per command; no pipelining, which keeps STARTTLS simple: nothing
 * may follow the 220 to STARTTLS in clear (conn.c refuses it).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "mime/codec.h"
#include "ua/conn.h"
#include "ua/smtp.h"

struct smtp {
	struct ua_conn	*conn;
	struct buf	 line;
	struct buf	 text;		/* the whole last reply */
	int		 code;
	int		 starttls, auth_plain, auth_login;
	char		*err;
	size_t		 errlen;
};

/* Reads a whole (multi-line) reply. 0, or -1 with err set. */
static int
reply(struct smtp *s)
{
	int code, last = 0, n = 0, first = -1;

	buf_reset(&s->text);
	while (!last) {
		if (ua_conn_readline(s->conn, &s->line, UA_SMTP_LINE_MAX)
		    == -1) {
			snprintf(s->err, s->errlen, "smtp: %s",
			    ua_conn_error(s->conn));
			return -1;
		}
		if (ua_smtp_reply_line(s->line.data, s->line.len, &code,
		    &last) == -1 || (first != -1 && code != first) ||
		    ++n > UA_SMTP_REPLY_LINES_MAX) {
			snprintf(s->err, s->errlen, "smtp: bad reply: %.100s",
			    buf_cstr(&s->line));
			return -1;
		}
		first = code;
		if (s->text.len > 0)
			buf_putc(&s->text, '\n');
		buf_append(&s->text, s->line.data, s->line.len);
	}
	s->code = code;
	return 0;
}

static int
command(struct smtp *s, const char *what, const char *fmt, const char *arg)
{
	if (ua_conn_printf(s->conn, fmt, arg) == -1) {
		snprintf(s->err, s->errlen, "smtp: %s: %s", what,
		    ua_conn_error(s->conn));
		return -1;
	}
	return reply(s);
}

static void
ehlo_caps(struct smtp *s)
{
	const char *p = buf_cstr(&s->text);

	s->starttls = s->auth_plain = s->auth_login = 0;
	while (p != NULL && *p != '\0') {
		const char *kw = p + 4, *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - kw) : strlen(kw);

		if (strlen(p) > 4) {
			if (n == 8 && strncasecmp(kw, "STARTTLS", 8) == 0)
				s->starttls = 1;
			if (n > 5 && strncasecmp(kw, "AUTH ", 5) == 0) {
				char *mechs = xstrndup(kw + 5, n - 5), *t, *sv;
				for (t = strtok_r(mechs, " ", &sv); t != NULL;
				    t = strtok_r(NULL, " ", &sv)) {
					if (!strcasecmp(t, "PLAIN"))
						s->auth_plain = 1;
					if (!strcasecmp(t, "LOGIN"))
						s->auth_login = 1;
				}
				free(mechs);
			}
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* Classifies the reply of a failed step. */
static enum ua_smtp_result
failed(struct smtp *s, const char *what)
{
	snprintf(s->err, s->errlen, "smtp: %s: %s", what, buf_cstr(&s->text));
	return s->code >= 500 ? UA_SMTP_PERMFAIL : UA_SMTP_TEMPFAIL;
}

static int
b64(const char *in, size_t len, struct buf *out)
{
	buf_reset(out);
	return mime_b64_encode(in, len, 0, out);
}

static enum ua_smtp_result
authenticate(struct smtp *s, struct ua_account *a)
{
	struct buf cred, enc;
	const char *pw;
	char perr[256];
	enum ua_smtp_result r = UA_SMTP_OK;

	if (!s->auth_plain && !s->auth_login) {
		snprintf(s->err, s->errlen, "smtp: the server offers no AUTH "
		    "PLAIN or LOGIN%s", ua_conn_is_tls(s->conn) ? "" :
		    " (it may want TLS first: --starttls)");
		return UA_SMTP_PERMFAIL;
	}
	if ((pw = ua_account_password(a, perr, sizeof(perr))) == NULL) {
		snprintf(s->err, s->errlen, "%s", perr);
		return UA_SMTP_PERMFAIL;
	}
	buf_init(&cred, 4096);
	buf_init(&enc, 8192);
	if (s->auth_plain) {
		/* RFC 4616: authzid NUL authcid NUL passwd. */
		buf_putc(&cred, '\0');
		buf_puts(&cred, a->user);
		buf_putc(&cred, '\0');
		if (buf_puts(&cred, pw) == -1 ||
		    b64(cred.data, cred.len, &enc) == -1 ||
		    command(s, "AUTH", "AUTH PLAIN %s\r\n", buf_cstr(&enc))
		    == -1)
			r = UA_SMTP_TEMPFAIL;
	} else {
		if (command(s, "AUTH", "AUTH LOGIN\r\n", NULL) == -1)
			r = UA_SMTP_TEMPFAIL;
		else if (s->code == 334 &&
		    (b64(a->user, strlen(a->user), &enc) == -1 ||
		    command(s, "AUTH", "%s\r\n", buf_cstr(&enc)) == -1))
			r = UA_SMTP_TEMPFAIL;
		else if (s->code == 334 &&
		    (b64(pw, strlen(pw), &enc) == -1 ||
		    command(s, "AUTH", "%s\r\n", buf_cstr(&enc)) == -1))
			r = UA_SMTP_TEMPFAIL;
	}
	if (r == UA_SMTP_OK && s->code != 235)
		r = failed(s, "AUTH");
	explicit_bzero(cred.data ? cred.data : "", cred.len);
	buf_free(&cred);
	buf_free(&enc);
	return r;
}

/* Sends the message with dot-stuffing (RFC 5321 §4.5.2), CRLF ends. */
static int
send_data(struct smtp *s, const char *msg, size_t len)
{
	struct buf out;
	size_t i;
	int bol = 1, rc;

	buf_init(&out, len + len / 10 + 1024);
	for (i = 0; i < len; i++) {
		if (bol && msg[i] == '.')
			buf_putc(&out, '.');
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			buf_putc(&out, '\r');
		if (buf_putc(&out, msg[i]) == -1)
			break;
		bol = msg[i] == '\n';
	}
	if (!bol)
		buf_puts(&out, "\r\n");
	rc = buf_puts(&out, ".\r\n");
	if (rc == 0)
		rc = ua_conn_write(s->conn, out.data, out.len);
	buf_free(&out);
	if (rc == -1)
		snprintf(s->err, s->errlen, "smtp: DATA: %s",
		    ua_conn_error(s->conn));
	return rc == -1 ? -1 : reply(s);
}

static enum ua_smtp_result
session(struct smtp *s, struct ua_account *a, const char *host,
    enum ua_tls tls, const char *from, char *const *rcpts, size_t nrcpt,
    const char *msg, size_t len)
{
	struct ua_tls_opts o = { !a->insecure, a->ca_file, host };
	enum ua_smtp_result r;
	size_t i, ok = 0;

	if (tls == UA_TLS_IMPLICIT && ua_conn_start_tls(s->conn, &o) == -1)
		goto conn_err;
	if (reply(s) == -1)
		return UA_SMTP_TEMPFAIL;
	if (s->code != 220)
		return failed(s, "greeting");
	if (command(s, "EHLO", "EHLO %s\r\n", a->hostname) == -1)
		return UA_SMTP_TEMPFAIL;
	if (s->code != 250)
		return failed(s, "EHLO");
	ehlo_caps(s);
	if (tls == UA_TLS_STARTTLS) {
		if (!s->starttls) {
			snprintf(s->err, s->errlen, "smtp: STARTTLS required "
			    "but not offered by %s", host);
			return UA_SMTP_PERMFAIL;
		}
		if (command(s, "STARTTLS", "STARTTLS\r\n", NULL) == -1)
			return UA_SMTP_TEMPFAIL;
		if (s->code != 220)
			return failed(s, "STARTTLS");
		if (ua_conn_start_tls(s->conn, &o) == -1)
			goto conn_err;
		/* RFC 3207 §4.2: forget everything learnt before TLS. */
		if (command(s, "EHLO", "EHLO %s\r\n", a->hostname) == -1)
			return UA_SMTP_TEMPFAIL;
		if (s->code != 250)
			return failed(s, "EHLO");
		ehlo_caps(s);
	}
	if (a->user != NULL && (r = authenticate(s, a)) != UA_SMTP_OK)
		return r;
	if (command(s, "MAIL", "MAIL FROM:<%s>\r\n", from) == -1)
		return UA_SMTP_TEMPFAIL;
	if (s->code != 250)
		return failed(s, "MAIL FROM");
	for (i = 0; i < nrcpt; i++) {
		if (command(s, "RCPT", "RCPT TO:<%s>\r\n", rcpts[i]) == -1)
			return UA_SMTP_TEMPFAIL;
		if (s->code != 250 && s->code != 251) {
			char what[300];
			snprintf(what, sizeof(what), "RCPT TO <%s>", rcpts[i]);
			return failed(s, what);
		}
		ok++;
	}
	if (command(s, "DATA", "DATA\r\n", NULL) == -1)
		return UA_SMTP_TEMPFAIL;
	if (s->code != 354)
		return failed(s, "DATA");
	if (send_data(s, msg, len) == -1)
		return UA_SMTP_TEMPFAIL;
	if (s->code != 250)
		return failed(s, "end of DATA");
	snprintf(s->err, s->errlen, "%s", buf_cstr(&s->text));
	(void)command(s, "QUIT", "QUIT\r\n", NULL);
	return UA_SMTP_OK;
conn_err:
	snprintf(s->err, s->errlen, "smtp: %s", ua_conn_error(s->conn));
	/* A certificate or policy problem will not fix itself. */
	return UA_SMTP_PERMFAIL;
}

enum ua_smtp_result
ua_smtp_submit(struct ua_account *a, const char *from, char *const *rcpts,
    size_t nrcpt, const char *msg, size_t len, char *err, size_t errlen)
{
	struct smtp s;
	char host[256], port[16];
	enum ua_tls tls;
	enum ua_smtp_result r;

	if (ua_account_endpoint(a, UA_SVC_SMTP, host, sizeof(host), port,
	    sizeof(port), &tls, err, errlen) == -1)
		return UA_SMTP_PERMFAIL;
	memset(&s, 0, sizeof(s));
	s.err = err;
	s.errlen = errlen;
	if ((s.conn = ua_conn_open(host, port, err, errlen)) == NULL) {
		char tmp[UA_CONN_ERR_MAX];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "smtp: %s:%s: %s", host, port, tmp);
		return UA_SMTP_TEMPFAIL;
	}
	buf_init(&s.line, UA_SMTP_LINE_MAX);
	buf_init(&s.text, UA_SMTP_LINE_MAX * 8);
	r = session(&s, a, host, tls, from, rcpts, nrcpt, msg, len);
	buf_free(&s.line);
	buf_free(&s.text);
	ua_conn_close(&s.conn);
	return r;
}
