/*
 * pop3.c: blocking POP3 client session for `postern` (RFC 1939), with
 * STLS (RFC 2595 §4): when TLS is required and STLS is not offered, or
 * anything follows the STLS reply in clear, no password is sent.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "ua/conn.h"
#include "ua/pop3.h"
#include "ua/ua.h"

struct ua_pop3 {
	struct ua_conn	*conn;
	struct buf	 line;
	char		 text[UA_POP3_LINE_MAX];
	char		 err[1024];
};

static int
status(struct ua_pop3 *s)
{
	const char *t;
	int st;

	if (ua_conn_readline(s->conn, &s->line, UA_POP3_LINE_MAX) == -1) {
		snprintf(s->err, sizeof(s->err), "pop3: %s",
		    ua_conn_error(s->conn));
		return -1;
	}
	st = ua_pop3_status(s->line.data, s->line.len, &t);
	snprintf(s->text, sizeof(s->text), "%s", t);
	if (st == 1)
		return 0;
	snprintf(s->err, sizeof(s->err), "pop3: %s%.200s",
	    st == 0 ? "-ERR " : "bad reply: ", t);
	return -1;
}

/* The multi-line body (RFC 1939 §3): up to ".", dot-unstuffed. */
static int
multiline(struct ua_pop3 *s, struct buf *body)
{
	for (;;) {
		const char *l;
		size_t n;

		if (ua_conn_readline(s->conn, &s->line, UA_MSG_MAX) == -1) {
			snprintf(s->err, sizeof(s->err), "pop3: %s",
			    ua_conn_error(s->conn));
			return -1;
		}
		l = s->line.data ? s->line.data : "";
		n = s->line.len;
		if (n == 1 && l[0] == '.')
			return 0;
		if (n > 0 && l[0] == '.')
			l++, n--;
		if (body != NULL && (buf_append(body, l, n) == -1 ||
		    buf_puts(body, "\r\n") == -1)) {
			snprintf(s->err, sizeof(s->err), "pop3: reply too "
			    "large");
			return -1;
		}
	}
}

int
ua_pop3_cmd(struct ua_pop3 *s, int multi, struct buf *body,
    const char *fmt, ...)
{
	struct buf cmd;
	va_list ap;
	int rc;

	buf_init(&cmd, 4096);
	va_start(ap, fmt);
	rc = buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = buf_puts(&cmd, "\r\n");
	if (rc == 0)
		rc = ua_conn_write(s->conn, cmd.data, cmd.len);
	explicit_bzero(cmd.data ? cmd.data : "", cmd.len);
	buf_free(&cmd);
	if (rc == -1) {
		snprintf(s->err, sizeof(s->err), "pop3: %s",
		    ua_conn_error(s->conn));
		return -1;
	}
	if (status(s) == -1)
		return -1;
	return multi ? multiline(s, body) : 0;
}

const char *
ua_pop3_text(const struct ua_pop3 *s)
{
	return s->text;
}

const char *
ua_pop3_error(const struct ua_pop3 *s)
{
	return s->err;
}

static int
has_stls(struct ua_pop3 *s)
{
	struct buf capa;
	int found = 0;
	char *p, *sv;

	buf_init(&capa, 64 * 1024);
	if (ua_pop3_cmd(s, 1, &capa, "CAPA") == 0)
		for (p = strtok_r((char *)buf_cstr(&capa), "\r\n", &sv);
		    p != NULL; p = strtok_r(NULL, "\r\n", &sv))
			if (strcasecmp(p, "STLS") == 0)
				found = 1;
	buf_free(&capa);
	return found;
}

static int
session_start(struct ua_pop3 *s, struct ua_account *a, const char *host,
    enum ua_tls tls)
{
	struct ua_tls_opts o = { !a->insecure, a->ca_file, host };
	const char *pw;
	char perr[256];

	if (tls == UA_TLS_IMPLICIT && ua_conn_start_tls(s->conn, &o) == -1)
		goto conn_err;
	if (status(s) == -1)
		return -1;
	if (tls == UA_TLS_STARTTLS) {
		if (!has_stls(s)) {
			snprintf(s->err, sizeof(s->err), "pop3: STLS required "
			    "but not offered by %s", host);
			return -1;
		}
		if (ua_pop3_cmd(s, 0, NULL, "STLS") == -1)
			return -1;
		if (ua_conn_start_tls(s->conn, &o) == -1)
			goto conn_err;
	}
	if (a->user == NULL) {
		snprintf(s->err, sizeof(s->err), "pop3: no user: set user "
		    "in the config or --user");
		return -1;
	}
	if ((pw = ua_account_password(a, perr, sizeof(perr))) == NULL) {
		snprintf(s->err, sizeof(s->err), "%s", perr);
		return -1;
	}
	if (ua_pop3_cmd(s, 0, NULL, "USER %s", a->user) == -1 ||
	    ua_pop3_cmd(s, 0, NULL, "PASS %s", pw) == -1)
		return -1;
	return 0;
conn_err:
	snprintf(s->err, sizeof(s->err), "pop3: %s", ua_conn_error(s->conn));
	return -1;
}

struct ua_pop3 *
ua_pop3_open(struct ua_account *a, char *err, size_t errlen)
{
	struct ua_pop3 *s;
	char host[256], port[16];
	enum ua_tls tls;

	if (ua_account_endpoint(a, UA_SVC_POP3, host, sizeof(host), port,
	    sizeof(port), &tls, err, errlen) == -1)
		return NULL;
	if (strpbrk(a->user ? a->user : "", "\r\n") != NULL) {
		snprintf(err, errlen, "pop3: bad user name");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	buf_init(&s->line, UA_MSG_MAX);
	if ((s->conn = ua_conn_open(host, port, err, errlen)) == NULL) {
		char tmp[UA_CONN_ERR_MAX];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "pop3: %s:%s: %s", host, port, tmp);
		ua_pop3_abort(&s);
		return NULL;
	}
	if (session_start(s, a, host, tls) == -1) {
		snprintf(err, errlen, "%s", s->err);
		ua_pop3_abort(&s);
		return NULL;
	}
	return s;
}

void
ua_pop3_abort(struct ua_pop3 **sp)
{
	struct ua_pop3 *s = *sp;

	if (s == NULL)
		return;
	ua_conn_close(&s->conn);
	buf_free(&s->line);
	free(s);
	*sp = NULL;
}

int
ua_pop3_quit(struct ua_pop3 **sp)
{
	int rc = ua_pop3_cmd(*sp, 0, NULL, "QUIT");

	ua_pop3_abort(sp);
	return rc;
}
