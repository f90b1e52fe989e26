/*
 * check.c: posternctl check — the config parsed (main.c did that), the
 * data dir is usable (it exists or can be created, and is writable), and
 * data_dir/relay-auth, when there is one, has no bad line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "lib/durable.h"
#include "queue/relayauth.h"

static void
bad_line(void *arg, const char *path, unsigned lineno, const char *why)
{
	unsigned *nbad = arg;

	fprintf(stderr, "%s:%u: %s (want HOST:PORT USER PASSWORD [verify],"
	    " fields with spaces in double quotes)\n", path, lineno, why);
	(*nbad)++;
}

/* 0 when data_dir/relay-auth is absent or good, else -1 (reported). */
static int
check_relay_auth(const struct config *cfg)
{
	char path[4096];
	struct relay_auth *v;
	unsigned nbad = 0;
	size_t n;

	snprintf(path, sizeof(path), "%s/relay-auth", cfg->data_dir);
	if (relay_auth_load(path, &v, &n, bad_line, &nbad) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	relay_auth_free(v, n);
	return nbad == 0 ? 0 : -1;
}

int
ctl_check(struct ctl *ctl, int argc, char **argv)
{
	const struct config *cfg = &ctl->cfg;
	struct stat st;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: posternctl check\n");
		return CTL_USAGE;
	}
	if (stat(cfg->data_dir, &st) == -1) {
		if (errno != ENOENT) {
			fprintf(stderr, "%s: data_dir %s: %s\n", cfg->path,
			    cfg->data_dir, strerror(errno));
			return CTL_TEMPFAIL;
		}
		printf("data_dir %s does not exist yet; posternd creates it\n",
		    cfg->data_dir);
	} else if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: data_dir %s: not a directory\n",
		    cfg->path, cfg->data_dir);
		return CTL_TEMPFAIL;
	} else if (access(cfg->data_dir, W_OK | X_OK) == -1) {
		fprintf(stderr, "%s: data_dir %s: %s\n", cfg->path,
		    cfg->data_dir, strerror(errno));
		return CTL_TEMPFAIL;
	}
	if (cfg->tls_cert[0] != '\0') {
		if (access(cfg->tls_cert, R_OK) == -1 ||
		    access(cfg->tls_key, R_OK) == -1) {
			fprintf(stderr, "%s: tls_cert/tls_key: %s\n",
			    cfg->path, strerror(errno));
			return CTL_TEMPFAIL;
		}
	}
	if (check_relay_auth(cfg) == -1)
		return CTL_TEMPFAIL;
	printf("%s: ok\n", cfg->path);
	return CTL_OK;
}
