/*
 * main.c: posternctl -c FILE COMMAND ... (shared/INTERFACE.md "Admin").
 *
 * Reads the config, then hands the remaining words to the command's handler
 * through the table below.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "lib/log.h"
#include "lib/util.h"

static const struct {
	const char	*name;
	int		(*fn)(struct ctl *, int, char **);
	const char	*usage;
} commands[] = {
	{ "check",	ctl_check,	"check" },
	{ "user",	ctl_user,	"user add|del|list|passwd|show|set [ADDRESS [KEY VALUE]]" },
	{ "alias",	ctl_alias,	"alias add NAME TARGET... | del NAME | list | import FILE" },
	{ "queue",	ctl_queue,	"queue list | show ID | flush | delete ID" },
	{ "mailbox",	ctl_mailbox,	"mailbox reindex USER" },
};

static int
usage(void)
{
	fprintf(stderr, "usage: posternctl [-c FILE] COMMAND ...\n");
	for (size_t i = 0; i < nitems(commands); i++)
		fprintf(stderr, "       posternctl [-c FILE] %s\n",
		    commands[i].usage);
	return CTL_USAGE;
}

int
ctl_unimplemented(const char *what)
{
	fprintf(stderr, "posternctl: %s: not yet implemented\n", what);
	return CTL_USAGE;
}

/* Files posternctl creates (accounts, mailboxes, queue requests) must
 * belong to the user the roles run as, so root works as that user. */
static int
become_user(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0' || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "posternctl: user %s: no such user\n", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		perror("posternctl: dropping privileges");
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *path = "etc/postern.conf";
	char err[CONFIG_ERR_MAX];
	struct ctl ctl;
	int ch, r;

	log_init("posternctl", 0);
	while ((ch = getopt(argc, argv, "+c:")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	for (size_t i = 0; i < nitems(commands); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (config_load(path, &ctl.cfg, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			return CTL_USAGE;
		}
		if (become_user(ctl.cfg.user) == -1) {
			config_free(&ctl.cfg);
			return CTL_TEMPFAIL;
		}
		r = commands[i].fn(&ctl, argc, argv);
		config_free(&ctl.cfg);
		return r;
	}
	fprintf(stderr, "posternctl: unknown command '%s'\n", argv[0]);
	return usage();
}
