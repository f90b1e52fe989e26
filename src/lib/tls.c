/*
 * tls.c: OpenSSL contexts and self-signed certificate generation (tls.h).
 */
#include "lib/tls.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/durable.h"

#define TLS_SELFSIGNED_DAYS 3650

static void
ssl_error(char *err, size_t errlen, const char *what, const char *path)
{
	char detail[256] = "";
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, detail, sizeof(detail));
	else if (errno != 0)
		snprintf(detail, sizeof(detail), "%s", strerror(errno));
	ERR_clear_error();
	snprintf(err, errlen, "%s%s%s: %s", path ? path : "", path ? ": " : "",
	    what, detail);
}

static int
add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int r;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	r = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return r == 1 ? 0 : -1;
}

/* Serialises with a PEM writer into memory, then writes the file durably. */
static int
write_pem(const char *path, mode_t mode, EVP_PKEY *pkey, X509 *cert)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int ok, r = -1;

	if (mem == NULL)
		return -1;
	ok = pkey ? PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL,
	    NULL) : PEM_write_bio_X509(mem, cert);
	if (ok == 1 && (len = BIO_get_mem_data(mem, &data)) > 0)
		r = durable_write(path, data, (size_t)len, mode);
	BIO_free(mem);
	return r;
}

int
tls_selfsigned_generate(const char *certpath, const char *keypath,
    const char *hostname, char *err, size_t errlen)
{
	EVP_PKEY *pkey;
	X509 *cert = NULL;
	X509_NAME *name;
	char san[600];
	int r = -1;

	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (pkey == NULL) {
		ssl_error(err, errlen, "generating key", NULL);
		return -1;
	}
	if ((cert = X509_new()) == NULL ||
	    X509_set_version(cert, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(cert),
		(long)time(NULL)) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert),
		(long)TLS_SELFSIGNED_DAYS * 86400) == NULL ||
	    X509_set_pubkey(cert, pkey) != 1)
		goto fail;
	name = X509_get_subject_name(cert);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)hostname, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"Postern self-signed", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1)
		goto fail;
	snprintf(san, sizeof(san), "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1",
	    hostname);
	if (add_ext(cert, NID_subject_alt_name, san) == -1 ||
	    add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") == -1 ||
	    add_ext(cert, NID_key_usage,
		"critical,digitalSignature,keyCertSign") == -1 ||
	    add_ext(cert, NID_ext_key_usage, "serverAuth") == -1)
		goto fail;
	if (X509_sign(cert, pkey, EVP_sha256()) == 0)
		goto fail;
	if (write_pem(keypath, 0600, pkey, NULL) == -1 ||
	    write_pem(certpath, 0644, NULL, cert) == -1) {
		snprintf(err, errlen, "writing %s: %s", certpath,
		    strerror(errno));
		unlink(keypath);
		goto out;
	}
	r = 0;
	goto out;
fail:
	ssl_error(err, errlen, "generating certificate", NULL);
out:
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return r;
}

int
tls_files_prepare(const struct config *cfg, char *cert_out, size_t certlen,
    char *key_out, size_t keylen, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	int n;

	if (cfg->tls_cert[0] != '\0') {
		if ((size_t)snprintf(cert_out, certlen, "%s", cfg->tls_cert) >=
		    certlen || (size_t)snprintf(key_out, keylen, "%s",
		    cfg->tls_key) >= keylen) {
			snprintf(err, errlen, "tls_cert: path too long");
			return -1;
		}
		return 0;
	}
	n = snprintf(dir, sizeof(dir), "%s/tls", cfg->data_dir);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    (size_t)snprintf(cert_out, certlen, "%s/cert.pem", dir) >= certlen ||
	    (size_t)snprintf(key_out, keylen, "%s/key.pem", dir) >= keylen) {
		snprintf(err, errlen, "%s: path too long", cfg->data_dir);
		return -1;
	}
	if (access(cert_out, F_OK) == 0 && access(key_out, F_OK) == 0)
		return 0;
	if (durable_mkdirs(dir, 0700) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return tls_selfsigned_generate(cert_out, key_out, cfg->hostname, err,
	    errlen);
}

SSL_CTX *
tls_server_ctx_new(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		ssl_error(err, errlen, "SSL_CTX_new", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	errno = 0;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_error(err, errlen, "cannot load certificate", cert);
		SSL_CTX_free(ctx);
		return NULL;
	}
	errno = 0;
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_error(err, errlen, "cannot load key", key);
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error(err, errlen, "key does not match certificate", key);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL_CTX *
tls_client_ctx_new(int verify, const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		ssl_error(err, errlen, "SSL_CTX_new", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (SSL_CTX_set_default_verify_paths(ctx) != 1 ||
		    (ca_file != NULL &&
		    SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1)) {
			ssl_error(err, errlen, "loading trust anchors", ca_file);
			SSL_CTX_free(ctx);
			return NULL;
		}
	}
	return ctx;
}
