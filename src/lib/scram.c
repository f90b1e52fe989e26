/*
 * scram.c: SCRAM-SHA-256 (RFC 5802, RFC 7677) client and server state
 * machines (see scram.h). Crypto is OpenSSL's: PBKDF2, HMAC, SHA-256,
 * RAND_bytes, CRYPTO_memcmp. Runs in the smtp, pop3 and imap role
 * processes, in smtpc (queue process) and in the user agent.
 */
#include "lib/scram.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "lib/sasl.h"
#include "lib/util.h"

/* RFC 5802 §5.1: most attributes a message has (ours have 3-4 and a few
 * extensions). */
#define ATTR_MAX	16

enum scram_step {
	STEP_NEW,		/* waiting for client-first */
	STEP_FIRST,		/* client-first taken, server-first next */
	STEP_FINAL,		/* server-first sent, client-final next */
	STEP_DONE,		/* over (either way) */
};

struct scram_server {
	enum scram_step	 step;
	bool		 fake;
	size_t		 gs2_len;	/* the GS2 header, up to its 2nd ',' */
	char		 gs2[SCRAM_MSG_MAX + 1];
	char		 user[SCRAM_FIELD_MAX + 1];
	char		 cnonce[SCRAM_NONCE_MAX + 1];
	char		 nonce[2 * SCRAM_NONCE_MAX + 1];	/* c + s */
	char		 bare[SCRAM_MSG_MAX + 1];	/* client-first-bare */
	char		 sfirst[SCRAM_MSG_MAX + 1];	/* server-first */
	struct scram_creds creds;
};

struct scram_client {
	enum scram_step	 step;
	char		 user[SCRAM_FIELD_MAX + 1];
	char		 pass[SCRAM_FIELD_MAX + 1];
	char		 cnonce[SCRAM_NONCE_MAX + 1];
	char		 bare[SCRAM_MSG_MAX + 1];
	unsigned char	 server_sig[SCRAM_KEY_LEN];
};

/* One attribute of a message: its letter and value (not NUL-terminated). */
struct attr {
	char		 name;
	const char	*val;
	size_t		 len;
};

bool
scram_string_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return false;
	return n > 0 && n <= SCRAM_FIELD_MAX;
}

/* RFC 5802 §7: printable = %x21-2B / %x2D-7E (no ','). */
static bool
nonce_ok(const char *p, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x21 || c > 0x7e || c == ',')
			return false;
	}
	return true;
}

/*
 * Splits msg at ',' into attributes "a=value" (RFC 5802 §7 attr-val:
 * one ALPHA, '=', then anything but ','). -1 on a malformed one.
 */
static int
split(const char *msg, size_t len, struct attr *v, size_t *n_out)
{
	const char *p = msg, *end = msg + len, *comma;
	size_t n = 0;

	if (len == 0 || memchr(msg, '\0', len) != NULL)
		return -1;
	for (;;) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (comma == NULL)
			comma = end;
		if (n == ATTR_MAX || comma - p < 2 || p[1] != '=' ||
		    !((p[0] >= 'a' && p[0] <= 'z') ||
		    (p[0] >= 'A' && p[0] <= 'Z')))
			return -1;
		v[n].name = p[0];
		v[n].val = p + 2;
		v[n].len = (size_t)(comma - p - 2);
		n++;
		if (comma == end)
			break;
		p = comma + 1;
	}
	*n_out = n;
	return 0;
}

/* saslname (RFC 5802 §5.1): "=2C" is ',', "=3D" is '=', no other '='. */
static int
saslname_decode(const char *p, size_t n, char *out, size_t outsize)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (c == '=') {
			if (n - i < 3)
				return -1;
			if (memcmp(p + i + 1, "2C", 2) == 0)
				c = ',';
			else if (memcmp(p + i + 1, "3D", 2) == 0)
				c = '=';
			else
				return -1;
			i += 2;
		}
		if (o + 1 >= outsize)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return scram_string_ok(out) ? 0 : -1;
}

static int
saslname_encode(const char *s, char *out, size_t outsize)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		const char *e = *s == ',' ? "=2C" : *s == '=' ? "=3D" : NULL;
		size_t k = e ? 3 : 1;

		if (o + k >= outsize)
			return -1;
		if (e)
			memcpy(out + o, e, 3);
		else
			out[o] = *s;
		o += k;
	}
	out[o] = '\0';
	return 0;
}

/* A fresh nonce part of printable base64 (no ','). */
static int
nonce_make(char *out, size_t outsize)
{
	unsigned char r[SCRAM_NONCE_RAND];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -1;
	return sasl_base64_encode(r, sizeof(r), out, outsize) < 0 ? -1 : 0;
}

static int
hmac(const unsigned char *key, size_t keylen, const void *data, size_t len,
    unsigned char out[SCRAM_KEY_LEN])
{
	unsigned int n = SCRAM_KEY_LEN;

	return HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) ==
	    NULL || n != SCRAM_KEY_LEN ? -1 : 0;
}

/*
 * RFC 5802 §3: SaltedPassword := Hi(Normalize(password), salt, i),
 * ClientKey := HMAC(SaltedPassword, "Client Key"), StoredKey :=
 * H(ClientKey), ServerKey := HMAC(SaltedPassword, "Server Key").
 */
static int
derive(const char *pw, const unsigned char *salt, size_t salt_len,
    unsigned iter, unsigned char ckey[SCRAM_KEY_LEN],
    unsigned char stored[SCRAM_KEY_LEN], unsigned char server[SCRAM_KEY_LEN])
{
	unsigned char salted[SCRAM_KEY_LEN];
	int rc = -1;

	if (PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, (int)salt_len,
	    (int)iter, EVP_sha256(), sizeof(salted), salted) == 1 &&
	    hmac(salted, sizeof(salted), "Client Key", 10, ckey) == 0 &&
	    SHA256(ckey, SCRAM_KEY_LEN, stored) != NULL &&
	    hmac(salted, sizeof(salted), "Server Key", 10, server) == 0)
		rc = 0;
	OPENSSL_cleanse(salted, sizeof(salted));
	return rc;
}

int
scram_creds_make(const char *password, const unsigned char *salt,
    size_t salt_len, unsigned iter, struct scram_creds *creds_out,
    const char **errstr_out)
{
	unsigned char ckey[SCRAM_KEY_LEN];
	struct scram_creds *c = creds_out;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!scram_string_ok(password)) {
		*errstr_out = "password is not printable ASCII (SASLprep)";
		return -1;
	}
	if (iter == 0 || iter > SCRAM_ITERATIONS_MAX ||
	    (salt != NULL && (salt_len == 0 || salt_len > SCRAM_SALT_MAX))) {
		*errstr_out = "bad SCRAM salt or iteration count";
		return -1;
	}
	if (salt == NULL) {
		c->salt_len = SCRAM_SALT_LEN;
		if (RAND_bytes(c->salt, SCRAM_SALT_LEN) != 1) {
			*errstr_out = "RAND_bytes failed";
			return -1;
		}
	} else {
		c->salt_len = salt_len;
		memcpy(c->salt, salt, salt_len);
	}
	c->iter = iter;
	rc = derive(password, c->salt, c->salt_len, iter, ckey,
	    c->stored_key, c->server_key);
	OPENSSL_cleanse(ckey, sizeof(ckey));
	if (rc == -1) {
		OPENSSL_cleanse(c, sizeof(*c));
		*errstr_out = "SCRAM key derivation failed";
	}
	return rc;
}

/* ---- server ---- */

struct scram_server *
scram_server_new(void)
{
	return xcalloc(1, sizeof(struct scram_server));
}

void
scram_server_free(struct scram_server **sp)
{
	if (*sp == NULL)
		return;
	OPENSSL_cleanse(*sp, sizeof(**sp));
	free(*sp);
	*sp = NULL;
}

void
scram_server_set_fake(struct scram_server *s)
{
	s->fake = true;
}

static int
fail(const char **errstr_out, const char *msg)
{
	*errstr_out = msg;
	return -1;
}

int
scram_server_client_first(struct scram_server *s, const char *msg,
    size_t len, const char **user_out, const char **errstr_out)
{
	const char *p = msg, *end = msg + len, *c1, *c2;
	char authz[SCRAM_FIELD_MAX + 1];
	struct attr a[ATTR_MAX];
	size_t n;

	if (s->step != STEP_NEW)
		return fail(errstr_out, "unexpected client-first-message");
	s->step = STEP_DONE;
	if (len > SCRAM_MSG_MAX || len < 3 || memchr(msg, '\0', len))
		return fail(errstr_out, "bad client-first-message");
	/* RFC 5802 §7 gs2-header: gs2-cbind-flag "," [authzid] ",". */
	if (p[0] == 'p')
		return fail(errstr_out, "channel binding not supported");
	if ((p[0] != 'n' && p[0] != 'y') || p[1] != ',')
		return fail(errstr_out, "bad GS2 header");
	c1 = p + 1;
	c2 = memchr(c1 + 1, ',', (size_t)(end - c1 - 1));
	if (c2 == NULL)
		return fail(errstr_out, "bad GS2 header");
	authz[0] = '\0';
	if (c2 > c1 + 1 && (c2 - c1 - 1 < 3 || memcmp(c1 + 1, "a=", 2) != 0 ||
	    saslname_decode(c1 + 3, (size_t)(c2 - c1 - 3), authz,
	    sizeof(authz)) == -1))
		return fail(errstr_out, "bad authzid");
	s->gs2_len = (size_t)(c2 + 1 - msg);
	memcpy(s->gs2, msg, s->gs2_len);
	s->gs2[s->gs2_len] = '\0';
	p = c2 + 1;
	if (split(p, (size_t)(end - p), a, &n) == -1 || n < 2)
		return fail(errstr_out, "bad client-first-message");
	/* §5.1 "m": reserved; a server seeing it must fail. */
	if (a[0].name == 'm')
		return fail(errstr_out, "mandatory extension not supported");
	if (a[0].name != 'n' || saslname_decode(a[0].val, a[0].len, s->user,
	    sizeof(s->user)) == -1)
		return fail(errstr_out, "bad user name");
	if (a[1].name != 'r' || !nonce_ok(a[1].val, a[1].len, SCRAM_NONCE_MAX))
		return fail(errstr_out, "bad nonce");
	/* Further attributes are extensions (§5.1); none is known to us. */
	if (authz[0] != '\0' && strcmp(authz, s->user) != 0)
		return fail(errstr_out, "cannot act as another user");
	memcpy(s->cnonce, a[1].val, a[1].len);
	s->cnonce[a[1].len] = '\0';
	memcpy(s->bare, p, (size_t)(end - p));
	s->bare[end - p] = '\0';
	s->step = STEP_FIRST;
	*user_out = s->user;
	return 0;
}

long
scram_server_first(struct scram_server *s, const struct scram_creds *creds,
    const char *nonce, char *out, size_t outsize, const char **errstr_out)
{
	char snonce[SCRAM_NONCE_MAX + 1], salt[SCRAM_SALT_MAX * 2];
	int n;

	if (s->step != STEP_FIRST)
		return fail(errstr_out, "unexpected server-first-message");
	s->step = STEP_DONE;
	if (nonce == NULL) {
		if (nonce_make(snonce, sizeof(snonce)) == -1)
			return fail(errstr_out, "RAND_bytes failed");
	} else if (!nonce_ok(nonce, strlen(nonce), SCRAM_NONCE_MAX))
		return fail(errstr_out, "bad server nonce");
	else
		strlcpy_(snonce, nonce, sizeof(snonce));
	if (creds->salt_len == 0 || creds->salt_len > SCRAM_SALT_MAX ||
	    creds->iter == 0 || sasl_base64_encode(creds->salt,
	    creds->salt_len, salt, sizeof(salt)) < 0)
		return fail(errstr_out, "bad credentials");
	s->creds = *creds;
	snprintf(s->nonce, sizeof(s->nonce), "%s%s", s->cnonce, snonce);
	/* §7 server-first-message: nonce "," salt "," iteration-count. */
	n = snprintf(s->sfirst, sizeof(s->sfirst), "r=%s,s=%s,i=%u", s->nonce,
	    salt, creds->iter);
	if (n < 0 || (size_t)n >= sizeof(s->sfirst) || (size_t)n >= outsize)
		return fail(errstr_out, "server-first-message too long");
	memcpy(out, s->sfirst, (size_t)n + 1);
	s->step = STEP_FINAL;
	return n;
}

/*
 * The AuthMessage (§3): client-first-bare "," server-first ","
 * client-final-without-proof, signed with key.
 */
static int
sign(const unsigned char *key, const char *bare, const char *sfirst,
    const char *final, size_t flen, unsigned char out[SCRAM_KEY_LEN])
{
	char am[3 * SCRAM_MSG_MAX + 3];
	int n;

	n = snprintf(am, sizeof(am), "%s,%s,%.*s", bare, sfirst, (int)flen,
	    final);
	if (n < 0 || (size_t)n >= sizeof(am))
		return -1;
	return hmac(key, SCRAM_KEY_LEN, am, (size_t)n, out);
}

int
scram_server_client_final(struct scram_server *s, const char *msg,
    size_t len, char *out, size_t outsize, const char **errstr_out)
{
	unsigned char csig[SCRAM_KEY_LEN], ckey[SCRAM_KEY_LEN];
	unsigned char h[SCRAM_KEY_LEN], ssig[SCRAM_KEY_LEN];
	char dec[SCRAM_MSG_MAX + 1], enc[SCRAM_KEY_LEN * 2];
	struct attr a[ATTR_MAX];
	size_t n, wlen;
	long dl;
	int ok;

	if (s->step != STEP_FINAL)
		return fail(errstr_out, "unexpected client-final-message");
	s->step = STEP_DONE;
	if (len > SCRAM_MSG_MAX || split(msg, len, a, &n) == -1 || n < 3)
		return fail(errstr_out, "bad client-final-message");
	/* §7: channel-binding "," nonce ["," extensions] "," proof. The
	 * binding of "n"/"y" is the GS2 header itself, base64. */
	if (a[0].name != 'c' || (dl = sasl_base64_decode(a[0].val, a[0].len,
	    dec, sizeof(dec))) < 0 || (size_t)dl != s->gs2_len ||
	    memcmp(dec, s->gs2, s->gs2_len) != 0)
		return fail(errstr_out, "channel binding mismatch");
	if (a[1].name != 'r' || a[1].len != strlen(s->nonce) ||
	    memcmp(a[1].val, s->nonce, a[1].len) != 0)
		return fail(errstr_out, "nonce mismatch");
	if (a[n - 1].name != 'p' || (dl = sasl_base64_decode(a[n - 1].val,
	    a[n - 1].len, dec, sizeof(dec))) != SCRAM_KEY_LEN)
		return fail(errstr_out, "bad proof");
	for (size_t i = 2; i < n - 1; i++)
		if (a[i].name == 'p')
			return fail(errstr_out, "bad proof");
	wlen = (size_t)(a[n - 1].val - 3 - msg);	/* up to ",p=" */
	if (sign(s->creds.stored_key, s->bare, s->sfirst, msg, wlen,
	    csig) == -1 ||
	    sign(s->creds.server_key, s->bare, s->sfirst, msg, wlen,
	    ssig) == -1)
		return fail(errstr_out, "HMAC failed");
	/* ClientKey := ClientProof XOR ClientSignature; H(ClientKey) must
	 * be StoredKey. Compared in constant time, stand-ins included. */
	for (size_t i = 0; i < SCRAM_KEY_LEN; i++)
		ckey[i] = (unsigned char)dec[i] ^ csig[i];
	if (SHA256(ckey, sizeof(ckey), h) == NULL)
		return fail(errstr_out, "SHA256 failed");
	ok = CRYPTO_memcmp(h, s->creds.stored_key, SCRAM_KEY_LEN) == 0;
	ok &= !s->fake;
	OPENSSL_cleanse(ckey, sizeof(ckey));
	OPENSSL_cleanse(dec, sizeof(dec));
	if (!ok) {
		*errstr_out = "invalid proof";
		return 0;
	}
	if (sasl_base64_encode(ssig, sizeof(ssig), enc, sizeof(enc)) < 0 ||
	    (size_t)snprintf(out, outsize, "v=%s", enc) >= outsize)
		return fail(errstr_out, "server-final-message too long");
	return 1;
}

/* ---- client ---- */

struct scram_client *
scram_client_new(const char *user, const char *password, const char *nonce,
    const char **errstr_out)
{
	struct scram_client *c;

	if (!scram_string_ok(user) || !scram_string_ok(password)) {
		*errstr_out = "user name or password not printable ASCII "
		    "(SASLprep)";
		return NULL;
	}
	if (nonce != NULL && !nonce_ok(nonce, strlen(nonce), SCRAM_NONCE_MAX)) {
		*errstr_out = "bad client nonce";
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	strlcpy_(c->user, user, sizeof(c->user));
	strlcpy_(c->pass, password, sizeof(c->pass));
	if (nonce != NULL)
		strlcpy_(c->cnonce, nonce, sizeof(c->cnonce));
	else if (nonce_make(c->cnonce, sizeof(c->cnonce)) == -1) {
		scram_client_free(&c);
		*errstr_out = "RAND_bytes failed";
		return NULL;
	}
	return c;
}

void
scram_client_free(struct scram_client **cp)
{
	if (*cp == NULL)
		return;
	OPENSSL_cleanse(*cp, sizeof(**cp));
	free(*cp);
	*cp = NULL;
}

long
scram_client_first(struct scram_client *c, char *out, size_t outsize)
{
	char name[3 * SCRAM_FIELD_MAX + 1];
	int n;

	if (c->step != STEP_NEW ||
	    saslname_encode(c->user, name, sizeof(name)) == -1)
		return -1;
	n = snprintf(c->bare, sizeof(c->bare), "n=%s,r=%s", name, c->cnonce);
	if (n < 0 || (size_t)n >= sizeof(c->bare) ||
	    (size_t)n + 3 >= outsize)
		return -1;
	snprintf(out, outsize, "n,,%s", c->bare);
	c->step = STEP_FIRST;
	return n + 3;
}

long
scram_client_final(struct scram_client *c, const char *msg, size_t len,
    char *out, size_t outsize, const char **errstr_out)
{
	char sfirst[SCRAM_MSG_MAX + 1], salt[SCRAM_SALT_MAX + 1];
	char wo[SCRAM_MSG_MAX + 1], enc[SCRAM_KEY_LEN * 2];
	unsigned char csig[SCRAM_KEY_LEN], proof[SCRAM_KEY_LEN];
	unsigned char ckey[SCRAM_KEY_LEN], stored[SCRAM_KEY_LEN];
	unsigned char skey[SCRAM_KEY_LEN];
	struct attr a[ATTR_MAX];
	size_t n, cl = strlen(c->cnonce);
	unsigned long iter = 0;
	long sl;
	int w;

	if (c->step != STEP_FIRST)
		return fail(errstr_out, "unexpected server-first-message");
	c->step = STEP_DONE;
	if (len > SCRAM_MSG_MAX || split(msg, len, a, &n) == -1 || n < 3)
		return fail(errstr_out, "bad server-first-message");
	if (a[0].name == 'm')
		return fail(errstr_out, "mandatory extension not supported");
	/* The server's nonce must extend ours (§5.1 "r"). */
	if (a[0].name != 'r' || a[0].len <= cl || !nonce_ok(a[0].val,
	    a[0].len, 2 * SCRAM_NONCE_MAX) ||
	    memcmp(a[0].val, c->cnonce, cl) != 0)
		return fail(errstr_out, "bad server nonce");
	if (a[1].name != 's' || (sl = sasl_base64_decode(a[1].val, a[1].len,
	    salt, sizeof(salt))) <= 0)
		return fail(errstr_out, "bad salt");
	if (a[2].name != 'i' || a[2].len == 0 || a[2].len > 7)
		return fail(errstr_out, "bad iteration count");
	for (size_t i = 0; i < a[2].len; i++) {
		if (a[2].val[i] < '0' || a[2].val[i] > '9')
			return fail(errstr_out, "bad iteration count");
		iter = iter * 10 + (unsigned long)(a[2].val[i] - '0');
	}
	/* RFC 7677 §4: fewer than 4096 iterations would make a stolen
	 * proof cheap to attack; too many would stall us. */
	if (iter < SCRAM_ITERATIONS || iter > SCRAM_ITERATIONS_MAX)
		return fail(errstr_out, "iteration count out of range");
	memcpy(sfirst, msg, len);
	sfirst[len] = '\0';
	w = snprintf(wo, sizeof(wo), "c=biws,r=%.*s", (int)a[0].len,
	    a[0].val);
	if (w < 0 || (size_t)w >= sizeof(wo))
		return fail(errstr_out, "server-first-message too long");
	/* ClientProof := ClientKey XOR HMAC(StoredKey, AuthMessage). */
	if (derive(c->pass, (unsigned char *)salt, (size_t)sl, (unsigned)iter,
	    ckey, stored, skey) == -1 ||
	    sign(stored, c->bare, sfirst, wo, (size_t)w, csig) == -1 ||
	    sign(skey, c->bare, sfirst, wo, (size_t)w, c->server_sig) == -1) {
		OPENSSL_cleanse(ckey, sizeof(ckey));
		OPENSSL_cleanse(skey, sizeof(skey));
		return fail(errstr_out, "SCRAM key derivation failed");
	}
	for (size_t i = 0; i < SCRAM_KEY_LEN; i++)
		proof[i] = ckey[i] ^ csig[i];
	OPENSSL_cleanse(ckey, sizeof(ckey));
	OPENSSL_cleanse(skey, sizeof(skey));
	if (sasl_base64_encode(proof, sizeof(proof), enc, sizeof(enc)) < 0 ||
	    (size_t)snprintf(out, outsize, "%s,p=%s", wo, enc) >= outsize)
		return fail(errstr_out, "client-final-message too long");
	c->step = STEP_FINAL;
	return (long)strlen(out);
}

int
scram_client_verify(struct scram_client *c, const char *msg, size_t len,
    const char **errstr_out)
{
	char dec[SCRAM_MSG_MAX + 1];
	struct attr a[ATTR_MAX];
	size_t n;
	long dl;

	if (c->step != STEP_FINAL)
		return fail(errstr_out, "unexpected server-final-message");
	c->step = STEP_DONE;
	if (len > SCRAM_MSG_MAX || split(msg, len, a, &n) == -1)
		return fail(errstr_out, "bad server-final-message");
	if (a[0].name == 'e')
		return fail(errstr_out, "server reported a SCRAM error");
	if (a[0].name != 'v' || (dl = sasl_base64_decode(a[0].val, a[0].len,
	    dec, sizeof(dec))) != SCRAM_KEY_LEN ||
	    CRYPTO_memcmp(dec, c->server_sig, SCRAM_KEY_LEN) != 0)
		return fail(errstr_out, "server signature does not verify");
	return 0;
}
