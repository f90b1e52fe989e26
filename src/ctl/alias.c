/*
 * alias.c: posternctl alias add|del|list|import (shared/INTERFACE.md).
 * `alias list` prints "NAME: TARGET, TARGET", which `alias import` reads.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "store/alias.h"
#include "store/store.h"

static int
alias_usage(void)
{
	fprintf(stderr, "usage: posternctl alias add NAME TARGET... |"
	    " del NAME | list | import FILE\n");
	return CTL_USAGE;
}

int
ctl_alias(struct ctl *ctl, int argc, char **argv)
{
	struct store *store = NULL;
	struct store_alias *list;
	const char *errstr, *verb;
	char err[512];
	size_t n;
	int r, rc = CTL_OK;

	if (argc < 2)
		return alias_usage();
	verb = argv[1];
	if (!((strcmp(verb, "add") == 0 && argc >= 4) ||
	    (strcmp(verb, "del") == 0 && argc == 3) ||
	    (strcmp(verb, "list") == 0 && argc == 2) ||
	    (strcmp(verb, "import") == 0 && argc == 3)))
		return alias_usage();
	if (store_open(&ctl->cfg, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "posternctl: %s\n", err);
		return CTL_TEMPFAIL;
	}
	if (strcmp(verb, "add") == 0) {
		if (store_alias_add(store, argv[2], (const char *const *)
		    &argv[3], (size_t)argc - 3, &errstr) == -1) {
			fprintf(stderr, "posternctl: %s\n", errstr);
			rc = CTL_USAGE;
		}
	} else if (strcmp(verb, "del") == 0) {
		r = store_alias_del(store, argv[2], &errstr);
		if (r == -1) {
			fprintf(stderr, "posternctl: %s\n", errstr);
			rc = CTL_USAGE;
		} else if (r == 0) {
			fprintf(stderr, "posternctl: %s: no such alias\n",
			    argv[2]);
			rc = CTL_NOTFOUND;
		}
	} else if (strcmp(verb, "list") == 0) {
		if (store_alias_list(store, &list, &n, &errstr) == -1) {
			fprintf(stderr, "posternctl: %s\n", errstr);
			rc = CTL_TEMPFAIL;
		} else {
			for (size_t i = 0; i < n; i++) {
				printf("%s:", list[i].name);
				for (size_t j = 0; j < list[i].ntargets; j++)
					printf("%s %s", j ? "," : "",
					    list[i].targets[j]);
				printf("\n");
			}
			store_alias_list_free(list, n);
		}
	} else {
		if (store_alias_import(store, argv[2], &n, &errstr) == -1) {
			fprintf(stderr, "posternctl: %s\n", errstr);
			rc = CTL_USAGE;
		} else
			printf("%zu aliases imported from %s\n", n, argv[2]);
	}
	store_close(&store);
	return rc;
}
