/*
 * config.c: the config parser (see config.h and shared/INTERFACE.md).
 *
 * One table row per key: its name, its kind and where the value goes. Adding
 * a key is adding a row and a struct field; defaults are the table's text, so
 * they go through the same parser as the file does.
 */
#include "lib/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/units.h"
#include "lib/util.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_LINE_MAX 4096

enum kind {
	K_STRING,
	K_PATH,
	K_LIST,
	K_LISTEN,
	K_HOSTPORT,	/* empty allowed */
	K_DURATION,
	K_SIZE,
	K_PORT,
	K_CIDRS,
	K_PLAINAUTH,
	K_DELIM,	/* "" or one character that may split a local part */
	K_DAYS,		/* "never" (-1) or a whole number of days */
	K_DELAY,	/* a duration of at most DELAY_MAX */
};

#define DELAY_MAX	86400	/* pop3_login_delay: a day at most */

struct key {
	const char	*name;
	enum kind	 kind;
	size_t		 off;
	const char	*def;	/* NULL: computed (hostname) */
};

#define F(field) offsetof(struct config, field)
static const struct key keys[] = {
	{ "user",		K_STRING,	F(user),		"" },
	{ "hostname",		K_STRING,	F(hostname),		NULL },
	{ "domains",		K_LIST,		F(domains),		"localhost" },
	{ "data_dir",		K_PATH,		F(data_dir),		"var" },
	{ "smtp_listen",	K_LISTEN,	F(smtp_listen),		"127.0.0.1:2525" },
	{ "submission_listen",	K_LISTEN,	F(submission_listen),	"127.0.0.1:2587" },
	{ "submissions_listen",	K_LISTEN,	F(submissions_listen),	"127.0.0.1:2465" },
	{ "pop3_listen",	K_LISTEN,	F(pop3_listen),		"127.0.0.1:2110" },
	{ "pop3s_listen",	K_LISTEN,	F(pop3s_listen),	"127.0.0.1:2995" },
	{ "imap_listen",	K_LISTEN,	F(imap_listen),		"127.0.0.1:2143" },
	{ "imaps_listen",	K_LISTEN,	F(imaps_listen),	"127.0.0.1:2993" },
	{ "tls_cert",		K_PATH,		F(tls_cert),		"" },
	{ "tls_key",		K_PATH,		F(tls_key),		"" },
	{ "relay_networks",	K_CIDRS,	F(relay_networks),	"" },
	{ "max_message_size",	K_SIZE,		F(max_message_size),	"25M" },
	{ "queue_interval",	K_DURATION,	F(queue_interval),	"15m" },
	{ "queue_lifetime",	K_DURATION,	F(queue_lifetime),	"5d" },
	{ "delay_warning",	K_DURATION,	F(delay_warning),	"4h" },
	{ "dns_server",		K_HOSTPORT,	F(dns_server),		"" },
	{ "remote_smtp_port",	K_PORT,		F(remote_smtp_port),	"25" },
	{ "plaintext_auth",	K_PLAINAUTH,	F(plaintext_auth),	"loopback" },
	{ "recipient_delimiter", K_DELIM,	F(recipient_delimiter),	"+" },
	{ "pop3_expire",	K_DAYS,		F(pop3_expire),		"never" },
	{ "pop3_login_delay",	K_DELAY,	F(pop3_login_delay),	"0" },
};
#undef F

struct parse {
	struct config	*cfg;
	const char	*name;
	const char	*basedir;
	unsigned	 line;
	char		*err;
	size_t		 errlen;
	unsigned char	 seen[sizeof(keys) / sizeof(keys[0])];
};

static int
fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (p->line > 0)
		n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->name);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
list_free(struct config_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Splits value on white space into l (replacing what it held). */
static void
list_set(struct config_list *l, const char *value)
{
	const char *s = value;

	list_free(l);
	for (;;) {
		size_t n;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		n = 0;
		while (s[n] != '\0' && !isspace((unsigned char)s[n]))
			n++;
		l->items = xreallocarray(l->items, l->n + 1, sizeof(char *));
		l->items[l->n++] = xstrndup(s, n);
		s += n;
	}
}

int
config_hostport_split(const char *s, char *host_out, size_t hostlen,
    uint16_t *port_out, const char **errstr_out)
{
	const char *colon, *hs = s;
	size_t hl;

	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':') {
			*errstr_out = "expected [IPV6]:PORT";
			return -1;
		}
		hs = s + 1;
		hl = (size_t)(close - hs);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			*errstr_out = "expected HOST:PORT";
			return -1;
		}
		hl = (size_t)(colon - s);
		if (memchr(s, ':', hl) != NULL) {
			*errstr_out = "IPv6 addresses go in brackets: [ADDR]:PORT";
			return -1;
		}
	}
	if (hl == 0) {
		*errstr_out = "missing host";
		return -1;
	}
	if (hl >= hostlen) {
		*errstr_out = "host name too long";
		return -1;
	}
	memcpy(host_out, hs, hl);
	host_out[hl] = '\0';
	return units_port_parse(colon + 1, port_out, errstr_out);
}

static int
check_hostport(struct parse *p, const char *key, const char *v)
{
	char host[256];
	uint16_t port;
	const char *errstr;

	if (config_hostport_split(v, host, sizeof(host), &port, &errstr) == -1)
		return fail(p, "%s: %s: %s", key, v, errstr);
	return 0;
}

static char *
make_path(struct parse *p, const char *v)
{
	if (*v == '\0' || *v == '/' || p->basedir == NULL ||
	    strcmp(p->basedir, ".") == 0)
		return xstrdup(v);
	return xasprintf("%s/%s", p->basedir, v);
}

static int
set_value(struct parse *p, const struct key *k, const char *v)
{
	void *field = (char *)p->cfg + k->off;
	const char *errstr = NULL;

	switch (k->kind) {
	case K_STRING:
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	case K_DELIM:
		if (strlen(v) > 1 || (v[0] != '\0' && (strchr("@\"\\ ", v[0]) ||
		    (unsigned char)v[0] < 0x21 || (unsigned char)v[0] > 0x7e)))
			return fail(p, "%s: '%s': expected one character "
			    "(not @, quote, backslash) or nothing", k->name, v);
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	case K_PATH:
		free(*(char **)field);
		*(char **)field = make_path(p, v);
		return 0;
	case K_LIST:
		list_set(field, v);
		return 0;
	case K_LISTEN: {
		struct config_list l = { NULL, 0 };
		list_set(&l, v);
		for (size_t i = 0; i < l.n; i++)
			if (check_hostport(p, k->name, l.items[i]) == -1) {
				list_free(&l);
				return -1;
			}
		list_free(field);
		*(struct config_list *)field = l;
		return 0;
	}
	case K_HOSTPORT:
		if (*v != '\0' && check_hostport(p, k->name, v) == -1)
			return -1;
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	case K_DURATION:
	case K_DELAY:
		if (units_duration_parse(v, field, &errstr) == -1)
			return fail(p, "%s: bad duration '%s': %s (use s, m, h, d)",
			    k->name, v, errstr);
		if (k->kind == K_DELAY && *(int64_t *)field > DELAY_MAX)
			return fail(p, "%s: '%s': at most %ds", k->name, v,
			    DELAY_MAX);
		return 0;
	case K_SIZE:
		if (units_size_parse(v, field, &errstr) == -1)
			return fail(p, "%s: bad size '%s': %s (use K, M, G)",
			    k->name, v, errstr);
		return 0;
	case K_DAYS: {
		int64_t *days = field;
		uint64_t n;
		if (strcmp(v, "never") == 0) {
			*days = -1;
			return 0;
		}
		if (units_size_parse(v, &n, &errstr) == -1 ||
		    strspn(v, "0123456789") != strlen(v) || n > 36500)
			return fail(p, "%s: '%s': expected a number of days or "
			    "never", k->name, v);
		*days = (int64_t)n;
		return 0;
	}
	case K_PORT:
		if (units_port_parse(v, field, &errstr) == -1)
			return fail(p, "%s: '%s': %s", k->name, v, errstr);
		return 0;
	case K_CIDRS: {
		struct config_list l = { NULL, 0 };
		struct cidr *nets;
		list_set(&l, v);
		nets = xcalloc(l.n ? l.n : 1, sizeof(*nets));
		for (size_t i = 0; i < l.n; i++)
			if (cidr_parse(l.items[i], &nets[i], &errstr) == -1) {
				fail(p, "%s: '%s': %s", k->name, l.items[i],
				    errstr);
				free(nets);
				list_free(&l);
				return -1;
			}
		free(p->cfg->relay_networks);
		p->cfg->relay_networks = nets;
		p->cfg->nrelay_networks = l.n;
		list_free(&l);
		return 0;
	}
	case K_PLAINAUTH: {
		enum config_plaintext_auth *pa = field;
		if (strcmp(v, "never") == 0)
			*pa = CONFIG_PLAINTEXT_NEVER;
		else if (strcmp(v, "loopback") == 0)
			*pa = CONFIG_PLAINTEXT_LOOPBACK;
		else if (strcmp(v, "always") == 0)
			*pa = CONFIG_PLAINTEXT_ALWAYS;
		else
			return fail(p, "%s: '%s': expected never, loopback "
			    "or always", k->name, v);
		return 0;
	}
	}
	abort();
}

static int
valid_domain(const char *d)
{
	if (*d == '\0' || strlen(d) > 253)
		return 0;
	if (strcmp(d, "*") == 0)
		return 1;
	for (; *d != '\0'; d++)
		if (!isalnum((unsigned char)*d) && *d != '-' && *d != '.' &&
		    (unsigned char)*d < 0x80)
			return 0;
	return 1;
}

static int
set_route(struct parse *p, const char *domain, const char *v)
{
	struct config *cfg = p->cfg;
	size_t i;

	if (!valid_domain(domain))
		return fail(p, "route.%s: bad domain", domain);
	if (check_hostport(p, "route", v) == -1)
		return -1;
	for (i = 0; i < cfg->nroutes; i++)
		if (strcasecmp(cfg->routes[i].domain, domain) == 0)
			break;
	if (i == cfg->nroutes) {
		cfg->routes = xreallocarray(cfg->routes, cfg->nroutes + 1,
		    sizeof(*cfg->routes));
		cfg->routes[i].domain = xstrdup(domain);
		cfg->routes[i].nexthop = NULL;
		cfg->nroutes++;
	}
	free(cfg->routes[i].nexthop);
	cfg->routes[i].nexthop = xstrdup(v);
	return 0;
}

static int
parse_line(struct parse *p, char *line)
{
	char *eq, *key, *value;

	/* A '#' starts a comment only at the start of a line: values such as
	 * passwords-files paths may hold one. */
	line = str_trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL)
		return fail(p, "expected 'key = value'");
	*eq = '\0';
	key = str_trim(line);
	value = str_trim(eq + 1);
	if (*key == '\0')
		return fail(p, "missing key before '='");
	if (strncmp(key, "route.", 6) == 0)
		return set_route(p, key + 6, value);
	for (size_t i = 0; i < nitems(keys); i++) {
		if (strcmp(keys[i].name, key) != 0)
			continue;
		if (p->seen[i])
			return fail(p, "%s: set twice", key);
		p->seen[i] = 1;
		return set_value(p, &keys[i], value);
	}
	return fail(p, "unknown key '%s'", key);
}

static int
set_defaults(struct parse *p)
{
	char host[256];

	for (size_t i = 0; i < nitems(keys); i++) {
		if (keys[i].def == NULL)
			continue;
		if (set_value(p, &keys[i], keys[i].def) == -1)
			return -1;
	}
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		strlcpy_(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	p->cfg->hostname = xstrdup(host);
	return 0;
}

int
config_parse(const char *text, size_t len, const char *name,
    const char *basedir, struct config *cfg, char *err, size_t errlen)
{
	struct parse p;
	const char *s = text, *end = text + len;

	memset(cfg, 0, sizeof(*cfg));
	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.name = name;
	p.basedir = basedir;
	p.err = err;
	p.errlen = errlen;
	cfg->path = xstrdup(name);
	if (set_defaults(&p) == -1)
		goto bad;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		char line[CONFIG_LINE_MAX];

		p.line++;
		if (n >= sizeof(line)) {
			fail(&p, "line too long");
			goto bad;
		}
		if (memchr(s, '\0', n) != NULL) {
			fail(&p, "NUL byte in line");
			goto bad;
		}
		memcpy(line, s, n);
		line[n] = '\0';
		if (parse_line(&p, line) == -1)
			goto bad;
		s += n + (nl != NULL);
	}
	if (cfg->hostname[0] == '\0') {
		p.line = 0;
		fail(&p, "hostname must not be empty");
		goto bad;
	}
	if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
		p.line = 0;
		fail(&p, "tls_cert and tls_key go together: set both or neither");
		goto bad;
	}
	return 0;
bad:
	config_free(cfg);
	return -1;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct buf text;
	char dir[PATH_MAX], chunk[8192];
	const char *slash;
	FILE *f;
	size_t n;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&text, CONFIG_FILE_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&text, chunk, n) == -1) {
			snprintf(err, errlen, "%s: file too large", path);
			fclose(f);
			buf_free(&text);
			return -1;
		}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(f);
		buf_free(&text);
		return -1;
	}
	fclose(f);
	slash = strrchr(path, '/');
	if (slash == NULL)
		strlcpy_(dir, ".", sizeof(dir));
	else if (slash == path)
		strlcpy_(dir, "/", sizeof(dir));
	else if ((size_t)(slash - path) < sizeof(dir)) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	} else {
		snprintf(err, errlen, "%s: path too long", path);
		buf_free(&text);
		return -1;
	}
	r = config_parse(buf_cstr(&text), text.len, path, dir, cfg, err,
	    errlen);
	buf_free(&text);
	return r;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < nitems(keys); i++) {
		void *field = (char *)cfg + keys[i].off;
		switch (keys[i].kind) {
		case K_STRING:
		case K_DELIM:
		case K_PATH:
		case K_HOSTPORT:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case K_LIST:
		case K_LISTEN:
			list_free(field);
			break;
		default:
			break;
		}
	}
	free(cfg->hostname);
	cfg->hostname = NULL;
	free(cfg->relay_networks);
	cfg->relay_networks = NULL;
	cfg->nrelay_networks = 0;
	for (size_t i = 0; i < cfg->nroutes; i++) {
		free(cfg->routes[i].domain);
		free(cfg->routes[i].nexthop);
	}
	free(cfg->routes);
	cfg->routes = NULL;
	cfg->nroutes = 0;
	free(cfg->path);
	cfg->path = NULL;
}

const char *
config_route_lookup(const struct config *cfg, const char *domain)
{
	const char *star = NULL;

	for (size_t i = 0; i < cfg->nroutes; i++) {
		if (strcasecmp(cfg->routes[i].domain, domain) == 0)
			return cfg->routes[i].nexthop;
		if (strcmp(cfg->routes[i].domain, "*") == 0)
			star = cfg->routes[i].nexthop;
	}
	return star;
}
