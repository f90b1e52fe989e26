/*
 * relayauth.c: data_dir/relay-auth lines (see relayauth.h).
 */
#include "queue/relayauth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Reads the field at *pp (after blanks) into out (outlen bytes, NUL
 * added), moving *pp past it. 1: a field; 0: none left; -1: malformed.
 */
static int
field(const char **pp, const char *end, char *out, size_t outlen,
    const char **errstr_out)
{
	const char *p = *pp;
	bool quoted;
	size_t n = 0;

	while (p < end && blank(*p))
		p++;
	if (p == end) {
		*pp = p;
		return 0;
	}
	if ((quoted = *p == '"'))
		p++;
	for (;;) {
		char c;

		if (p == end) {
			if (quoted) {
				*errstr_out = "a quoted field has no closing"
				    " quote";
				return -1;
			}
			break;
		}
		c = *p;
		if (!quoted && blank(c))
			break;
		p++;
		if (c == '"') {
			if (!quoted) {
				*errstr_out = "a quote inside an unquoted field"
				    " (quote the whole field)";
				return -1;
			}
			if (p < end && !blank(*p)) {
				*errstr_out = "text right after a closing"
				    " quote";
				return -1;
			}
			break;
		}
		if (c == '\\' && quoted) {
			if (p == end || (*p != '"' && *p != '\\')) {
				*errstr_out = "in quotes a backslash goes only"
				    " before \" or \\";
				return -1;
			}
			c = *p++;
		}
		if (c == '\0' || c == '\r' || c == '\n') {
			*errstr_out = "a NUL, CR or LF byte";
			return -1;
		}
		if (n + 1 >= outlen) {
			*errstr_out = "a field too long";
			return -1;
		}
		out[n++] = c;
	}
	if (n == 0) {
		*errstr_out = "an empty field";
		return -1;
	}
	out[n] = '\0';
	*pp = p;
	return 1;
}

int
relay_auth_parse(const char *line, size_t len, struct relay_auth *out,
    const char **errstr_out)
{
	char hop[RELAY_AUTH_LINE_MAX], user[RELAY_AUTH_LINE_MAX];
	char pass[RELAY_AUTH_LINE_MAX], opt[RELAY_AUTH_LINE_MAX];
	const char *p = line, *end = line + len, *why = NULL;
	int r = -1, k;

	memset(out, 0, sizeof(*out));
	while (p < end && blank(*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	if (field(&p, end, hop, sizeof(hop), &why) != 1 ||
	    field(&p, end, user, sizeof(user), &why) != 1 ||
	    field(&p, end, pass, sizeof(pass), &why) != 1)
		goto out;
	if ((k = field(&p, end, opt, sizeof(opt), &why)) == -1)
		goto out;
	if (k == 1 && strcmp(opt, "verify") != 0) {
		why = "the fourth field can only be \"verify\"";
		goto out;
	}
	if (k == 1 && field(&p, end, opt, sizeof(opt), &why) != 0) {
		why = "more than four fields";
		goto out;
	}
	out->nexthop = xstrdup(hop);
	out->user = xstrdup(user);
	out->pass = xstrdup(pass);
	out->verify = k == 1;
	r = 1;
out:
	if (r == -1)
		*errstr_out = why ? why : "want HOST:PORT USER PASSWORD"
		    " [verify]";
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(opt, sizeof(opt));
	return r;
}

void
relay_auth_clear(struct relay_auth *a)
{
	free(a->nexthop);
	free(a->user);
	if (a->pass != NULL) {
		explicit_bzero(a->pass, strlen(a->pass));
		free(a->pass);
	}
	memset(a, 0, sizeof(*a));
}

void
relay_auth_free(struct relay_auth *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		relay_auth_clear(&v[i]);
	free(v);
}

int
relay_auth_load(const char *path, struct relay_auth **v_out, size_t *n_out,
    relay_auth_bad_fn bad, void *arg)
{
	char line[RELAY_AUTH_LINE_MAX + 1];
	struct relay_auth *v = NULL, a;
	const char *why;
	unsigned lineno = 0;
	size_t n = 0;
	FILE *f;

	*v_out = NULL;
	*n_out = 0;
	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);
		bool whole = len > 0 && line[len - 1] == '\n';

		lineno++;
		if (!whole && !feof(f)) {
			int c;
			while ((c = getc(f)) != EOF && c != '\n')
				;
			bad(arg, path, lineno, "a line too long");
			continue;
		}
		if (whole)
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		switch (relay_auth_parse(line, len, &a, &why)) {
		case 1:
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = a;
			break;
		case -1:
			bad(arg, path, lineno, why);
			break;
		}
	}
	explicit_bzero(line, sizeof(line));
	if (ferror(f)) {
		int saved = errno;
		fclose(f);
		relay_auth_free(v, n);
		errno = saved;
		return -1;
	}
	fclose(f);
	*v_out = v;
	*n_out = n;
	return 0;
}
