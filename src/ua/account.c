/*
 * account.c: account config file, defaults and passwords for `postern`
 * (see account.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "ua/account.h"

#define PASSWORD_MAX	1024
#define CONFIG_LINE_MAX	4096

static int
set_bool(int *out, const char *v, const char **errstr_out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
	    !strcmp(v, "0"))
		*out = 0;
	else {
		*errstr_out = "expected yes or no";
		return -1;
	}
	return 0;
}

static void
set_str(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

int
ua_account_set(struct ua_account *a, const char *key, const char *v,
    const char **errstr_out)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{ "imap", offsetof(struct ua_account, imap) },
		{ "pop3", offsetof(struct ua_account, pop3) },
		{ "smtp", offsetof(struct ua_account, smtp) },
		{ "user", offsetof(struct ua_account, user) },
		{ "password_file", offsetof(struct ua_account, password_file) },
		{ "password_command",
		    offsetof(struct ua_account, password_command) },
		{ "from", offsetof(struct ua_account, from) },
		{ "name", offsetof(struct ua_account, display_name) },
		{ "ca_file", offsetof(struct ua_account, ca_file) },
		{ "maildir", offsetof(struct ua_account, maildir) },
		{ "outbox", offsetof(struct ua_account, outbox) },
		{ "hostname", offsetof(struct ua_account, hostname) },
		{ "save_sent", offsetof(struct ua_account, save_sent) },
	};
	size_t i;

	for (i = 0; i < nitems(strs); i++)
		if (strcmp(key, strs[i].key) == 0) {
			set_str((char **)((char *)a + strs[i].off), v);
			return 0;
		}
	if (strcmp(key, "insecure") == 0)
		return set_bool(&a->insecure, v, errstr_out);
	if (strcmp(key, "tls") == 0) {
		if (!strcmp(v, "auto"))
			a->tls = UA_TLS_AUTO;
		else if (!strcmp(v, "none"))
			a->tls = UA_TLS_NONE;
		else if (!strcmp(v, "starttls"))
			a->tls = UA_TLS_STARTTLS;
		else if (!strcmp(v, "tls"))
			a->tls = UA_TLS_IMPLICIT;
		else {
			*errstr_out = "tls: expected auto, none, starttls "
			    "or tls";
			return -1;
		}
		return 0;
	}
	*errstr_out = "unknown key";
	return -1;
}

/* One parsed line: 0 blank, 1 key/value, 2 section; -1 syntax error. */
static int
parse_line(char *s, char **k_out, char **v_out, const char **errstr_out)
{
	char *eq;

	s = str_trim(s);
	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[') {
		size_t n = strlen(s);
		if (s[n - 1] != ']' || strncmp(s, "[account ", 9) != 0) {
			*errstr_out = "expected [account NAME]";
			return -1;
		}
		s[n - 1] = '\0';
		*k_out = str_trim(s + 9);
		if (**k_out == '\0') {
			*errstr_out = "empty account name";
			return -1;
		}
		return 2;
	}
	if ((eq = strchr(s, '=')) == NULL) {
		*errstr_out = "expected key = value";
		return -1;
	}
	*eq = '\0';
	*k_out = str_trim(s);
	*v_out = str_trim(eq + 1);
	return 1;
}

static int
is_path_key(const char *k)
{
	return !strcmp(k, "password_file") || !strcmp(k, "ca_file") ||
	    !strcmp(k, "maildir") || !strcmp(k, "outbox");
}

/*
 * "~/x" is under $HOME; any other relative path is relative to the
 * config file's folder, as in the server's config (INTERFACE.md).
 */
static char *
path_value(const char *cfgpath, char *v, char *out, size_t len)
{
	const char *home = getenv("HOME"), *slash;

	if (v[0] == '~' && v[1] == '/' && home != NULL)
		snprintf(out, len, "%s/%s", home, v + 2);
	else if (v[0] != '/' && (slash = strrchr(cfgpath, '/')) != NULL)
		snprintf(out, len, "%.*s/%s", (int)(slash - cfgpath), cfgpath,
		    v);
	else
		return v;
	return out;
}

/*
 * Two passes over the text: the first finds default_account (top level),
 * the second applies the top level and then the chosen section.
 */
int
ua_account_load(const char *path, const char *name, int must_exist,
    struct ua_account *a, char *err, size_t errlen)
{
	FILE *f;
	char line[CONFIG_LINE_MAX], pathbuf[CONFIG_LINE_MAX + 4096];
	char *k, *v, *want = NULL;
	const char *es = NULL;
	int pass, lineno, rc, found = 0, in_section;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !must_exist)
			return name == NULL ? 0 : (snprintf(err, errlen,
			    "%s: no account %s", path, name), -1);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (name != NULL)
		want = xstrdup(name);
	for (pass = 0; pass < 2; pass++) {
		rewind(f);
		lineno = 0;
		in_section = 0;
		while (fgets(line, sizeof(line), f) != NULL) {
			lineno++;
			if (strchr(line, '\n') == NULL && !feof(f)) {
				snprintf(err, errlen, "%s:%d: line too long",
				    path, lineno);
				goto fail;
			}
			rc = parse_line(line, &k, &v, &es);
			if (rc == -1) {
				snprintf(err, errlen, "%s:%d: %s", path,
				    lineno, es);
				goto fail;
			}
			if (rc == 2) {
				in_section = want != NULL &&
				    strcmp(k, want) == 0 ? 1 : -1;
				if (in_section == 1 && pass == 1) {
					found = 1;
					set_str(&a->name, k);
				}
				continue;
			}
			if (rc != 1)
				continue;
			if (strcmp(k, "default_account") == 0) {
				if (in_section != 0) {
					snprintf(err, errlen, "%s:%d: "
					    "default_account inside a section",
					    path, lineno);
					goto fail;
				}
				if (pass == 0 && name == NULL) {
					free(want);
					want = xstrdup(v);
				}
				continue;
			}
			if (pass == 0 || in_section == -1)
				continue;
			if (is_path_key(k))
				v = path_value(path, v, pathbuf,
				    sizeof(pathbuf));
			if (ua_account_set(a, k, v, &es) == -1) {
				snprintf(err, errlen, "%s:%d: %s: %s", path,
				    lineno, k, es);
				goto fail;
			}
		}
	}
	fclose(f);
	if (want != NULL && !found) {
		snprintf(err, errlen, "%s: no account %s", path, want);
		free(want);
		return -1;
	}
	free(want);
	return 0;
fail:
	fclose(f);
	free(want);
	return -1;
}

static char *
home_path(const char *xdg_var, const char *fallback, const char *rest)
{
	const char *x = getenv(xdg_var), *home = getenv("HOME");

	if (x != NULL && *x == '/')
		return xasprintf("%s/%s", x, rest);
	return xasprintf("%s/%s/%s", home ? home : ".", fallback, rest);
}

char *
ua_account_default_path(void)
{
	return home_path("XDG_CONFIG_HOME", ".config", "postern/config");
}

void
ua_account_defaults(struct ua_account *a)
{
	char host[256];

	if (a->outbox == NULL)
		a->outbox = home_path("XDG_DATA_HOME", ".local/share",
		    "postern/outbox");
	if (a->maildir == NULL)
		a->maildir = xasprintf("%s/Maildir", getenv("HOME") ?
		    getenv("HOME") : ".");
	if (a->hostname == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			strlcpy_(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		a->hostname = xstrdup(host);
	}
	if (a->from == NULL && a->user != NULL && strchr(a->user, '@'))
		a->from = xstrdup(a->user);
}

void
ua_account_free(struct ua_account *a)
{
	free(a->name);
	free(a->imap);
	free(a->pop3);
	free(a->smtp);
	free(a->user);
	free(a->password_file);
	free(a->password_command);
	free(a->from);
	free(a->display_name);
	free(a->ca_file);
	free(a->maildir);
	free(a->outbox);
	free(a->hostname);
	free(a->save_sent);
	if (a->password != NULL) {
		explicit_bzero(a->password, strlen(a->password));
		free(a->password);
	}
	memset(a, 0, sizeof(*a));
}

/* First line of f, without its line end, into a fresh string. */
static char *
read_first_line(FILE *f)
{
	char line[PASSWORD_MAX + 2];
	size_t n;

	if (fgets(line, sizeof(line), f) == NULL)
		return NULL;
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	return xstrdup(line);
}

static char *
prompt_password(const char *user, char *err, size_t errlen)
{
	struct termios old, noecho;
	FILE *tty;
	char *pw;

	if ((tty = fopen("/dev/tty", "r+")) == NULL) {
		snprintf(err, errlen, "no password_file or password_command, "
		    "and no terminal to ask on");
		return NULL;
	}
	fprintf(tty, "Password for %s: ", user ? user : "account");
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	pw = read_first_line(tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (pw == NULL)
		snprintf(err, errlen, "no password given");
	return pw;
}

const char *
ua_account_password(struct ua_account *a, char *err, size_t errlen)
{
	FILE *f;
	int st;

	if (a->password != NULL)
		return a->password;
	if (a->password_file != NULL) {
		if ((f = fopen(a->password_file, "r")) == NULL) {
			snprintf(err, errlen, "%s: %s", a->password_file,
			    strerror(errno));
			return NULL;
		}
		a->password = read_first_line(f);
		fclose(f);
		if (a->password == NULL)
			snprintf(err, errlen, "%s: empty", a->password_file);
	} else if (a->password_command != NULL) {
		if ((f = popen(a->password_command, "r")) == NULL) {
			snprintf(err, errlen, "password_command: %s",
			    strerror(errno));
			return NULL;
		}
		a->password = read_first_line(f);
		st = pclose(f);
		if (st != 0 || a->password == NULL) {
			snprintf(err, errlen, "password_command failed");
			free(a->password);
			a->password = NULL;
		}
	} else
		a->password = prompt_password(a->user, err, errlen);
	return a->password;
}

static int
is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0
	    || strcmp(host, "::1") == 0;
}

int
ua_account_endpoint(const struct ua_account *a, enum ua_service svc,
    char *host, size_t hostlen, char *port, size_t portlen,
    enum ua_tls *tls_out, char *err, size_t errlen)
{
	static const char *names[] = { "imap", "pop3", "smtp" };
	static const char *plain[] = { "143", "110", "587" };
	static const char *implicit[] = { "993", "995", "465" };
	const char *hp = svc == UA_SVC_IMAP ? a->imap :
	    svc == UA_SVC_POP3 ? a->pop3 : a->smtp;
	const char *colon, *h = hp, *p = NULL;
	size_t hlen;

	if (hp == NULL || *hp == '\0') {
		snprintf(err, errlen, "no %s server: set %s in the config "
		    "or use --%s HOST:PORT", names[svc], names[svc],
		    names[svc]);
		return -1;
	}
	if (*hp == '[') {
		colon = strchr(hp, ']');
		if (colon == NULL)
			goto bad;
		h = hp + 1;
		hlen = (size_t)(colon - h);
		if (colon[1] == ':')
			p = colon + 2;
		else if (colon[1] != '\0')
			goto bad;
	} else if ((colon = strrchr(hp, ':')) != NULL &&
	    strchr(hp, ':') == colon) {
		hlen = (size_t)(colon - hp);
		p = colon + 1;
	} else
		hlen = strlen(hp);
	if (hlen == 0 || hlen >= hostlen || (p != NULL &&
	    (*p == '\0' || strlen(p) >= portlen ||
	    strspn(p, "0123456789") != strlen(p))))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (p == NULL)
		p = a->tls == UA_TLS_IMPLICIT ? implicit[svc] : plain[svc];
	strlcpy_(port, p, portlen);
	*tls_out = a->tls;
	if (a->tls == UA_TLS_AUTO) {
		if (strcmp(port, implicit[svc]) == 0)
			*tls_out = UA_TLS_IMPLICIT;
		else if (is_loopback(host))
			*tls_out = UA_TLS_NONE;
		else
			*tls_out = UA_TLS_STARTTLS;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: bad HOST:PORT '%s'", names[svc], hp);
	return -1;
}
