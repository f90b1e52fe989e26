/*
 * params.c: ESMTP MAIL/RCPT parameters (see params.h). Runs in the smtp
 * role process on untrusted input.
 */
#include "smtpd/params.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define R_SYNTAX	"501 5.5.4 Syntax error in parameters"
#define R_DUP		"501 5.5.4 Duplicate parameter"
#define R_UNKNOWN	"555 5.5.4 Unsupported parameter"
#define R_BADVAL	"501 5.5.4 Invalid parameter value"

struct param {
	const char	*key;
	size_t		 keylen;
	const char	*val;	/* NULL: no "=" */
	size_t		 vallen;
};

/*
 * Next " keyword[=value]" from *p (RFC 5321 §4.1.2 esmtp-param): 1 with
 * *out set, 0 at the end, -1 on bad syntax.
 */
static int
param_next(const char **p, const char *end, struct param *out)
{
	const char *s = *p;

	if (s == end)
		return 0;
	if (*s != ' ')
		return -1;
	while (s < end && *s == ' ')
		s++;
	if (s == end)
		return 0;	/* trailing spaces: tolerated */
	out->key = s;
	while (s < end && (isalnum((unsigned char)*s) ||
	    (*s == '-' && s > out->key)))
		s++;
	out->keylen = (size_t)(s - out->key);
	if (out->keylen == 0)
		return -1;
	out->val = NULL;
	out->vallen = 0;
	if (s < end && *s == '=') {
		s++;
		out->val = s;
		/* esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 per RFC 6531 */
		while (s < end && (unsigned char)*s > 32 && *s != '=' &&
		    *s != 0x7f)
			s++;
		out->vallen = (size_t)(s - out->val);
		if (out->vallen == 0)
			return -1;
	}
	if (s < end && *s != ' ')
		return -1;
	*p = s;
	return 1;
}

static bool
key_is(const struct param *pr, const char *name)
{
	return strlen(name) == pr->keylen &&
	    strncasecmp(pr->key, name, pr->keylen) == 0;
}

static bool
val_is(const struct param *pr, const char *name)
{
	return pr->val != NULL && strlen(name) == pr->vallen &&
	    strncasecmp(pr->val, name, pr->vallen) == 0;
}

int
smtpd_xtext_valid(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			if (len - i < 3)
				return 0;
			if (!isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]))
				return 0;
			i += 2;
		} else if (c < 33 || c > 126 || c == '=')
			return 0;
	}
	return 1;
}

static int
copy_val(char *dst, size_t dstsize, const struct param *pr)
{
	if (pr->val == NULL || pr->vallen >= dstsize)
		return -1;
	memcpy(dst, pr->val, pr->vallen);
	dst[pr->vallen] = '\0';
	return 0;
}

/* RFC 1870 §3: size-value = 1*20DIGIT; must fit in 64 bits. */
static int
parse_size(const struct param *pr, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (pr->val == NULL || pr->vallen > 20)
		return -1;
	for (i = 0; i < pr->vallen; i++) {
		unsigned d;

		if (pr->val[i] < '0' || pr->val[i] > '9')
			return -1;
		d = (unsigned)(pr->val[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
smtpd_mail_params_parse(const char *s, size_t len,
    struct smtpd_mail_params *out, const char **reply_out)
{
	const char *p = s, *end = s + len;
	struct param pr;
	bool seen_ret = false, seen_envid = false, seen_auth = false;
	int r;

	memset(out, 0, sizeof(*out));
	while ((r = param_next(&p, end, &pr)) == 1) {
		if (key_is(&pr, "SIZE")) {
			if (out->has_size) {
				*reply_out = R_DUP;
				return -1;
			}
			if (parse_size(&pr, &out->size) == -1) {
				*reply_out = R_BADVAL;
				return -1;
			}
			out->has_size = 1;
		} else if (key_is(&pr, "BODY")) {
			if (out->body != SMTPD_BODY_NONE) {
				*reply_out = R_DUP;
				return -1;
			}
			if (val_is(&pr, "7BIT"))
				out->body = SMTPD_BODY_7BIT;
			else if (val_is(&pr, "8BITMIME"))
				out->body = SMTPD_BODY_8BITMIME;
			else {
				/* BINARYMIME is not offered (RFC 3030 §3). */
				*reply_out = "555 5.5.4 Unsupported BODY type";
				return -1;
			}
		} else if (key_is(&pr, "SMTPUTF8")) {
			if (out->smtputf8) {
				*reply_out = R_DUP;
				return -1;
			}
			if (pr.val != NULL) {	/* RFC 6531 §3.4: no value */
				*reply_out = R_BADVAL;
				return -1;
			}
			out->smtputf8 = 1;
		} else if (key_is(&pr, "RET")) {
			if (seen_ret) {
				*reply_out = R_DUP;
				return -1;
			}
			seen_ret = true;
			if (val_is(&pr, "FULL"))
				out->ret = SMTPD_RET_FULL;
			else if (val_is(&pr, "HDRS"))
				out->ret = SMTPD_RET_HDRS;
			else {
				*reply_out = R_BADVAL;
				return -1;
			}
		} else if (key_is(&pr, "ENVID")) {
			if (seen_envid) {
				*reply_out = R_DUP;
				return -1;
			}
			seen_envid = true;
			if (copy_val(out->envid, sizeof(out->envid),
			    &pr) == -1 ||
			    !smtpd_xtext_valid(pr.val, pr.vallen)) {
				*reply_out = R_BADVAL;
				return -1;
			}
		} else if (key_is(&pr, "AUTH")) {
			if (seen_auth) {
				*reply_out = R_DUP;
				return -1;
			}
			seen_auth = true;
			if (copy_val(out->auth, sizeof(out->auth), &pr) == -1 ||
			    !smtpd_xtext_valid(pr.val, pr.vallen)) {
				*reply_out = R_BADVAL;
				return -1;
			}
		} else {
			*reply_out = R_UNKNOWN;
			return -1;
		}
	}
	if (r == -1) {
		*reply_out = R_SYNTAX;
		return -1;
	}
	return 0;
}

/* NOTIFY = "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) (RFC 3461 §4.1). */
static int
parse_notify(const struct param *pr, unsigned *out)
{
	const char *p = pr->val, *end, *comma;
	unsigned bits = 0;

	if (p == NULL)
		return -1;
	end = p + pr->vallen;
	while (p < end) {
		size_t n;
		unsigned bit;

		comma = memchr(p, ',', (size_t)(end - p));
		n = (size_t)((comma ? comma : end) - p);
		if (n == 5 && strncasecmp(p, "NEVER", 5) == 0)
			bit = SMTPD_NOTIFY_NEVER;
		else if (n == 7 && strncasecmp(p, "SUCCESS", 7) == 0)
			bit = SMTPD_NOTIFY_SUCCESS;
		else if (n == 7 && strncasecmp(p, "FAILURE", 7) == 0)
			bit = SMTPD_NOTIFY_FAILURE;
		else if (n == 5 && strncasecmp(p, "DELAY", 5) == 0)
			bit = SMTPD_NOTIFY_DELAY;
		else
			return -1;
		if (bits & bit)
			return -1;
		bits |= bit;
		if (comma == NULL)
			break;
		p = comma + 1;
		if (p == end)
			return -1;	/* trailing comma */
	}
	/* NEVER excludes every other keyword. */
	if ((bits & SMTPD_NOTIFY_NEVER) && bits != SMTPD_NOTIFY_NEVER)
		return -1;
	*out = bits;
	return 0;
}

/* ORCPT = addr-type ";" xtext (RFC 3461 §4.2); addr-type is an atom. */
static int
orcpt_valid(const char *s, size_t len)
{
	const char *semi = memchr(s, ';', len);
	const char *p;

	if (semi == NULL || semi == s || semi + 1 == s + len)
		return 0;
	for (p = s; p < semi; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return 0;
	p = semi + 1;
	/* utf-8-addr-xtext (RFC 6533 §3) also admits UTF-8 octets. */
	if ((size_t)(semi - s) == 5 && strncasecmp(s, "utf-8", 5) == 0) {
		for (; p < s + len; p++)
			if ((unsigned char)*p < 33 || *p == '=' || *p == 0x7f)
				return 0;
		return 1;
	}
	return smtpd_xtext_valid(p, (size_t)(s + len - p));
}

int
smtpd_rcpt_params_parse(const char *s, size_t len,
    struct smtpd_rcpt_params *out, const char **reply_out)
{
	const char *p = s, *end = s + len;
	struct param pr;
	bool seen_notify = false;
	int r;

	memset(out, 0, sizeof(*out));
	while ((r = param_next(&p, end, &pr)) == 1) {
		if (key_is(&pr, "NOTIFY")) {
			if (seen_notify) {
				*reply_out = R_DUP;
				return -1;
			}
			seen_notify = true;
			if (parse_notify(&pr, &out->notify) == -1) {
				*reply_out = R_BADVAL;
				return -1;
			}
		} else if (key_is(&pr, "ORCPT")) {
			if (out->orcpt[0] != '\0') {
				*reply_out = R_DUP;
				return -1;
			}
			if (copy_val(out->orcpt, sizeof(out->orcpt),
			    &pr) == -1 ||
			    !orcpt_valid(pr.val, pr.vallen)) {
				*reply_out = R_BADVAL;
				return -1;
			}
		} else {
			*reply_out = R_UNKNOWN;
			return -1;
		}
	}
	if (r == -1) {
		*reply_out = R_SYNTAX;
		return -1;
	}
	return 0;
}
