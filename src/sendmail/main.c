/*
 * main.c: sendmail(1)-compatible injection — what cron, PHP's mail() and
 * scripts expect of any MTA:
 *
 *   sendmail [-t] [-i | -oi] [-f sender] [-F fullname] [-C config] [rcpt...]
 *
 * The message is read from stdin (without -i a line with a single "." ends
 * it), line ends become CRLF, From:, Date: and Message-ID: are added when
 * missing, a Received: line records the local origin, and the message goes
 * straight into the spool (written, fsynced, renamed, directory fsynced):
 * it is queued even while posternd is not running, and the queue role
 * delivers it when it sees it. With -t the recipients are also read from
 * To:, Cc: and Bcc:, and Bcc: is removed.
 *
 * The config is -C FILE, else $POSTERN_CONFIG, else
 * /etc/postern/postern.conf. Exit codes follow sysexits(3).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/util.h"
#include "mime/addr.h"
#include "mime/date.h"
#include "mime/hdr.h"
#include "queue/spool.h"

#define SENDMAIL_DEFAULT_CONFIG	"/etc/postern/postern.conf"

struct opts {
	bool		 from_headers;	/* -t */
	bool		 dot_ends;	/* no -i */
	const char	*sender;	/* -f */
	const char	*fullname;	/* -F */
	const char	*config;	/* -C */
};

static void
usage(void)
{
	fprintf(stderr, "usage: sendmail [-t] [-i] [-f sender] [-F fullname] "
	    "[-C config] [recipient ...]\n");
	exit(EX_USAGE);
}

/* Reads stdin into msg with CRLF line ends. */
static int
read_message(const struct opts *o, struct buf *msg)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, stdin)) > 0) {
		size_t len = (size_t)n;
		if (line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (o->dot_ends && len == 1 && line[0] == '.')
			break;
		if (buf_append(msg, line, len) == -1 ||
		    buf_append(msg, "\r\n", 2) == -1) {
			free(line);
			return -1;
		}
	}
	free(line);
	return 0;
}

static void
add_rcpt(const struct config *cfg, char ***v, size_t *n, const char *addr)
{
	char *a;

	if (*addr == '\0')
		return;
	if (strchr(addr, '@') == NULL)
		a = xasprintf("%s@%s", addr, cfg->domains.n ?
		    cfg->domains.items[0] : cfg->hostname);
	else
		a = xstrdup(addr);
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], a) == 0) {
			free(a);
			return;
		}
	*v = xreallocarray(*v, *n + 1, sizeof(char *));
	(*v)[(*n)++] = a;
}

/* Adds the mailboxes of one To:/Cc:/Bcc: field value. */
static void
add_field_rcpts(const struct config *cfg, char ***v, size_t *n,
    const struct mime_hdr_field *f)
{
	struct buf val, spec;
	struct mime_addr_parser *p;
	struct mime_addr a;
	const char *errstr;

	buf_init(&val, MIME_HDR_DEFAULT_SIZE_MAX);
	buf_init(&spec, MIME_PATH_MAX * 4);
	if (mime_hdr_unfold(f->raw, f->raw_len, &val) == 0) {
		p = mime_addr_parser_new(buf_cstr(&val), val.len);
		while (mime_addr_next(p, &a, &errstr) == 1) {
			if (a.kind != MIME_ADDR_MAILBOX || a.local == NULL)
				continue;
			buf_reset(&spec);
			if (mime_addr_spec_format(&a, &spec) == 0)
				add_rcpt(cfg, v, n, buf_cstr(&spec));
		}
		mime_addr_parser_free(&p);
	}
	buf_free(&val);
	buf_free(&spec);
}

/* Scans the header: collects -t recipients, notes which of From:, Date:
 * and Message-ID: exist, and copies it to out without Bcc: fields. */
static size_t
scan_header(const struct opts *o, const struct config *cfg,
    const struct buf *msg, char ***rcpts, size_t *nrcpts, struct buf *out,
    bool *has_from, bool *has_date, bool *has_msgid)
{
	struct mime_hdr_field f;
	size_t pos = 0;

	while (mime_hdr_scan(msg->data, msg->len, &pos, &f) == 1) {
		bool bcc = mime_hdr_field_is(&f, "Bcc");
		if (o->from_headers && (bcc || mime_hdr_field_is(&f, "To") ||
		    mime_hdr_field_is(&f, "Cc")))
			add_field_rcpts(cfg, rcpts, nrcpts, &f);
		*has_from |= mime_hdr_field_is(&f, "From");
		*has_date |= mime_hdr_field_is(&f, "Date");
		*has_msgid |= mime_hdr_field_is(&f, "Message-ID");
		if (!bcc)
			(void)buf_append(out, msg->data + f.offset, f.size);
	}
	return pos;
}

static void
free_rcpts(char **rcpts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rcpts[i]);
	free(rcpts);
}

int
main(int argc, char *argv[])
{
	struct opts o = { false, true, NULL, NULL, NULL };
	struct queue_envelope env;
	struct spool_msg *m;
	struct spool *sp;
	struct config cfg;
	struct buf msg, head, extra;
	char err[CONFIG_ERR_MAX], **rcpts = NULL, *sender;
	size_t nrcpts = 0, body;
	bool has_from = false, has_date = false, has_msgid = false;
	struct passwd *pw;
	int ch;
	time_t now = time(NULL);

	log_init("sendmail", 0);
	/* "-oi" and other -o options: only -oi means anything here. */
	while ((ch = getopt(argc, argv, "tiC:f:F:r:o:B:b:v")) != -1) {
		switch (ch) {
		case 't': o.from_headers = true; break;
		case 'i': o.dot_ends = false; break;
		case 'C': o.config = optarg; break;
		case 'f': case 'r': o.sender = optarg; break;
		case 'F': o.fullname = optarg; break;
		case 'o':
			if (strcmp(optarg, "i") == 0)
				o.dot_ends = false;
			break;
		case 'b':
			if (strcmp(optarg, "m") != 0) {
				fprintf(stderr, "sendmail: -b%s is not "
				    "supported\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'B': case 'v': break;
		default: usage();
		}
	}
	if (o.config == NULL)
		o.config = getenv("POSTERN_CONFIG");
	if (o.config == NULL)
		o.config = SENDMAIL_DEFAULT_CONFIG;
	if (config_load(o.config, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "sendmail: %s\n", err);
		return EX_CONFIG;
	}
	pw = getpwuid(getuid());
	if (o.sender != NULL)
		sender = xstrdup(strcmp(o.sender, "<>") == 0 ? "" : o.sender);
	else
		sender = xasprintf("%s@%s", pw ? pw->pw_name : "nobody",
		    cfg.hostname);
	for (int i = optind; i < argc; i++)
		add_rcpt(&cfg, &rcpts, &nrcpts, argv[i]);

	buf_init(&msg, cfg.max_message_size);
	buf_init(&head, MIME_HDR_DEFAULT_SIZE_MAX + 4096);
	buf_init(&extra, 8192);
	if (read_message(&o, &msg) == -1) {
		fprintf(stderr, "sendmail: message larger than "
		    "max_message_size\n");
		return EX_DATAERR;
	}
	body = scan_header(&o, &cfg, &msg, &rcpts, &nrcpts, &head, &has_from,
	    &has_date, &has_msgid);
	if (nrcpts == 0) {
		fprintf(stderr, "sendmail: no recipients\n");
		free(sender);
		buf_free(&msg);
		buf_free(&head);
		buf_free(&extra);
		config_free(&cfg);
		return EX_USAGE;
	}
	if (spool_open(cfg.data_dir, &sp, err, sizeof(err)) == -1) {
		fprintf(stderr, "sendmail: %s\n", err);
		return EX_CANTCREAT;
	}
	queue_env_init(&env);
	free(env.sender);
	env.sender = xstrdup(sender);
	env.arrival = (int64_t)now;
	env.body = QUEUE_BODY_8BITMIME;
	if (pw != NULL)
		env.auth = xstrdup(pw->pw_name);
	for (size_t i = 0; i < nrcpts; i++)
		(void)queue_env_add_rcpt(&env, rcpts[i], NULL, 0);
	if (spool_msg_begin(sp, &env, &m) == -1) {
		fprintf(stderr, "sendmail: cannot queue: %s\n",
		    strerror(errno));
		return EX_TEMPFAIL;
	}
	/* RFC 5321 §4.4 trace, then the header with what RFC 5322 requires. */
	buf_printf(&extra, "Received: by %s (Postern sendmail, uid %ld)\r\n"
	    "\tid %s; ", cfg.hostname, (long)getuid(), env.id);
	mime_date_format(now, 0, &extra);
	buf_puts(&extra, "\r\n");
	if (!has_from) {
		if (o.fullname != NULL)
			buf_printf(&extra, "From: \"%s\" <%s>\r\n", o.fullname,
			    sender);
		else
			buf_printf(&extra, "From: %s\r\n", sender);
	}
	if (!has_date) {
		buf_puts(&extra, "Date: ");
		mime_date_format(now, 0, &extra);
		buf_puts(&extra, "\r\n");
	}
	if (!has_msgid)
		buf_printf(&extra, "Message-ID: <%s@%s>\r\n", env.id,
		    cfg.hostname);
	if (spool_msg_write(m, extra.data, extra.len) == -1 ||
	    (head.len && spool_msg_write(m, head.data, head.len) == -1) ||
	    spool_msg_write(m, "\r\n", 2) == -1 ||
	    spool_msg_write(m, msg.data + body, msg.len - body) == -1) {
		fprintf(stderr, "sendmail: cannot queue: %s\n",
		    strerror(errno));
		spool_msg_abort(&m);
		return EX_TEMPFAIL;
	}
	if (spool_commit_sync(&m) == -1) {
		fprintf(stderr, "sendmail: cannot queue: %s\n",
		    strerror(errno));
		return EX_TEMPFAIL;
	}
	free_rcpts(rcpts, nrcpts);
	free(sender);
	queue_env_free(&env);
	spool_close(&sp);
	buf_free(&msg);
	buf_free(&head);
	buf_free(&extra);
	config_free(&cfg);
	return EX_OK;
}
