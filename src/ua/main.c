/*
 * main.c: `postern`, the user agent. Reads the account config and the
 * options, then dispatches the command words through a table of patterns
 * (as OpenSMTPD's smtpctl does); each handler lives in the file of its
 * command family (send.c, list.c, read.c, fetch.c, folders.c, watch.c).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "ua/ua.h"

/* Option groups a command accepts (the "is it legal" half). */
enum {
	O_ACCT = 0x001,		/* account and server flags: always */
	O_COMPOSE = 0x002,	/* --to --cc --bcc --subject --attach --from */
	O_FOLDER = 0x004,	/* --folder */
	O_SOURCE = 0x008,	/* --pop3 --maildir */
	O_READ = 0x010,		/* --headers --raw --max-bytes --progress-fd */
	O_SEARCH = 0x020,	/* --from --subject --since (as criteria) */
	O_FETCH = 0x040,	/* --mode --maildir */
	O_WATCH = 0x080,	/* --interval --exec --count */
	O_REPLY = 0x100,	/* --all --inline */
};

struct cmd {
	const char	*pattern;	/* command words */
	int		 nargs;		/* positional args after them; -1: any */
	unsigned	 opts;
	int		(*run)(struct ua_ctx *);
	const char	*usage;
};

static const struct cmd cmds[] = {
	{ "send", 0, O_COMPOSE, ua_cmd_send,
	    "send --to A [--cc C] [--bcc D] --subject S [--attach FILE]... "
	    "[--from F]" },
	{ "flush", 0, 0, ua_cmd_flush, "flush" },
	{ "outbox", 0, 0, ua_cmd_outbox, "outbox" },
	{ "list", 0, O_FOLDER | O_SOURCE, ua_cmd_list,
	    "list [--folder F] [--pop3] [--maildir DIR]" },
	{ "read", 1, O_FOLDER | O_SOURCE | O_READ, ua_cmd_read,
	    "read N [--folder F] [--headers] [--raw] [--max-bytes N]" },
	{ "save", 3, O_FOLDER | O_SOURCE | O_READ, ua_cmd_save,
	    "save N PART FILE [--folder F]" },
	{ "search", -1, O_FOLDER | O_SEARCH, ua_cmd_search,
	    "search [QUERY] [--folder F] [--from X] [--subject Y] "
	    "[--since DATE]" },
	{ "fetch", 0, O_FETCH, ua_cmd_fetch,
	    "fetch --mode keep|delete [--maildir DIR]" },
	{ "folders", 0, 0, ua_cmd_folders, "folders" },
	{ "folder create", 1, 0, ua_cmd_folder_create, "folder create NAME" },
	{ "folder delete", 1, 0, ua_cmd_folder_delete, "folder delete NAME" },
	{ "folder rename", 2, 0, ua_cmd_folder_rename,
	    "folder rename OLD NEW" },
	{ "move", 2, O_FOLDER, ua_cmd_move, "move N FOLDER [--folder F]" },
	{ "flag", -1, O_FOLDER, ua_cmd_flag,
	    "flag N +Seen|-Seen|+Flagged|-Flagged|+Answered... [--folder F]" },
	{ "delete", 1, O_FOLDER, ua_cmd_delete, "delete N [--folder F]" },
	{ "reply", 1, O_FOLDER | O_SOURCE | O_COMPOSE | O_REPLY, ua_cmd_reply,
	    "reply N [--all] [--folder F] [--cc C] [--attach FILE]..." },
	{ "forward", 1, O_FOLDER | O_SOURCE | O_COMPOSE | O_REPLY,
	    ua_cmd_forward,
	    "forward N --to A [--inline] [--folder F] [--attach FILE]..." },
	{ "watch", 0, O_FOLDER | O_WATCH, ua_cmd_watch,
	    "watch [--interval 60s] [--exec CMD] [--count N]" },
};

enum opt_kind { K_FLAG, K_STR, K_MULTI, K_ACCT, K_NUM, K_DUR };

struct opt {
	const char	*name;
	enum opt_kind	 kind;
	unsigned	 group;
	size_t		 off;	/* into ua_opts, or the account key */
	const char	*key;	/* K_ACCT: the config key */
};

#define OO(f) offsetof(struct ua_opts, f)
static const struct opt opts[] = {
	{ "imap", K_ACCT, O_ACCT, 0, "imap" },
	{ "pop3-server", K_ACCT, O_ACCT, 0, "pop3" },
	{ "smtp", K_ACCT, O_ACCT, 0, "smtp" },
	{ "user", K_ACCT, O_ACCT, 0, "user" },
	{ "password-file", K_ACCT, O_ACCT, 0, "password_file" },
	{ "ca-file", K_ACCT, O_ACCT, 0, "ca_file" },
	{ "hostname", K_ACCT, O_ACCT, 0, "hostname" },
	{ "outbox-dir", K_ACCT, O_ACCT, 0, "outbox" },
	{ "to", K_MULTI, O_COMPOSE, OO(to), NULL },
	{ "cc", K_MULTI, O_COMPOSE, OO(cc), NULL },
	{ "bcc", K_MULTI, O_COMPOSE, OO(bcc), NULL },
	{ "attach", K_MULTI, O_COMPOSE, OO(attach), NULL },
	{ "subject", K_STR, O_COMPOSE | O_SEARCH, OO(subject), NULL },
	{ "from", K_STR, O_COMPOSE | O_SEARCH, OO(from), NULL },
	{ "folder", K_STR, O_FOLDER, OO(folder), NULL },
	{ "maildir", K_STR, O_SOURCE | O_FETCH, OO(maildir), NULL },
	{ "mode", K_STR, O_FETCH, OO(mode), NULL },
	{ "exec", K_STR, O_WATCH, OO(exec), NULL },
	{ "since", K_STR, O_SEARCH, OO(since), NULL },
	{ "interval", K_DUR, O_WATCH, OO(interval), NULL },
	{ "count", K_NUM, O_WATCH, OO(count), NULL },
	{ "max-bytes", K_NUM, O_READ, OO(max_bytes), NULL },
	{ "progress-fd", K_NUM, O_READ, OO(progress_fd), NULL },
	{ "headers", K_FLAG, O_READ, OO(headers), NULL },
	{ "raw", K_FLAG, O_READ, OO(raw), NULL },
	{ "all", K_FLAG, O_REPLY, OO(all), NULL },
	{ "inline", K_FLAG, O_REPLY, OO(inline_fwd), NULL },
};

void
ua_warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("postern: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: postern [--account NAME] [--config FILE] "
	    "[--imap H:P | --pop3 [H:P]] [--smtp H:P]\n"
	    "               [--user ADDR] [--password-file FILE] [--tls | "
	    "--starttls | --no-tls]\n"
	    "               [--insecure] [--ca-file FILE] COMMAND ...\n");
	fprintf(f, "  postern              (on a terminal: the full-screen "
	    "interface, ? for keys)\n");
	for (i = 0; i < nitems(cmds); i++)
		fprintf(f, "  postern %s\n", cmds[i].usage);
}

static int
number(const char *s, long *out)
{
	char *end;

	*out = strtol(s, &end, 10);
	return *s == '\0' || *end != '\0' || *out < 0 ? -1 : 0;
}

/* Parses "60", "60s", "5m", "1h". */
static int
interval(const char *s, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || v <= 0)
		return -1;
	if (*end == 'm')
		v *= 60, end++;
	else if (*end == 'h')
		v *= 3600, end++;
	else if (*end == 's')
		end++;
	*out = v;
	return *end == '\0' ? 0 : -1;
}

struct pending_acct {
	const char	*key, *value;
};

/*
 * Splits argv into options and positional words. "--pop3" alone selects
 * POP3; "--pop3 HOST:PORT" (a value with ':') also names the server.
 * Words such as "-Seen" are positional: only "--" starts an option.
 */
static int
parse_args(int argc, char **argv, struct ua_ctx *c, unsigned *used_out,
    size_t *nused,
    const char **cfg_out, const char **acct_out,
    struct pending_acct *pend, size_t *npend)
{
	struct ua_opts *o = &c->opt;
	int i;
	size_t j;

	o->args = xcalloc((size_t)argc + 1, sizeof(char *));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *name = a + 2;
		const struct opt *op = NULL;

		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			o->args[o->nargs++] = argv[i];
			continue;
		}
		if (!strcmp(name, "help")) {
			usage(stdout);
			exit(UA_EXIT_OK);
		}
		if (!strcmp(name, "config") || !strcmp(name, "account")) {
			if (++i == argc)
				goto missing;
			*(!strcmp(name, "config") ? cfg_out : acct_out) =
			    argv[i];
			continue;
		}
		if (!strcmp(name, "tls") || !strcmp(name, "starttls") ||
		    !strcmp(name, "no-tls")) {
			pend[(*npend)++] = (struct pending_acct){ "tls",
			    name[0] == 't' ? "tls" : name[0] == 's' ?
			    "starttls" : "none" };
			continue;
		}
		if (!strcmp(name, "insecure")) {
			pend[(*npend)++] = (struct pending_acct){ "insecure",
			    "yes" };
			continue;
		}
		if (!strcmp(name, "pop3")) {
			/* With a value it only names the server (fetch
			 * takes it too); alone it picks POP3 as source. */
			o->pop3 = 1;
			if (i + 1 < argc && strchr(argv[i + 1], ':') &&
			    strncmp(argv[i + 1], "--", 2) != 0)
				pend[(*npend)++] = (struct pending_acct){
				    "pop3", argv[++i] };
			else
				used_out[(*nused)++] = O_SOURCE;
			continue;
		}
		for (j = 0; j < nitems(opts); j++)
			if (!strcmp(opts[j].name, name))
				op = &opts[j];
		if (op == NULL) {
			ua_warnx("unknown option %s", a);
			return -1;
		}
		used_out[(*nused)++] = op->group;
		if (op->kind == K_FLAG) {
			*(int *)((char *)o + op->off) = 1;
			continue;
		}
		if (++i == argc)
			goto missing;
		if (op->kind == K_ACCT)
			pend[(*npend)++] = (struct pending_acct){ op->key,
			    argv[i] };
		else if (op->kind == K_STR)
			*(const char **)((char *)o + op->off) = argv[i];
		else if (op->kind == K_MULTI) {
			struct ua_strs *s = (void *)((char *)o + op->off);
			s->v = xreallocarray(s->v, s->n + 1, sizeof(char *));
			s->v[s->n++] = argv[i];
		} else if (op->kind == K_DUR) {
			if (interval(argv[i], (long *)((char *)o + op->off))
			    == -1) {
				ua_warnx("--interval: bad duration %s",
				    argv[i]);
				return -1;
			}
		} else {
			long v;
			if (number(argv[i], &v) == -1) {
				ua_warnx("%s: expected a number", a);
				return -1;
			}
			if (!strcmp(name, "count"))
				o->count = v;
			else if (!strcmp(name, "progress-fd"))
				o->progress_fd = v;
			else
				o->max_bytes = (size_t)v;
		}
	}
	return 0;
missing:
	ua_warnx("%s needs a value", argv[i - 1]);
	return -1;
}

/* Finds the row whose words start the positional arguments. */
static const struct cmd *
lookup(struct ua_opts *o, size_t *words_out)
{
	size_t i, w;

	for (i = 0; i < nitems(cmds); i++) {
		char *pat = xstrdup(cmds[i].pattern), *t, *sv;
		int match = 1;

		w = 0;
		for (t = strtok_r(pat, " ", &sv); t != NULL && match;
		    t = strtok_r(NULL, " ", &sv))
			match = w < o->nargs && strcmp(o->args[w++], t) == 0;
		free(pat);
		if (match) {
			*words_out = w;
			return &cmds[i];
		}
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct ua_ctx c;
	struct pending_acct *pend;
	const struct cmd *cmd;
	const char *cfg = NULL, *acct = NULL, *es;
	char *defcfg = NULL, err[512];
	unsigned *used;
	size_t npend = 0, nused = 0, i, words = 0;
	int rc;

	/* A peer closing on us is an error to report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	memset(&c, 0, sizeof(c));
	c.opt.interval = 60;
	pend = xcalloc((size_t)argc + 1, sizeof(*pend));
	used = xcalloc((size_t)argc + 1, sizeof(*used));
	if (parse_args(argc, argv, &c, used, &nused, &cfg, &acct, pend, &npend)
	    == -1) {
		rc = UA_EXIT_ERR;
		goto out;
	}
	if (c.opt.nargs == 0 && (!isatty(STDIN_FILENO) ||
	    !isatty(STDOUT_FILENO))) {
		usage(stderr);
		rc = UA_EXIT_ERR;
		goto out;
	}
	if (c.opt.nargs == 0) {
		/* No command: the full-screen interface, which runs the
		 * commands above as child processes. */
		c.argc = argc;
		c.argv = argv;
		rc = ua_tui(&c);
		goto out;
	}
	if ((cmd = lookup(&c.opt, &words)) == NULL) {
		ua_warnx("unknown command %s", c.opt.args[0]);
		usage(stderr);
		rc = UA_EXIT_ERR;
		goto out;
	}
	c.opt.args += words;
	c.opt.nargs -= words;
	for (i = 0; i < nused; i++)
		if ((used[i] & (cmd->opts | O_ACCT)) == 0)
			break;
	if ((cmd->nargs >= 0 && c.opt.nargs != (size_t)cmd->nargs) ||
	    i < nused) {
		ua_warnx("usage: postern %s", cmd->usage);
		c.opt.args -= words;
		rc = UA_EXIT_ERR;
		goto out;
	}
	if (cfg == NULL)
		cfg = getenv("POSTERN_CONFIG");
	if (cfg == NULL)
		cfg = defcfg = ua_account_default_path();
	if (ua_account_load(cfg, acct, defcfg == NULL, &c.acct, err,
	    sizeof(err)) == -1) {
		ua_warnx("%s", err);
		rc = UA_EXIT_ERR;
		goto back;
	}
	for (i = 0; i < npend; i++)
		if (ua_account_set(&c.acct, pend[i].key, pend[i].value, &es)
		    == -1) {
			ua_warnx("--%s: %s", pend[i].key, es);
			rc = UA_EXIT_ERR;
			goto back;
		}
	ua_account_defaults(&c.acct);
	rc = cmd->run(&c);
back:
	c.opt.args -= words;
out:
	ua_account_free(&c.acct);
	free(c.opt.args);
	free(c.opt.to.v);
	free(c.opt.cc.v);
	free(c.opt.bcc.v);
	free(c.opt.attach.v);
	free(pend);
	free(used);
	free(defcfg);
	return rc;
}
