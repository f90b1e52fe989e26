/*
 * config.h: the one config file (shared/INTERFACE.md "Config file").
 *
 * `key = value` lines, `#` comments, blank lines ignored. An unknown key or a
 * bad value is an error reported as "FILE:LINE: message". Relative paths are
 * made relative to the config file's folder. Every key has its default, so an
 * empty file is a valid config. No logging and no exit here: the caller
 * prints the message (posternd and posternctl exit 2 on it).
 */
#ifndef LIB_CONFIG_H
#define LIB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cidr.h"

#define CONFIG_ERR_MAX 512

/* A space-separated list value. */
struct config_list {
	char	**items;
	size_t	  n;
};

/* route.DOMAIN = HOST:PORT; domain "*" is the smarthost for all remote mail. */
struct config_route {
	char	*domain;
	char	*nexthop;
};

enum config_plaintext_auth {
	CONFIG_PLAINTEXT_NEVER,
	CONFIG_PLAINTEXT_LOOPBACK,
	CONFIG_PLAINTEXT_ALWAYS,
};

struct config {
	char	*path;			/* the file read, as given */
	char	*user;			/* "" when unset */
	char	*hostname;
	struct config_list domains;
	char	*data_dir;		/* absolute or relative to the cwd */
	struct config_list smtp_listen;
	struct config_list submission_listen;
	struct config_list submissions_listen;
	struct config_list pop3_listen;
	struct config_list pop3s_listen;
	struct config_list imap_listen;
	struct config_list imaps_listen;
	char	*tls_cert;		/* "" when unset: generated in data_dir */
	char	*tls_key;
	struct cidr *relay_networks;
	size_t	 nrelay_networks;
	uint64_t max_message_size;
	int64_t	 queue_interval;	/* seconds */
	int64_t	 queue_lifetime;
	int64_t	 delay_warning;		/* 0: off */
	struct config_route *routes;
	size_t	 nroutes;
	char	*dns_server;		/* "" when unset: system resolver */
	uint16_t remote_smtp_port;
	enum config_plaintext_auth plaintext_auth;
	char	*recipient_delimiter;	/* "" (off) or one character */
	int64_t	 pop3_expire;		/* days; -1: never (RFC 2449 EXPIRE) */
	int64_t	 pop3_login_delay;	/* seconds between a user's POP3
					 * logins (LOGIN-DELAY); 0: any */
};

/* Reads and parses path into cfg (which it initialises). On -1, err holds
 * "FILE:LINE: message" (or "FILE: reason") and cfg holds nothing to free. */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);

/* Parses text as if read from a file named name in folder basedir. */
int config_parse(const char *text, size_t len, const char *name,
    const char *basedir, struct config *cfg, char *err, size_t errlen);

void config_free(struct config *cfg);

/* The route for domain: an exact route.DOMAIN, else route.*, else NULL. */
const char *config_route_lookup(const struct config *cfg, const char *domain);

/* "HOST:PORT" or "[V6]:PORT" split into host and port. host_out has room for
 * hostlen bytes. Used for *_listen, route.* and dns_server values. */
int config_hostport_split(const char *s, char *host_out, size_t hostlen,
    uint16_t *port_out, const char **errstr_out);

#endif
