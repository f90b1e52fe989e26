/*
 * tls.h: OpenSSL 3 server contexts and the generated self-signed pair.
 *
 * Servers accept TLS 1.2 and later only. When the config names no
 * certificate, tls_files_prepare generates an ECDSA P-256 key and a
 * self-signed certificate for the hostname in data_dir/tls/ with the OpenSSL
 * API (not the openssl command), once; later starts reuse them.
 */
#ifndef LIB_TLS_H
#define LIB_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "lib/config.h"

/* Fills cert_out/key_out with the files to use (the configured ones, or the
 * generated pair, generating it if missing). -1 with a message in err. */
int tls_files_prepare(const struct config *cfg, char *cert_out, size_t certlen,
    char *key_out, size_t keylen, char *err, size_t errlen);

/* A server context with the pair loaded and checked against each other.
 * NULL with a message in err. The caller owns it (SSL_CTX_free). */
SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, char *err,
    size_t errlen);

/* A client context: TLS 1.2+, verifying peers against the system store
 * unless verify is 0; ca_file adds a trust anchor (may be NULL). */
SSL_CTX *tls_client_ctx_new(int verify, const char *ca_file, char *err,
    size_t errlen);

/* Generates a self-signed pair for hostname; key written with mode 0600. */
int tls_selfsigned_generate(const char *cert, const char *key,
    const char *hostname, char *err, size_t errlen);

#endif
