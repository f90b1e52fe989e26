/*
 * bounce.c: DSNs and delay notices (see bounce.h). RFC 3464 (the
 * message/delivery-status fields), RFC 6522 (multipart/report), RFC 3461
 * (NOTIFY, RET, ENVID, ORCPT), RFC 3834 (Auto-Submitted). Runs in the
 * queue role.
 */
#include "queue/bounce.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "mime/date.h"
#include "queue/spool.h"

#define EXPIRED			"delivery time expired"
#define BOUNCE_OUT_MAX_EXTRA	(256 * 1024)	/* notice text around a copy */

/* Appends s with every byte outside printable ASCII (CR and LF above
 * all: no header injection from a server's reply) as '?', at most max. */
static int
put_clean(struct buf *out, const char *s, size_t max)
{
	for (size_t i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (buf_putc(out, c >= 0x20 && c < 0x7f ? (char)c : '?') == -1)
			return -1;
	}
	return 0;
}

/* RFC 3461 §4: xtext "+XX" decoded, then cleaned. */
static int
put_xtext(struct buf *out, const char *s)
{
	char tmp[600];
	size_t n = 0;

	for (size_t i = 0; s[i] != '\0' && n + 1 < sizeof(tmp); i++) {
		if (s[i] == '+' && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], '\0' };
			tmp[n++] = (char)strtoul(hex, NULL, 16);
			i += 2;
		} else
			tmp[n++] = s[i];
	}
	tmp[n] = '\0';
	return put_clean(out, tmp, sizeof(tmp));
}

static int
put_date(struct buf *out, const char *name, int64_t t)
{
	if (buf_printf(out, "%s: ", name) == -1 ||
	    mime_date_format((time_t)t, 0, out) == -1)
		return -1;
	return buf_puts(out, "\r\n");
}

void
bounce_parse_error(const char *error, bool failed, char *status_out,
    const char **diag_out, char *mta_out)
{
	const char *said, *reply = NULL;
	size_t n;

	*diag_out = NULL;
	if (mta_out != NULL)
		mta_out[0] = '\0';
	strlcpy_(status_out, failed ? "5.0.0" : "4.0.0", 16);
	if (error == NULL)
		return;
	if (strncmp(error, EXPIRED, strlen(EXPIRED)) == 0) {
		/* The last reply still names the server; the status is
		 * RFC 3463's "delivery time expired". */
		if ((said = strstr(error, "; last error: ")) != NULL)
			bounce_parse_error(said + 14, failed, status_out,
			    diag_out, mta_out);
		strlcpy_(status_out, "4.4.7", 16);
		return;
	}
	if ((said = strstr(error, " said: ")) != NULL &&
	    strlen(said + 7) >= 3 && said[7] >= '2' && said[7] <= '5' &&
	    isdigit((unsigned char)said[8]) && isdigit((unsigned char)said[9])) {
		reply = said + 7;
		*diag_out = reply;
		if (mta_out != NULL) {
			/* "host[addr] said:": the host name before '['. */
			n = (size_t)(said - error);
			for (size_t i = 0; i < n; i++)
				if (error[i] == '[') {
					n = i;
					break;
				}
			if (n > 255)
				n = 255;
			memcpy(mta_out, error, n);
			mta_out[n] = '\0';
		}
		/* "550 5.1.1 ...": the enhanced code when it is there. */
		n = reply[3] == ' ' ? strspn(reply + 4, "0123456789.") : 0;
		if (n >= 5 && n < 12 && reply[4] == reply[0] &&
		    reply[5] == '.' && (reply[4 + n] == ' ' ||
		    reply[4 + n] == '\0')) {
			memcpy(status_out, reply + 4, n);
			status_out[n] = '\0';
		} else {
			status_out[0] = reply[0];
			strlcpy_(status_out + 1, ".0.0", 15);
		}
		return;
	}
	/* "5.1.10 text": our own decision with its status first. */
	n = strspn(error, "0123456789.");
	if (n >= 5 && n < 16 && error[n] == ' ' && error[1] == '.' &&
	    (error[0] == '4' || error[0] == '5')) {
		memcpy(status_out, error, n);
		status_out[n] = '\0';
	}
}

static int
human_part(const struct bounce_info *b, struct buf *out)
{
	bool failed = b->kind == BOUNCE_FAILED;

	if (buf_printf(out, "This is the mail system at %s.\r\n\r\n",
	    b->hostname) == -1)
		return -1;
	if (b->kind == BOUNCE_DELIVERED || b->kind == BOUNCE_RELAYED) {
		if (buf_puts(out, b->kind == BOUNCE_DELIVERED ?
		    "Your message was delivered to the recipients below, as "
		    "you asked to be told.\r\n\r\n" :
		    "Your message was passed on to the recipients' mail "
		    "server, which does not report delivery; no further "
		    "notice will come from there.\r\n\r\n") == -1)
			return -1;
	} else if (failed) {
		if (buf_printf(out, "Your message could not be delivered to "
		    "the recipients below. It is returned %s.\r\n\r\n",
		    b->full ? "in full" : "with its header only") == -1)
			return -1;
	} else {
		if (buf_puts(out, "Your message has not been delivered yet to "
		    "the recipients below. Delivery will be tried again until "
		    "") == -1 || mime_date_format((time_t)b->retry_until, 0,
		    out) == -1 || buf_puts(out, "; you need not send it "
		    "again.\r\n\r\n") == -1)
			return -1;
	}
	for (size_t i = 0; i < b->nrcpts; i++) {
		if (buf_putc(out, '<') == -1 ||
		    put_clean(out, b->rcpts[i].addr, 512) == -1 ||
		    buf_puts(out, ">: ") == -1 ||
		    put_clean(out, b->rcpts[i].error ? b->rcpts[i].error :
		    "unknown error", BOUNCE_TEXT_MAX) == -1 ||
		    buf_puts(out, "\r\n") == -1)
			return -1;
	}
	return 0;
}

/* RFC 3464 §2.3.3 actions, by enum bounce_kind. */
static const char *const action[] = {
	"failed", "delayed", "delivered", "relayed",
};

/* RFC 3464 §2.2 (per message) and §2.3 (per recipient). */
static int
status_part(const struct bounce_info *b, struct buf *out)
{
	bool failed = b->kind == BOUNCE_FAILED;

	if (buf_printf(out, "Reporting-MTA: dns; %s\r\n", b->hostname) == -1)
		return -1;
	if (b->envid != NULL && (buf_puts(out, "Original-Envelope-Id: ") ==
	    -1 || put_xtext(out, b->envid) == -1 ||
	    buf_puts(out, "\r\n") == -1))
		return -1;
	if (buf_printf(out, "X-Postern-Queue-ID: %s\r\n", b->id) == -1 ||
	    put_date(out, "Arrival-Date", b->arrival) == -1)
		return -1;
	for (size_t i = 0; i < b->nrcpts; i++) {
		const struct bounce_rcpt *r = &b->rcpts[i];
		char status[16], mta[256];
		const char *diag, *semi;

		bounce_parse_error(r->error, failed, status, &diag, mta);
		if (b->kind == BOUNCE_DELAYED)
			status[0] = '4';	/* delayed is transient */
		else if (b->kind != BOUNCE_FAILED) {
			status[0] = '2';
			if (diag != NULL && diag[0] != '2')
				diag = NULL;
		}
		if (buf_puts(out, "\r\nFinal-Recipient: rfc822; ") == -1 ||
		    put_clean(out, r->addr, 512) == -1 ||
		    buf_puts(out, "\r\n") == -1)
			return -1;
		if (r->orcpt != NULL && (semi = strchr(r->orcpt, ';')) != NULL) {
			if (buf_puts(out, "Original-Recipient: ") == -1 ||
			    put_clean(out, r->orcpt, (size_t)(semi -
			    r->orcpt)) == -1 || buf_puts(out, "; ") == -1 ||
			    put_xtext(out, semi + 1) == -1 ||
			    buf_puts(out, "\r\n") == -1)
				return -1;
		}
		if (buf_printf(out, "Action: %s\r\nStatus: %s\r\n",
		    action[b->kind], status) == -1)
			return -1;
		if (mta[0] != '\0' && (buf_puts(out, "Remote-MTA: dns; ") ==
		    -1 || put_clean(out, mta, 255) == -1 ||
		    buf_puts(out, "\r\n") == -1))
			return -1;
		if (diag != NULL && (buf_puts(out, "Diagnostic-Code: smtp; ") ==
		    -1 || put_clean(out, diag, BOUNCE_TEXT_MAX) == -1 ||
		    buf_puts(out, "\r\n") == -1))
			return -1;
		if (r->last_try > 0 &&
		    put_date(out, "Last-Attempt-Date", r->last_try) == -1)
			return -1;
		if (b->kind == BOUNCE_DELAYED &&
		    put_date(out, "Will-Retry-Until", b->retry_until) == -1)
			return -1;
	}
	return 0;
}

/* The original's header: up to the first empty line, bounded. */
static size_t
header_len(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (i + 1 < len && msg[i + 1] == '\n')
			return i + 1;
		if (i + 2 < len && msg[i + 1] == '\r' && msg[i + 2] == '\n')
			return i + 1;
	}
	return len;
}

/* Appends bytes with every line end made CRLF. */
static int
put_lines(struct buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			if (buf_puts(out, "\r\n") == -1)
				return -1;
		} else if (buf_putc(out, s[i]) == -1)
			return -1;
	}
	if (len > 0 && s[len - 1] != '\n' && s[len - 1] != '\r')
		return buf_puts(out, "\r\n");
	return 0;
}

static const char *const subject[] = {
	"Undelivered Mail Returned to Sender",
	"Delayed Mail (still being retried)",
	"Successful Mail Delivery Report",
	"Mail Relayed (no further reports)",
};

int
bounce_build(const struct bounce_info *b, struct buf *out,
    const char **errstr_out)
{
	char boundary[64];
	uint32_t r1 = arc4random(), r2 = arc4random();
	size_t start = out->len, hl;

	snprintf(boundary, sizeof(boundary), "=_postern_%08x%08x", r1, r2);
	if (buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
	    "To: <", b->hostname) == -1 ||
	    put_clean(out, b->to, 512) == -1 ||
	    buf_printf(out, ">\r\nSubject: %s\r\n", subject[b->kind]) == -1 ||
	    put_date(out, "Date", b->now) == -1 ||
	    buf_printf(out, "Message-ID: <%s.%08x@%s>\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
	    "\tboundary=\"%s\"\r\n\r\n"
	    "This is a MIME-encapsulated delivery status notification.\r\n"
	    "\r\n--%s\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Description: Notification\r\n\r\n",
	    b->id, r1, b->hostname, boundary, boundary) == -1 ||
	    human_part(b, out) == -1 ||
	    buf_printf(out, "\r\n--%s\r\n"
	    "Content-Type: message/delivery-status\r\n"
	    "Content-Description: Delivery report\r\n\r\n", boundary) == -1 ||
	    status_part(b, out) == -1)
		goto full;
	if (b->msg != NULL) {
		hl = header_len(b->msg, b->len);
		if (hl > BOUNCE_HEADERS_MAX)
			hl = BOUNCE_HEADERS_MAX;
		if (buf_printf(out, "\r\n--%s\r\nContent-Type: %s\r\n"
		    "Content-Description: %s\r\n\r\n", boundary,
		    b->full ? "message/rfc822" : "text/rfc822-headers",
		    b->full ? "Undelivered message" :
		    b->kind <= BOUNCE_DELAYED ? "Undelivered message header" :
		    "Message header") == -1 ||
		    put_lines(out, b->msg, b->full ? b->len : hl) == -1)
			goto full;
	}
	if (buf_printf(out, "\r\n--%s--\r\n", boundary) == -1)
		goto full;
	return 0;
full:
	buf_truncate(out, start);
	*errstr_out = "notice too large";
	return -1;
}

/* ---- who gets a notice ------------------------------------------------ */

static bool
is_postmaster(const char *addr)
{
	return strncasecmp(addr, "postmaster", 10) == 0 &&
	    (addr[10] == '\0' || addr[10] == '@');
}

static bool
wants(const struct queue_rcpt *r, unsigned bit)
{
	if (r->notify & QUEUE_NOTIFY_NEVER)
		return false;
	return r->notify == 0 ? bit != QUEUE_NOTIFY_SUCCESS :
	    (r->notify & bit) != 0;
}

static char *
read_original(int fd, off_t off, off_t size, bool full, size_t *len_out)
{
	size_t want = full ? (size_t)size : (size_t)size < BOUNCE_HEADERS_MAX ?
	    (size_t)size : BOUNCE_HEADERS_MAX;
	char *p = xmalloc(want + 1);
	size_t got = 0;
	ssize_t n;

	while (got < want && (n = pread(fd, p + got, want - got,
	    off + (off_t)got)) > 0)
		got += (size_t)n;
	p[got] = '\0';
	*len_out = got;
	return p;
}

static int
enqueue(struct spool *sp, const struct config *cfg,
    const struct queue_envelope *env, const char *to,
    const struct bounce_info *b)
{
	struct queue_envelope nenv;
	struct spool_msg *m;
	struct buf out;
	const char *errstr;
	int rc = -1;

	buf_init(&out, cfg->max_message_size + BOUNCE_OUT_MAX_EXTRA);
	if (bounce_build(b, &out, &errstr) == -1) {
		/* Too large in full: the header will do. */
		struct bounce_info hb = *b;
		hb.full = false;
		if (bounce_build(&hb, &out, &errstr) == -1) {
			log_msg_warnx(env->id, "cannot build notice: %s", errstr);
			buf_free(&out);
			return -1;
		}
	}
	queue_env_init(&nenv);		/* sender "": MAIL FROM:<> */
	nenv.arrival = b->now;
	nenv.smtputf8 = env->smtputf8;
	nenv.body = b->full && env->body != QUEUE_BODY_7BIT ?
	    QUEUE_BODY_8BITMIME : QUEUE_BODY_7BIT;
	if (queue_env_add_rcpt(&nenv, to, NULL, 0) == 0 &&
	    spool_msg_begin(sp, &nenv, &m) == 0) {
		if (spool_msg_write(m, out.data, out.len) == 0 &&
		    spool_commit_sync(&m) == 0) {
			log_msg_info(env->id, "%s notice to <%s> queued as %s",
			    action[b->kind], to, nenv.id);
			rc = 0;
		} else if (m != NULL)
			spool_msg_abort(&m);
	}
	if (rc == -1)
		log_msg_warnx(env->id, "cannot queue notice: %s",
		    strerror(errno));
	queue_env_free(&nenv);
	buf_free(&out);
	return rc;
}

static int
send_kind(struct spool *sp, const struct config *cfg,
    const struct queue_envelope *env, int fd, off_t off, off_t size, int64_t now,
    enum bounce_kind kind, const size_t *which, size_t n)
{
	struct bounce_rcpt *br = xcalloc(n, sizeof(*br));
	struct bounce_info b;
	char *to, *orig;
	size_t len;
	int rc;

	for (size_t k = 0; k < n; k++) {
		const struct queue_rcpt *r = &env->rcpts[which[k]];
		br[k].addr = r->addr;
		br[k].orcpt = r->orcpt;
		br[k].error = r->error;
		br[k].last_try = r->last_try;
	}
	if (*env->sender != '\0')
		to = xstrdup(env->sender);
	else	/* a bounce that failed: the postmaster, once */
		to = xasprintf("postmaster@%s", cfg->domains.n > 0 ?
		    cfg->domains.items[0] : cfg->hostname);
	memset(&b, 0, sizeof(b));
	b.kind = kind;
	b.hostname = cfg->hostname;
	b.to = to;
	b.id = env->id;
	b.envid = env->envid;
	b.arrival = env->arrival;
	b.retry_until = env->arrival + cfg->queue_lifetime;
	b.now = now;
	b.rcpts = br;
	b.nrcpts = n;
	b.full = kind == BOUNCE_FAILED && env->ret == QUEUE_RET_FULL;
	orig = read_original(fd, off, size, b.full, &len);
	b.msg = orig;
	b.len = len;
	rc = enqueue(sp, cfg, env, to, &b);
	free(orig);
	free(to);
	free(br);
	return rc;
}

bool
queue_bounce_send(struct spool *sp, const struct config *cfg,
    struct queue_envelope *env, int fd, off_t off, off_t size, int64_t now)
{
	size_t *which = xcalloc(env->nrcpts ? env->nrcpts : 1, sizeof(*which));
	size_t n = 0, nfailed = 0;
	bool changed = false, double_bounce = *env->sender == '\0';

	/* Failures: one notice listing every recipient that failed now. */
	for (size_t i = 0; i < env->nrcpts; i++) {
		struct queue_rcpt *r = &env->rcpts[i];
		if (r->status != QUEUE_RCPT_FAILED)
			continue;
		nfailed++;
		if (wants(r, QUEUE_NOTIFY_FAILURE) &&
		    !(double_bounce && is_postmaster(r->addr)))
			which[n++] = i;
	}
	if (nfailed > 0) {
		if (n > 0 && send_kind(sp, cfg, env, fd, off, size, now,
		    BOUNCE_FAILED, which, n) == -1) {
			free(which);
			return false;	/* FAILED stays: tried again later */
		}
		if (n == 0)
			log_msg_info(env->id, "no notice owed for %zu failed "
			    "recipients", nfailed);
		for (size_t i = 0; i < env->nrcpts; i++)
			if (env->rcpts[i].status == QUEUE_RCPT_FAILED)
				env->rcpts[i].status = QUEUE_RCPT_BOUNCED;
		changed = true;
	}
	/* Delays: once per message, after delay_warning, never to <>. */
	n = 0;
	if (cfg->delay_warning > 0 && !env->delay_notified && !double_bounce &&
	    now - env->arrival >= cfg->delay_warning) {
		for (size_t i = 0; i < env->nrcpts; i++) {
			struct queue_rcpt *r = &env->rcpts[i];
			if (r->status == QUEUE_RCPT_DEFERRED &&
			    wants(r, QUEUE_NOTIFY_DELAY))
				which[n++] = i;
		}
		if (n > 0 && send_kind(sp, cfg, env, fd, off, size, now,
		    BOUNCE_DELAYED, which, n) == 0) {
			env->delay_notified = true;
			changed = true;
		}
	}
	free(which);
	return changed;
}

void
queue_bounce_success(struct spool *sp, const struct config *cfg,
    const struct queue_envelope *env, int fd, off_t off, off_t size,
    int64_t now, const size_t *idx, size_t n, enum bounce_kind kind)
{
	size_t *which, nw = 0;

	if (*env->sender == '\0' || n == 0)
		return;
	which = xcalloc(n, sizeof(*which));
	for (size_t k = 0; k < n; k++)
		if (idx[k] < env->nrcpts &&
		    wants(&env->rcpts[idx[k]], QUEUE_NOTIFY_SUCCESS))
			which[nw++] = idx[k];
	if (nw > 0)
		(void)send_kind(sp, cfg, env, fd, off, size, now, kind, which,
		    nw);
	free(which);
}
