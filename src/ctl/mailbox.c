/*
 * mailbox.c: posternctl mailbox reindex USER — rebuilds the index of
 * every folder of USER from its Maildir files (store/mbox.h says when the
 * UIDs and UIDVALIDITY survive). Safe beside running servers.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "store/account.h"
#include "store/addr.h"
#include "store/folder.h"
#include "store/mbox.h"
#include "store/store.h"

static int
mailbox_usage(void)
{
	fprintf(stderr, "usage: posternctl mailbox reindex USER\n");
	return CTL_USAGE;
}

static int
reindex(struct store *store, const char *user)
{
	struct store_folder *list;
	struct store_mbox_status s;
	struct store_mbox *mbox;
	const char *errstr;
	bool changed;
	size_t n;
	int rc = CTL_OK;

	if (store_folder_list(store, user, &list, &n, &errstr) == -1) {
		fprintf(stderr, "posternctl: %s\n", errstr);
		return CTL_TEMPFAIL;
	}
	for (size_t i = 0; i < n; i++) {
		if (store_mbox_reindex(store, user, list[i].name, &changed,
		    &errstr) != 1 || store_mbox_open(store, user,
		    list[i].name, &mbox, &errstr) != 1) {
			fprintf(stderr, "posternctl: %s: %s\n", list[i].name,
			    errstr);
			rc = CTL_TEMPFAIL;
			continue;
		}
		if (store_mbox_status(mbox, &s, &errstr) == -1) {
			fprintf(stderr, "posternctl: %s: %s\n", list[i].name,
			    errstr);
			rc = CTL_TEMPFAIL;
		} else
			printf("%s: %u messages, UIDVALIDITY %u (%s), UIDNEXT"
			    " %u\n", list[i].name, s.exists, s.uidvalidity,
			    changed ? "new: UIDs renumbered" : "kept",
			    s.uidnext);
		store_mbox_close(&mbox);
	}
	store_folder_list_free(list, n);
	return rc;
}

int
ctl_mailbox(struct ctl *ctl, int argc, char **argv)
{
	char addr[STORE_ADDR_MAX + 1], err[512];
	const char *errstr, *def = NULL;
	struct store *store;
	int r, rc;

	if (argc != 3 || strcmp(argv[1], "reindex") != 0)
		return mailbox_usage();
	if (ctl->cfg.domains.n > 0)
		def = ctl->cfg.domains.items[0];
	if (store_addr_normalize(argv[2], def, addr, sizeof(addr),
	    &errstr) == -1) {
		fprintf(stderr, "posternctl: %s: %s\n", argv[2], errstr);
		return CTL_USAGE;
	}
	if (store_open(&ctl->cfg, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "posternctl: %s\n", err);
		return CTL_TEMPFAIL;
	}
	r = store_user_get(store, addr, NULL, &errstr);
	if (r == 1)
		rc = reindex(store, addr);
	else if (r == 0) {
		fprintf(stderr, "posternctl: %s: no such user\n", addr);
		rc = CTL_NOTFOUND;
	} else {
		fprintf(stderr, "posternctl: %s\n", errstr);
		rc = CTL_TEMPFAIL;
	}
	store_close(&store);
	return rc;
}
