/*
 * smtp.c: message submission for `postern send` and `flush` (RFC 6409)
 * through the project's SMTP client engine (src/smtpc/client.h). The
 * engine does the protocol (EHLO, STARTTLS RFC 3207, AUTH PLAIN RFC 4954,
 * PIPELINING, the body with dot-stuffing); this file only drives it over
 * the UA's blocking connection (conn.c) and maps its results to the UA's
 * three outcomes.
 *
 * STARTTLS hardening: server lines are handed to the engine one at a time,
 * so when the 220 to STARTTLS arrives anything the server sent behind it
 * is still in conn.c's buffer, and ua_conn_start_tls refuses to start
 * (RFC 3207 §6: an injected reply). With TLS required the engine never
 * goes on without it and never sends a password in clear.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "smtpc/client.h"
#include "ua/conn.h"
#include "ua/smtp.h"

struct drive {
	struct ua_conn		*conn;
	struct smtpc		*c;
	struct smtpc_msg	*msg;
	const struct ua_tls_opts *tls;
	bool			 sent;		/* smtpc_send was called */
	bool			 done;		/* its results are in */
	bool			 closed;
	bool			 net_err;	/* we ended it: I/O, timeout */
	bool			 tls_err;	/* handshake refused/failed */
	char			 why[UA_CONN_ERR_MAX + 64];
};

/* Writes what the engine has queued (the body refills as it drains). */
static int
flush_out(struct drive *d)
{
	const char *p;
	size_t n;

	while ((p = smtpc_output(d->c, &n)), n > 0) {
		if (ua_conn_write(d->conn, p, n) == -1) {
			snprintf(d->why, sizeof(d->why), "%s",
			    ua_conn_error(d->conn));
			return -1;
		}
		smtpc_output_consume(d->c, n);
	}
	return 0;
}

/* Handles the engine's events until none is left or it closed. */
static void
events(struct drive *d)
{
	enum smtpc_event ev;

	while ((ev = smtpc_event(d->c)) != SMTPC_EV_NONE) {
		switch (ev) {
		case SMTPC_EV_STARTTLS:
			if (ua_conn_start_tls(d->conn, d->tls) == -1) {
				snprintf(d->why, sizeof(d->why), "%s",
				    ua_conn_error(d->conn));
				d->tls_err = true;
				smtpc_tls_done(d->c, false);
			} else
				smtpc_tls_done(d->c, true);
			break;
		case SMTPC_EV_READY:
			if (!d->sent) {
				d->sent = true;
				smtpc_send(d->c, d->msg);
			} else
				smtpc_quit(d->c);
			break;
		case SMTPC_EV_DONE:
			d->done = true;
			break;
		case SMTPC_EV_CLOSED:
			d->closed = true;
			return;
		case SMTPC_EV_NONE:
			break;
		}
	}
}

/* Runs the session to its end. */
static void
run(struct drive *d)
{
	struct buf line;

	buf_init(&line, UA_SMTP_LINE_MAX + 2);
	for (;;) {
		events(d);
		if (d->closed) {
			(void)flush_out(d);	/* a last QUIT, if any */
			break;
		}
		if (flush_out(d) == -1) {
			d->net_err = true;
			smtpc_fail(d->c, d->why);
			continue;
		}
		if (ua_conn_readline(d->conn, &line, UA_SMTP_LINE_MAX) == -1) {
			snprintf(d->why, sizeof(d->why), "%s",
			    ua_conn_error(d->conn));
			d->net_err = true;
			smtpc_fail(d->c, d->why);
			continue;
		}
		/* one line at a time: see the comment at the top */
		(void)buf_puts(&line, "\r\n");
		smtpc_push(d->c, line.data, line.len);
	}
	buf_free(&line);
}

static bool
has_8bit(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* The outcome from the recipients' results. */
static enum ua_smtp_result
results(struct drive *d, char *err, size_t errlen)
{
	struct smtpc_msg *m = d->msg;
	size_t i, ok = 0, perm = 0;
	struct buf why;
	enum ua_smtp_result r;

	for (i = 0; i < m->nrcpts; i++) {
		if (m->rcpts[i].code / 100 == 2)
			ok++;
		else if (m->rcpts[i].code / 100 == 5)
			perm++;
	}
	if (ok == m->nrcpts) {
		/* the final reply, e.g. "250 2.0.0 Ok: queued as ..." */
		snprintf(err, errlen, "%s", m->rcpts[0].text);
		return UA_SMTP_OK;
	}
	buf_init(&why, errlen > 0 ? errlen - 1 : 0);
	if (ok > 0)
		(void)buf_printf(&why, "smtp: accepted for %zu of %zu "
		    "recipients only;", ok, m->nrcpts);
	else
		(void)buf_puts(&why, "smtp:");
	for (i = 0; i < m->nrcpts; i++)
		if (m->rcpts[i].code / 100 != 2)
			(void)buf_printf(&why, " <%s>: %s;", m->rcpts[i].addr,
			    m->rcpts[i].text);
	if (why.len > 0 && why.data[why.len - 1] == ';')
		buf_truncate(&why, why.len - 1);
	snprintf(err, errlen, "%s", buf_cstr(&why));
	buf_free(&why);
	r = ok > 0 ? UA_SMTP_PARTIAL : perm > 0 ? UA_SMTP_PERMFAIL :
	    UA_SMTP_TEMPFAIL;
	return r;
}

enum ua_smtp_result
ua_smtp_submit(struct ua_account *a, const char *from, char *const *rcpts,
    size_t nrcpt, const char *msg, size_t len, char *err, size_t errlen)
{
	struct smtpc_settings st;
	struct smtpc_msg m;
	struct drive d;
	struct ua_tls_opts o;
	char host[256], port[16], perr[256];
	const char *pw = NULL, *es;
	enum ua_tls tls;
	enum ua_smtp_result r;
	size_t i;
	int code;

	if (nrcpt == 0) {
		snprintf(err, errlen, "smtp: no recipients");
		return UA_SMTP_PERMFAIL;
	}
	if (ua_account_endpoint(a, UA_SVC_SMTP, host, sizeof(host), port,
	    sizeof(port), &tls, err, errlen) == -1)
		return UA_SMTP_PERMFAIL;
	/* The engine takes the password up front (AUTH PLAIN). */
	if (a->user != NULL &&
	    (pw = ua_account_password(a, perr, sizeof(perr))) == NULL) {
		snprintf(err, errlen, "%s", perr);
		return UA_SMTP_PERMFAIL;
	}
	memset(&d, 0, sizeof(d));
	o = (struct ua_tls_opts){ !a->insecure, a->ca_file, host };
	d.tls = &o;
	if ((d.conn = ua_conn_open(host, port, err, errlen)) == NULL) {
		char tmp[UA_CONN_ERR_MAX];
		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "smtp: %s:%s: %s", host, port, tmp);
		return UA_SMTP_TEMPFAIL;
	}
	if (tls == UA_TLS_IMPLICIT && ua_conn_start_tls(d.conn, &o) == -1) {
		/* A certificate or policy problem will not fix itself. */
		snprintf(err, errlen, "smtp: %s", ua_conn_error(d.conn));
		ua_conn_close(&d.conn);
		return UA_SMTP_PERMFAIL;
	}
	st = (struct smtpc_settings){
		.helo = a->hostname,
		.tls = tls == UA_TLS_STARTTLS ? SMTPC_TLS_MUST :
		    SMTPC_TLS_NONE,
		.tls_active = tls == UA_TLS_IMPLICIT,
		.auth_user = a->user,
		.auth_pass = pw,
		/* clear text only where the account allows it (loopback or
		 * tls = none); with TLS required, never */
		.auth_plaintext = tls == UA_TLS_NONE,
	};
	memset(&m, 0, sizeof(m));
	m.sender = from;
	m.rcpts = xcalloc(nrcpt, sizeof(*m.rcpts));
	m.nrcpts = nrcpt;
	m.smtputf8 = has_8bit(from);
	for (i = 0; i < nrcpt; i++) {
		m.rcpts[i].addr = rcpts[i];
		m.smtputf8 |= has_8bit(rcpts[i]);
	}
	m.data = msg;
	m.len = len;
	m.ret = SMTPC_RET_NONE;
	d.msg = &m;
	d.c = smtpc_new(&st);
	run(&d);
	es = smtpc_error(d.c);
	code = smtpc_error_code(d.c);
	if (d.tls_err) {
		snprintf(err, errlen, "smtp: %s", d.why);
		r = UA_SMTP_PERMFAIL;
	} else if (d.done)
		r = results(&d, err, errlen);
	else if (tls == UA_TLS_STARTTLS && !smtpc_tls_active(d.c) &&
	    !d.net_err && code == 0 &&
	    !(smtpc_extensions(d.c) & SMTPC_EXT_STARTTLS)) {
		snprintf(err, errlen, "smtp: STARTTLS required but not "
		    "offered by %s", host);
		r = UA_SMTP_PERMFAIL;
	} else {
		snprintf(err, errlen, "smtp: %s", *es ? es : "session ended");
		/* 5xx, or the engine's own refusal (policy, protocol):
		 * permanent; 4xx and network trouble: try again later */
		r = code / 100 == 5 || (code == 0 && !d.net_err) ?
		    UA_SMTP_PERMFAIL : UA_SMTP_TEMPFAIL;
	}
	smtpc_free(&d.c);
	ua_conn_close(&d.conn);
	free(m.rcpts);
	return r;
}
