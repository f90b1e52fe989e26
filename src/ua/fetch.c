/*
 * fetch.c: `postern fetch`: POP3 download into a local Maildir
 * (RFC 1939). keep: mail stays on the server and the UIDLs fetched are
 * remembered in DEST/.postern-uidl so the next fetch takes only new mail.
 * delete: DELE is sent only after the local copy is durable (fsynced and
 * renamed into new/), and takes effect at QUIT (RFC 1939 §6).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/durable.h"
#include "lib/util.h"
#include "mime/hdr.h"
#include "ua/maildir.h"
#include "ua/pop3.h"
#include "ua/summary.h"
#include "ua/ua.h"

#define UIDL_FILE	".postern-uidl"
#define UIDL_MAX	70	/* RFC 1939 §7: 1 to 70 characters */

struct uidls {
	char	**v;
	size_t	  n;
};

static int
uidl_known(const struct uidls *u, const char *id)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i], id) == 0)
			return 1;
	return 0;
}

static void
uidls_load(const char *path, struct uidls *u)
{
	struct buf b;
	char *p, *sv;

	buf_init(&b, 64 * 1024 * 1024);
	if (ua_file_read(path, &b) == 0 && b.len > 0)
		for (p = strtok_r((char *)buf_cstr(&b), "\n", &sv); p != NULL;
		    p = strtok_r(NULL, "\n", &sv)) {
			u->v = xreallocarray(u->v, u->n + 1, sizeof(char *));
			u->v[u->n++] = xstrdup(p);
		}
	buf_free(&b);
}

/* Appends one UIDL to the state file, durably. */
static int
uidl_append(const char *path, const char *id)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	char *line;
	int rc;

	if (fd == -1)
		return -1;
	line = xasprintf("%s\n", id);
	rc = durable_write_all(fd, line, strlen(line));
	if (rc == 0)
		rc = fsync(fd);
	free(line);
	close(fd);
	return rc;
}

/* The server's UIDL for each message number (index n-1). */
static int
server_uidls(struct ua_pop3 *p, size_t count, char ***ids_out)
{
	struct buf b;
	char **ids = xcalloc(count + 1, sizeof(char *)), *l, *sv;
	int rc = 0;

	buf_init(&b, 64 * 1024 * 1024);
	if (ua_pop3_cmd(p, 1, &b, "UIDL") == -1)
		rc = -1;
	else if (b.len > 0)
		for (l = strtok_r((char *)buf_cstr(&b), "\r\n", &sv);
		    l != NULL; l = strtok_r(NULL, "\r\n", &sv)) {
			unsigned long n;
			char id[UIDL_MAX + 2];
			if (sscanf(l, "%lu %71s", &n, id) == 2 && n >= 1 &&
			    n <= count && strlen(id) <= UIDL_MAX &&
			    ids[n - 1] == NULL)
				ids[n - 1] = xstrdup(id);
		}
	buf_free(&b);
	*ids_out = ids;
	return rc;
}

int
ua_cmd_fetch(struct ua_ctx *c)
{
	const char *mode = c->opt.mode ? c->opt.mode : "keep";
	const char *dest = c->opt.maildir ? c->opt.maildir : c->acct.maildir;
	struct ua_pop3 *p;
	struct uidls known = { NULL, 0 };
	struct buf msg;
	char err[1024], **ids = NULL, *state;
	size_t count = 0, n, got = 0, i;
	int keep, rc = UA_EXIT_ERR, failed = 0;

	if (strcmp(mode, "keep") != 0 && strcmp(mode, "delete") != 0) {
		ua_warnx("--mode: keep or delete");
		return UA_EXIT_ERR;
	}
	keep = strcmp(mode, "keep") == 0;
	if ((p = ua_pop3_open(&c->acct, err, sizeof(err))) == NULL) {
		ua_warnx("%s", err);
		return UA_EXIT_ERR;
	}
	state = xasprintf("%s/" UIDL_FILE, dest);
	buf_init(&msg, UA_MSG_MAX);
	if (ua_pop3_cmd(p, 0, NULL, "STAT") == -1) {
		ua_warnx("%s", ua_pop3_error(p));
		goto out;
	}
	count = strtoul(ua_pop3_text(p), NULL, 10);
	if (keep) {
		if (server_uidls(p, count, &ids) == -1) {
			ua_warnx("keep mode needs UIDL: %s", ua_pop3_error(p));
			goto out;
		}
		uidls_load(state, &known);
	}
	for (n = 1; n <= count; n++) {
		size_t pos = 0;
		struct mime_hdr_field f;

		if (keep && (ids[n - 1] == NULL ||
		    uidl_known(&known, ids[n - 1])))
			continue;
		buf_reset(&msg);
		if (ua_pop3_cmd(p, 1, &msg, "RETR %zu", n) == -1) {
			ua_warnx("%s", ua_pop3_error(p));
			failed = 1;
			break;
		}
		if (ua_maildir_deliver(dest, msg.data ? msg.data : "",
		    msg.len) == -1) {
			ua_warnx("%s: %s", dest, strerror(errno));
			failed = 1;
			break;
		}
		if (keep && uidl_append(state, ids[n - 1]) == -1) {
			ua_warnx("%s: %s", state, strerror(errno));
			failed = 1;
			break;
		}
		if (!keep && ua_pop3_cmd(p, 0, NULL, "DELE %zu", n) == -1) {
			ua_warnx("%s", ua_pop3_error(p));
			failed = 1;
			break;
		}
		while (mime_hdr_scan(msg.data ? msg.data : "", msg.len, &pos,
		    &f) == 1)
			;
		ua_summary_print(n, UA_MSG_NEW, buf_cstr(&msg), pos,
		    msg.len);
		got++;
	}
	fflush(stdout);
	/* QUIT commits the DELEs of the copies already durable. */
	if (ua_pop3_quit(&p) == -1) {
		ua_warnx("pop3: QUIT failed: the server may keep the mail");
		failed = 1;
	}
	rc = failed ? UA_EXIT_ERR : got > 0 ? UA_EXIT_OK : UA_EXIT_NONE;
out:
	if (p != NULL)
		ua_pop3_abort(&p);
	for (i = 0; ids != NULL && i < count; i++)
		free(ids[i]);
	free(ids);
	for (i = 0; i < known.n; i++)
		free(known.v[i]);
	free(known.v);
	free(state);
	buf_free(&msg);
	return rc;
}
