/*
 * fixture.h: a throw-away data_dir and store for the store unit tests.
 * Header-only so each test binary stays one .c file.
 */
#ifndef TESTS_UNIT_STORE_FIXTURE_H
#define TESTS_UNIT_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "store/store.h"

struct fixture {
	char		 dir[64];
	struct config	 cfg;
	struct store	*store;
};

static inline struct fixture *
fixture_new(const char *extra_config)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[CONFIG_ERR_MAX], text[1024];
	int n;

	snprintf(f->dir, sizeof(f->dir), "/tmp/postern-test-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		abort();
	n = snprintf(text, sizeof(text), "data_dir = data\n"
	    "domains = example.org Example.NET\nhostname = test.host\n%s",
	    extra_config ? extra_config : "");
	if (config_parse(text, (size_t)n, "test.conf", f->dir, &f->cfg, err,
	    sizeof(err)) == -1 ||
	    store_open(&f->cfg, &f->store, err, sizeof(err)) == -1) {
		fprintf(stderr, "fixture: %s\n", err);
		abort();
	}
	return f;
}

static inline void
fixture_free(struct fixture *f)
{
	char cmd[128];

	store_close(&f->store);
	config_free(&f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		abort();
	free(f);
}

#endif
