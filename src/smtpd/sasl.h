/*
 * sasl.h: the decoding half of SASL PLAIN (RFC 4616) and LOGIN for SMTP
 * AUTH (RFC 4954): base64 and the PLAIN message split. Pure functions.
 */
#ifndef SMTPD_SASL_H
#define SMTPD_SASL_H

#include <stddef.h>

/* Longest decoded SASL field we accept (user name or password). */
#define SMTPD_SASL_FIELD_MAX	255

/*
 * Decodes strict base64 (RFC 4648 §4: padding required, no white space)
 * into out, which has room for outsize bytes, and NUL-terminates it.
 * Returns the decoded length, or -1 for bad input or no room.
 */
long smtpd_base64_decode(const char *in, size_t len, char *out,
    size_t outsize);

/*
 * Splits a decoded PLAIN message "authzid NUL authcid NUL passwd" (RFC 4616
 * §2) into NUL-terminated fields of at most SMTPD_SASL_FIELD_MAX bytes.
 * An authzid, if present, must equal authcid (we do not act for others).
 * Returns 0, or -1 for a malformed message (the caller replies 501/535).
 */
int smtpd_sasl_plain(const char *msg, size_t len,
    char user_out[SMTPD_SASL_FIELD_MAX + 1],
    char pass_out[SMTPD_SASL_FIELD_MAX + 1]);

#endif
