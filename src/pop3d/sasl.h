/*
 * sasl.h: the pieces of SASL (RFC 4422) the POP3 AUTH command needs
 * (RFC 5034): base64 (RFC 4648 §4) and the PLAIN message (RFC 4616).
 * LOGIN is the draft-murchison-sasl-login exchange of two base64 lines.
 *
 * Pure: no I/O, no logging. TODO: move down into lib/ when the SMTP
 * submission server needs the same (STYLE §1: shared code moves down).
 */
#ifndef POP3D_SASL_H
#define POP3D_SASL_H

#include <stddef.h>

/* Base64 of "Username:" and "Password:" for AUTH LOGIN prompts. */
#define POP3D_SASL_PROMPT_USER	"VXNlcm5hbWU6"
#define POP3D_SASL_PROMPT_PASS	"UGFzc3dvcmQ6"

/*
 * Decodes len bytes of padded base64 into out (outlen bytes, one more
 * than the data is kept for a NUL). Whitespace and bad padding are
 * refused. 0 and *n_out, or -1 (bad input or out too small).
 */
int pop3d_base64_decode(const char *in, size_t len, char *out, size_t outlen,
    size_t *n_out);

/*
 * Splits a decoded PLAIN message "authzid NUL authcid NUL passwd" into
 * NUL-terminated user and pass (userlen and passlen bytes). An authzid
 * other than empty or the authcid is refused: no proxy logins. 0 or -1.
 */
int pop3d_sasl_plain(const char *msg, size_t len, char *user, size_t userlen,
    char *pass, size_t passlen);

#endif
