/*
 * sasl.h: the decoding half of SASL (RFC 4422) that every AUTH command
 * needs — SMTP (RFC 4954), POP3 (RFC 5034), IMAP (RFC 3501 §6.2.2):
 * strict base64 (RFC 4648 §4) and the PLAIN message (RFC 4616). LOGIN is
 * two base64 lines answering the prompts below. Pure: no I/O, no logging.
 */
#ifndef LIB_SASL_H
#define LIB_SASL_H

#include <stddef.h>

/* Longest decoded user name or password accepted. */
#define SASL_FIELD_MAX		255

/* Base64 of "Username:" and "Password:", the AUTH LOGIN prompts. */
#define SASL_PROMPT_USER	"VXNlcm5hbWU6"
#define SASL_PROMPT_PASS	"UGFzc3dvcmQ6"

/*
 * Decodes strict base64 (padding required, no white space, nothing after
 * the padding, zero bits under it) into out, which has room for outsize bytes, and
 * NUL-terminates it. Returns the decoded length, or -1 for bad input or
 * no room. An empty input decodes to "" (the "=" empty response is the
 * caller's to recognise).
 */
long sasl_base64_decode(const char *in, size_t len, char *out, size_t outsize);

/*
 * Encodes len bytes as base64 with padding into out (outsize bytes,
 * NUL-terminated). Returns the encoded length, or -1 when out is too small
 * (it needs 4 * ((len + 2) / 3) + 1 bytes).
 */
long sasl_base64_encode(const void *in, size_t len, char *out,
    size_t outsize);

/*
 * Splits a decoded PLAIN message "authzid NUL authcid NUL passwd" into
 * NUL-terminated user (userlen bytes) and pass (passlen bytes). An authzid
 * other than empty or the authcid is refused (no proxy logins), as is an
 * empty authcid or password or a field longer than its buffer. 0 or -1.
 */
int sasl_plain_split(const char *msg, size_t len, char *user, size_t userlen,
    char *pass, size_t passlen);

#endif
