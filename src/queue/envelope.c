/*
 * envelope.c: the envelope's text form (see envelope.h).
 *
 *   postern-queue 1
 *   id 0001A2B3C4D5E6F7
 *   arrival 1764210000
 *   sender alice@example.org          ("-" for the null path)
 *   body 8BITMIME
 *   rcpt bob@example.org 6 pending 0 0 0 - - 0
 *        ADDR NOTIFY STATUS ATTEMPTS LAST NEXT ORCPT ERROR EXPANDED
 *   (empty line)
 *
 * Optional lines: envid, ret, smtputf8, auth, client, helo, delay-notified.
 * Every value is escaped: bytes outside '!'..'~' and '%' become %XX, and a
 * value that is exactly "-" is written %2D, so "-" always means "none".
 */
#include "queue/envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define ENV_MAGIC "postern-queue 1"

static const char *status_names[] = {
	[QUEUE_RCPT_PENDING] = "pending",
	[QUEUE_RCPT_DEFERRED] = "deferred",
	[QUEUE_RCPT_DONE] = "done",
	[QUEUE_RCPT_FAILED] = "failed",
	[QUEUE_RCPT_BOUNCED] = "bounced",
};

void
queue_env_init(struct queue_envelope *env)
{
	memset(env, 0, sizeof(*env));
	env->sender = xstrdup("");
}

void
queue_env_free(struct queue_envelope *env)
{
	for (size_t i = 0; i < env->nrcpts; i++) {
		free(env->rcpts[i].addr);
		free(env->rcpts[i].orcpt);
		free(env->rcpts[i].error);
	}
	free(env->rcpts);
	free(env->sender);
	free(env->envid);
	free(env->auth);
	free(env->client);
	free(env->helo);
	memset(env, 0, sizeof(*env));
}

int
queue_env_add_rcpt(struct queue_envelope *env, const char *addr,
    const char *orcpt, unsigned notify)
{
	struct queue_rcpt *r;

	if (env->nrcpts >= QUEUE_RCPT_MAX)
		return -1;
	env->rcpts = xreallocarray(env->rcpts, env->nrcpts + 1,
	    sizeof(*env->rcpts));
	r = &env->rcpts[env->nrcpts++];
	memset(r, 0, sizeof(*r));
	r->addr = xstrdup(addr);
	r->orcpt = orcpt ? xstrdup(orcpt) : NULL;
	r->notify = notify;
	return 0;
}

const char *
queue_rcpt_status_name(enum queue_rcpt_status s)
{
	return (size_t)s < nitems(status_names) ? status_names[s] : "?";
}

bool
queue_env_finished(const struct queue_envelope *env)
{
	for (size_t i = 0; i < env->nrcpts; i++)
		if (env->rcpts[i].status != QUEUE_RCPT_DONE &&
		    env->rcpts[i].status != QUEUE_RCPT_BOUNCED)
			return false;
	return true;
}

static int
put_value(struct buf *out, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";

	if (v == NULL || *v == '\0')
		return buf_putc(out, '-');
	if (strcmp(v, "-") == 0)
		return buf_puts(out, "%2D");
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '%') {
			if (buf_putc(out, (char)*p) == -1)
				return -1;
			continue;
		}
		char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
		if (buf_append(out, e, 3) == -1)
			return -1;
	}
	return 0;
}

static int
put_line(struct buf *out, const char *key, const char *v)
{
	if (buf_puts(out, key) == -1 || buf_putc(out, ' ') == -1 ||
	    put_value(out, v) == -1 || buf_putc(out, '\n') == -1)
		return -1;
	return 0;
}

int
queue_env_format(const struct queue_envelope *env, struct buf *out)
{
	static const char *bodies[] = { "7BIT", "8BITMIME", "BINARYMIME" };
	char num[32];

	if (buf_puts(out, ENV_MAGIC "\n") == -1 ||
	    put_line(out, "id", env->id) == -1)
		return -1;
	snprintf(num, sizeof(num), "%lld", (long long)env->arrival);
	if (put_line(out, "arrival", num) == -1 ||
	    put_line(out, "sender", env->sender) == -1 ||
	    put_line(out, "body", bodies[env->body]) == -1)
		return -1;
	if (env->envid && put_line(out, "envid", env->envid) == -1)
		return -1;
	if (env->ret != QUEUE_RET_DEFAULT && put_line(out, "ret",
	    env->ret == QUEUE_RET_FULL ? "FULL" : "HDRS") == -1)
		return -1;
	if (env->smtputf8 && put_line(out, "smtputf8", "1") == -1)
		return -1;
	if (env->auth && put_line(out, "auth", env->auth) == -1)
		return -1;
	if (env->client && put_line(out, "client", env->client) == -1)
		return -1;
	if (env->helo && put_line(out, "helo", env->helo) == -1)
		return -1;
	if (env->delay_notified && put_line(out, "delay-notified", "1") == -1)
		return -1;
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct queue_rcpt *r = &env->rcpts[i];
		if (buf_puts(out, "rcpt ") == -1 ||
		    put_value(out, r->addr) == -1 ||
		    buf_printf(out, " %u %s %u %lld %lld ", r->notify,
			status_names[r->status], r->attempts,
			(long long)r->last_try, (long long)r->next_try) == -1 ||
		    put_value(out, r->orcpt) == -1 || buf_putc(out, ' ') == -1 ||
		    put_value(out, r->error) == -1 ||
		    buf_puts(out, r->expanded ? " 1\n" : " 0\n") == -1)
			return -1;
	}
	return buf_putc(out, '\n');
}

/* Decodes one escaped value; "-" gives NULL. */
static int
get_value(const char *s, size_t n, char **out)
{
	char *v, *d;

	*out = NULL;
	if (n == 1 && s[0] == '-')
		return 0;
	if (n == 0)
		return -1;
	v = d = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				goto bad;
			hi = hex_digit(s[i + 1]);
			lo = hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			*d++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (c > 0x20 && c < 0x7f)
			*d++ = (char)c;
		else
			goto bad;
	}
	*d = '\0';
	*out = v;
	return 0;
bad:
	free(v);
	return -1;
}

static int
get_num(const char *s, size_t n, long long min, long long max, long long *out)
{
	long long v = 0;

	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Splits line into at most max space-separated fields. */
static size_t
split(const char *line, size_t len, const char **f, size_t *fl, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		size_t start = i;
		while (i < len && line[i] != ' ')
			i++;
		f[n] = line + start;
		fl[n] = i - start;
		n++;
		if (i < len)
			i++;
		else
			break;
	}
	return i < len ? max + 1 : n;	/* max+1: too many fields */
}

static int
parse_rcpt(struct queue_envelope *env, const char **f, const size_t *fl)
{
	struct queue_rcpt r;
	long long v;
	size_t s;

	memset(&r, 0, sizeof(r));
	if (env->nrcpts >= QUEUE_RCPT_MAX)
		return -1;
	if (get_value(f[0], fl[0], &r.addr) == -1 || r.addr == NULL)
		goto bad;
	if (get_num(f[1], fl[1], 0, 0xff, &v) == -1)
		goto bad;
	r.notify = (unsigned)v;
	for (s = 0; s < nitems(status_names); s++)
		if (strlen(status_names[s]) == fl[2] &&
		    memcmp(status_names[s], f[2], fl[2]) == 0)
			break;
	if (s == nitems(status_names))
		goto bad;
	r.status = (enum queue_rcpt_status)s;
	if (get_num(f[3], fl[3], 0, 1000000, &v) == -1)
		goto bad;
	r.attempts = (unsigned)v;
	if (get_num(f[4], fl[4], 0, INT64_MAX / 2, &v) == -1)
		goto bad;
	r.last_try = v;
	if (get_num(f[5], fl[5], 0, INT64_MAX / 2, &v) == -1)
		goto bad;
	r.next_try = v;
	if (get_value(f[6], fl[6], &r.orcpt) == -1 ||
	    get_value(f[7], fl[7], &r.error) == -1)
		goto bad;
	if (fl[8] != 1 || (f[8][0] != '0' && f[8][0] != '1'))
		goto bad;
	r.expanded = f[8][0] == '1';
	env->rcpts = xreallocarray(env->rcpts, env->nrcpts + 1,
	    sizeof(*env->rcpts));
	env->rcpts[env->nrcpts++] = r;
	return 0;
bad:
	free(r.addr);
	free(r.orcpt);
	free(r.error);
	return -1;
}

static int
set_str(char **field, const char *s, size_t n)
{
	char *v;

	if (get_value(s, n, &v) == -1)
		return -1;
	free(*field);
	*field = v;
	return 0;
}

int
queue_env_parse(const char *data, size_t len, struct queue_envelope *env,
    size_t *used_out, const char **errstr_out)
{
	const char *p = data, *end;
	bool have_id = false, have_arrival = false;
	size_t limit = len < QUEUE_ENV_MAX ? len : QUEUE_ENV_MAX;

	queue_env_init(env);
	end = data + limit;
	for (unsigned lineno = 0;; lineno++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *f[10];
		size_t fl[10], n, ll;

		if (nl == NULL) {
			*errstr_out = "envelope not terminated";
			goto bad;
		}
		ll = (size_t)(nl - p);
		if (lineno == 0) {
			if (ll != strlen(ENV_MAGIC) ||
			    memcmp(p, ENV_MAGIC, ll) != 0) {
				*errstr_out = "not a postern queue file";
				goto bad;
			}
			p = nl + 1;
			continue;
		}
		if (ll == 0) {
			p = nl + 1;
			break;
		}
		n = split(p, ll, f, fl, 10);
		*errstr_out = "bad envelope line";
		if (n < 2 || n > 10)
			goto bad;
#define IS(k) (fl[0] == strlen(k) && memcmp(f[0], k, fl[0]) == 0)
		if (IS("rcpt")) {
			if (n != 10 || parse_rcpt(env, f + 1, fl + 1) == -1)
				goto bad;
		} else if (n != 2) {
			goto bad;
		} else if (IS("id")) {
			if (fl[1] != QUEUE_ID_LEN)
				goto bad;
			for (size_t i = 0; i < fl[1]; i++)
				if (hex_digit(f[1][i]) < 0)
					goto bad;
			memcpy(env->id, f[1], QUEUE_ID_LEN);
			env->id[QUEUE_ID_LEN] = '\0';
			have_id = true;
		} else if (IS("arrival")) {
			long long v;
			if (get_num(f[1], fl[1], 0, INT64_MAX / 2, &v) == -1)
				goto bad;
			env->arrival = v;
			have_arrival = true;
		} else if (IS("sender")) {
			char *v;
			if (get_value(f[1], fl[1], &v) == -1)
				goto bad;
			free(env->sender);
			env->sender = v ? v : xstrdup("");
		} else if (IS("body")) {
			if (fl[1] == 4 && memcmp(f[1], "7BIT", 4) == 0)
				env->body = QUEUE_BODY_7BIT;
			else if (fl[1] == 8 && memcmp(f[1], "8BITMIME", 8) == 0)
				env->body = QUEUE_BODY_8BITMIME;
			else if (fl[1] == 10 &&
			    memcmp(f[1], "BINARYMIME", 10) == 0)
				env->body = QUEUE_BODY_BINARYMIME;
			else
				goto bad;
		} else if (IS("ret")) {
			if (fl[1] == 4 && memcmp(f[1], "FULL", 4) == 0)
				env->ret = QUEUE_RET_FULL;
			else if (fl[1] == 4 && memcmp(f[1], "HDRS", 4) == 0)
				env->ret = QUEUE_RET_HDRS;
			else
				goto bad;
		} else if (IS("smtputf8")) {
			env->smtputf8 = true;
		} else if (IS("delay-notified")) {
			env->delay_notified = true;
		} else if (IS("envid")) {
			if (set_str(&env->envid, f[1], fl[1]) == -1)
				goto bad;
		} else if (IS("auth")) {
			if (set_str(&env->auth, f[1], fl[1]) == -1)
				goto bad;
		} else if (IS("client")) {
			if (set_str(&env->client, f[1], fl[1]) == -1)
				goto bad;
		} else if (IS("helo")) {
			if (set_str(&env->helo, f[1], fl[1]) == -1)
				goto bad;
		} else
			goto bad;
#undef IS
		p = nl + 1;
	}
	if (!have_id || !have_arrival) {
		*errstr_out = "envelope lacks id or arrival";
		goto bad;
	}
	if (env->nrcpts == 0) {
		*errstr_out = "envelope has no recipient";
		goto bad;
	}
	*used_out = (size_t)(p - data);
	return 0;
bad:
	queue_env_free(env);
	return -1;
}
