/*
 * main.c: posternd -c FILE — read the config, prepare the data dir and
 * TLS, bind every listener, then hand over to the master (master.c).
 *
 * Everything that can fail on bad input happens here, before any role
 * process exists: a bad config, an unreadable certificate or a port in use
 * stops the start with one line on stderr and nothing half-started.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "daemon/daemon.h"
#include "lib/durable.h"
#include "lib/log.h"
#include "lib/tls.h"

#define EXIT_CONFIG	2	/* bad config or usage */
#define EXIT_SETUP	1	/* the environment refused: ports, files */

SSL_CTX *
daemon_tls_load(const struct config *cfg, char *err, size_t errlen)
{
	char cert[PATH_MAX], key[PATH_MAX];

	if (tls_files_prepare(cfg, cert, sizeof(cert), key, sizeof(key), err,
	    errlen) == -1)
		return NULL;
	return tls_server_ctx_new(cert, key, err, errlen);
}

static int
prepare_data_dir(const struct config *cfg)
{
	struct passwd *pw;

	if (durable_mkdirs(cfg->data_dir, 0750) == -1) {
		fprintf(stderr, "posternd: data_dir %s: %s\n", cfg->data_dir,
		    strerror(errno));
		return -1;
	}
	if (cfg->user[0] == '\0' || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		fprintf(stderr, "posternd: %s: user %s: no such user\n",
		    cfg->path, cfg->user);
		return -1;
	}
	if (chown(cfg->data_dir, pw->pw_uid, pw->pw_gid) == -1) {
		fprintf(stderr, "posternd: data_dir %s: %s\n", cfg->data_dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: posternd [-d] -c FILE\n");
	exit(EXIT_CONFIG);
}

int
main(int argc, char *argv[])
{
	const char *path = NULL;
	char err[CONFIG_ERR_MAX];
	struct daemon_binds binds;
	struct config cfg;
	SSL_CTX *tls;
	int ch, debug = 0;

	while ((ch = getopt(argc, argv, "c:d")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		default:
			usage();
		}
	}
	if (path == NULL || optind != argc)
		usage();
	log_init("master", debug);

	if (config_load(path, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if (prepare_data_dir(&cfg) == -1) {
		config_free(&cfg);
		return EXIT_SETUP;
	}
	if ((tls = daemon_tls_load(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "posternd: %s\n", err);
		config_free(&cfg);
		return EXIT_SETUP;
	}
	if (daemon_binds_open(&cfg, NULL, &binds, err, sizeof(err)) == -1) {
		fprintf(stderr, "posternd: %s\n", err);
		SSL_CTX_free(tls);
		config_free(&cfg);
		return EXIT_SETUP;
	}
	if (cfg.user[0] == '\0' && geteuid() == 0)
		log_warnx("running as root: set 'user' in %s to drop "
		    "privileges", cfg.path);
	else if (cfg.user[0] != '\0' && geteuid() != 0)
		log_warnx("not started as root: 'user = %s' is ignored and "
		    "everything runs as the invoking user", cfg.user);
	for (size_t i = 0; i < binds.n; i++)
		log_info("%s listening on %s%s", binds.v[i].service,
		    binds.v[i].hostport, binds.v[i].tls ? " (TLS)" : "");
	return master_run(&cfg, tls, &binds);
}
