/*
 * scram.h: SASL SCRAM-SHA-256 (RFC 5802, RFC 7677), both ends, as pure
 * state machines: messages in, messages out, no I/O, no logging. The
 * SMTP, POP3 and IMAP servers run the server side; smtpc and the user
 * agent run the client side. Messages here are the decoded SASL payloads;
 * base64 on the wire is the caller's (sasl.h).
 *
 * SASLprep (RFC 4013) is reduced to its ASCII case: user names and
 * passwords of printable ASCII (0x20-0x7e) are used as they are, which is
 * what SASLprep yields for them; anything else (control characters, any
 * non-ASCII byte) is refused with an error rather than normalised.
 *
 * Only "n" and "y" GS2 channel-binding flags are taken: we never offer
 * SCRAM-SHA-256-PLUS, so "y" (client could bind but thinks we cannot) is
 * fine (RFC 5802 §6) and "p=" is refused. An authzid must be empty or the
 * user name itself (no proxy logins).
 */
#ifndef LIB_SCRAM_H
#define LIB_SCRAM_H

#include <stdbool.h>
#include <stddef.h>

#define SCRAM_MECH		"SCRAM-SHA-256"
/* RFC 7677 §4: at least 4096 iterations of PBKDF2-HMAC-SHA-256. */
#define SCRAM_ITERATIONS	4096
/* Most iterations a client accepts from a server: each costs CPU in the
 * caller's event loop (the queue role's relay), ~100 ms at this count. */
#define SCRAM_ITERATIONS_MAX	100000
#define SCRAM_SALT_LEN		16	/* bytes of fresh random salt */
#define SCRAM_SALT_MAX		64	/* longest salt taken from a peer */
#define SCRAM_KEY_LEN		32	/* SHA-256 output */
#define SCRAM_NONCE_RAND	18	/* random bytes in our nonce (24 b64) */
#define SCRAM_NONCE_MAX		128	/* longest nonce part accepted */
/* Longest SCRAM message either side sends or accepts (decoded). */
#define SCRAM_MSG_MAX		1024
/* Longest user name or password (after =2C/=3D decoding). */
#define SCRAM_FIELD_MAX		255

/* What the server keeps per user instead of the password (RFC 5802 §3). */
struct scram_creds {
	unsigned char	 salt[SCRAM_SALT_MAX];
	size_t		 salt_len;
	unsigned	 iter;
	unsigned char	 stored_key[SCRAM_KEY_LEN];
	unsigned char	 server_key[SCRAM_KEY_LEN];
};

/*
 * Whether s (NUL-terminated) is acceptable to our SASLprep: 1..255 bytes
 * of printable ASCII. bool.
 */
bool scram_string_ok(const char *s);

/*
 * Derives credentials for password: salt (salt_len bytes; NULL for
 * SCRAM_SALT_LEN fresh random bytes) and iter iterations. 0, or -1 and
 * *errstr_out (password refused by our SASLprep, bad sizes, OpenSSL).
 */
int scram_creds_make(const char *password, const unsigned char *salt,
    size_t salt_len, unsigned iter, struct scram_creds *creds_out,
    const char **errstr_out);

/* ---- server ---- */

struct scram_server;

struct scram_server *scram_server_new(void);
/* Wipes and frees; sets *sp to NULL. NULL is fine. */
void scram_server_free(struct scram_server **sp);

/*
 * Takes the client-first-message (len bytes). 0 and *user_out, the
 * decoded user name (NUL-terminated, owned by s, valid until free); or -1
 * and *errstr_out for a malformed or refused message.
 */
int scram_server_client_first(struct scram_server *s, const char *msg,
    size_t len, const char **user_out, const char **errstr_out);

/*
 * Makes the server-first-message from the user's credentials (copied).
 * nonce is our part of the nonce: NULL for a fresh random one (tests pass
 * a fixed one, printable ASCII without ','). Writes it NUL-terminated
 * into out (outsize bytes). Its length, or -1 and *errstr_out.
 */
long scram_server_first(struct scram_server *s,
    const struct scram_creds *creds, const char *nonce, char *out,
    size_t outsize, const char **errstr_out);

/*
 * Takes the client-final-message and checks the proof in constant time.
 * 1: proof good, out holds the server-final-message "v=..."; 0: proof
 * wrong (or the credentials were a stand-in, see scram_server_first_fake),
 * *errstr_out says so; -1: malformed message, *errstr_out.
 */
int scram_server_client_final(struct scram_server *s, const char *msg,
    size_t len, char *out, size_t outsize, const char **errstr_out);

/*
 * Marks the credentials given to scram_server_first as a stand-in for a
 * user without any (unknown, disabled, or from before SCRAM): the
 * exchange runs the same way and the final proof check fails.
 */
void scram_server_set_fake(struct scram_server *s);

/* ---- client ---- */

struct scram_client;

/*
 * A client for user and password (our SASLprep applies). nonce: NULL for
 * a fresh random one. NULL and *errstr_out when refused.
 */
struct scram_client *scram_client_new(const char *user, const char *password,
    const char *nonce, const char **errstr_out);
void scram_client_free(struct scram_client **cp);

/* The client-first-message ("n,,n=user,r=nonce") into out. Length or -1. */
long scram_client_first(struct scram_client *c, char *out, size_t outsize);

/*
 * Takes the server-first-message, computes the proof, writes the
 * client-final-message into out. Length, or -1 and *errstr_out (malformed,
 * nonce not extending ours, iteration count out of range).
 */
long scram_client_final(struct scram_client *c, const char *msg, size_t len,
    char *out, size_t outsize, const char **errstr_out);

/*
 * Checks the server-final-message: 0 when it carries the right
 * ServerSignature, -1 and *errstr_out otherwise ("e=" error, wrong v=).
 */
int scram_client_verify(struct scram_client *c, const char *msg, size_t len,
    const char **errstr_out);

#endif
