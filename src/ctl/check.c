/*
 * check.c: posternctl check — the config parsed (main.c did that) and the
 * data dir is usable: it exists or can be created, and is writable.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "lib/durable.h"

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
	printf("%s: ok\n", cfg->path);
	return CTL_OK;
}
