/*
 * user.c: posternctl user add|del|list|passwd (shared/INTERFACE.md), and
 * user show ADDRESS / user set ADDRESS KEY yes|no for the per-user
 * settings (enabled, pop3_leave_on_server). Passwords come from stdin,
 * one line, never from argv: with a terminal on stdin the line is read
 * without echo.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "store/account.h"
#include "store/addr.h"
#include "store/store.h"

/* Reads one line of at most STORE_PASSWORD_MAX bytes into pw. 0 or -1. */
static int
read_password(char *pw, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO), r = -1;
	size_t len;

	if (tty) {
		fprintf(stderr, "Password: ");
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		} else
			tty = 0;
	}
	if (fgets(pw, (int)size, stdin) != NULL) {
		len = strlen(pw);
		if (len > 0 && pw[len - 1] == '\n')
			pw[--len] = '\0';
		else if (len + 1 == size) {
			fprintf(stderr, "posternctl: password too long\n");
			goto out;
		}
		if (len > 0 && pw[len - 1] == '\r')
			pw[--len] = '\0';
		r = 0;
	} else
		fprintf(stderr, "posternctl: no password on stdin\n");
out:
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	return r;
}

/* Checks an address the way the store will, for a usage error (exit 2)
 * rather than an environment one. */
static int
address_ok(struct ctl *ctl, const char *address)
{
	char addr[STORE_ADDR_MAX + 1];
	const char *errstr, *def = NULL;

	if (ctl->cfg.domains.n > 0)
		def = ctl->cfg.domains.items[0];
	if (store_addr_normalize(address, def, addr, sizeof(addr),
	    &errstr) == -1) {
		fprintf(stderr, "posternctl: %s: %s\n", address, errstr);
		return 0;
	}
	if (!store_addr_is_local_domain(&ctl->cfg, store_addr_domain(addr))) {
		fprintf(stderr, "posternctl: %s: domain is not one of the"
		    " local domains (domains =", addr);
		for (size_t i = 0; i < ctl->cfg.domains.n; i++)
			fprintf(stderr, " %s", ctl->cfg.domains.items[i]);
		fprintf(stderr, ")\n");
		return 0;
	}
	return 1;
}

static int
open_store(struct ctl *ctl, struct store **store)
{
	char err[512];

	if (store_open(&ctl->cfg, store, err, sizeof(err)) == -1) {
		fprintf(stderr, "posternctl: %s\n", err);
		return -1;
	}
	return 0;
}

static int
user_usage(void)
{
	fprintf(stderr, "usage: posternctl user add|del|passwd ADDRESS"
	    " (password on stdin) | user list | user show ADDRESS |"
	    " user set ADDRESS enabled|pop3_leave_on_server yes|no\n");
	return CTL_USAGE;
}

/* The settings user set changes: all yes/no. */
static const struct setting {
	const char	*name;
	int		(*set)(struct store *, const char *, bool,
			    const char **);
} settings[] = {
	{ "enabled",			store_user_set_enabled },
	{ "pop3_leave_on_server",	store_user_set_pop3_leave },
	{ NULL,				NULL },
};

static const struct setting *
setting_find(const char *name)
{
	const struct setting *st;

	for (st = settings; st->name != NULL; st++)
		if (strcmp(st->name, name) == 0)
			return st;
	return NULL;
}

/* "yes" 1, "no" 0, anything else -1. */
static int
yesno(const char *v)
{
	if (strcmp(v, "yes") == 0)
		return 1;
	if (strcmp(v, "no") == 0)
		return 0;
	return -1;
}

/* user set ADDRESS KEY VALUE, arguments checked. */
static int
user_set(struct store *store, char **argv)
{
	const struct setting *st = setting_find(argv[3]);
	const char *errstr;
	int r;

	r = st->set(store, argv[2], yesno(argv[4]) == 1, &errstr);
	if (r == -1) {
		fprintf(stderr, "posternctl: %s\n", errstr);
		return CTL_TEMPFAIL;
	}
	if (r == 0) {
		fprintf(stderr, "posternctl: %s: no such user\n", argv[2]);
		return CTL_NOTFOUND;
	}
	return CTL_OK;
}

/* user show ADDRESS: every setting, "key = value" a line. */
static int
user_show(struct store *store, const char *address)
{
	struct store_user u;
	const char *errstr;
	char when[32];
	struct tm tm;
	time_t t;
	int r;

	if ((r = store_user_get(store, address, &u, &errstr)) == -1) {
		fprintf(stderr, "posternctl: %s\n", errstr);
		return CTL_TEMPFAIL;
	}
	if (r == 0) {
		fprintf(stderr, "posternctl: %s: no such user\n", address);
		return CTL_NOTFOUND;
	}
	t = (time_t)u.created;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)u.created);
	printf("address = %s\n", u.address);
	printf("enabled = %s\n", u.enabled ? "yes" : "no");
	printf("quota = %llu\n", (unsigned long long)u.quota);
	printf("created = %s\n", when);
	printf("pop3_leave_on_server = %s\n",
	    u.pop3_leave_on_server ? "yes" : "no");
	store_user_clear(&u);
	return CTL_OK;
}

/* user list: one user a line, settings that differ from the default in
 * parentheses. */
static int
user_list(struct store *store)
{
	struct store_user *users;
	const char *errstr;
	size_t n;

	if (store_user_list(store, &users, &n, &errstr) == -1) {
		fprintf(stderr, "posternctl: %s\n", errstr);
		return CTL_TEMPFAIL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct store_user *u = &users[i];

		printf("%s", u->address);
		if (!u->enabled || u->pop3_leave_on_server)
			printf(" (%s%s%s)", u->enabled ? "" : "disabled",
			    !u->enabled && u->pop3_leave_on_server ? ", " :
			    "", u->pop3_leave_on_server ?
			    "pop3_leave_on_server" : "");
		printf("\n");
	}
	store_user_list_free(users, n);
	return CTL_OK;
}

int
ctl_user(struct ctl *ctl, int argc, char **argv)
{
	char pw[STORE_PASSWORD_MAX + 2];
	struct store *store = NULL;
	const char *errstr, *verb;
	int r, rc = CTL_OK;

	if (argc < 2)
		return user_usage();
	verb = argv[1];
	if (strcmp(verb, "list") == 0) {
		if (argc != 2)
			return user_usage();
	} else if (strcmp(verb, "add") == 0 || strcmp(verb, "del") == 0 ||
	    strcmp(verb, "passwd") == 0) {
		if (argc != 3)
			return user_usage();
		if (!address_ok(ctl, argv[2]))
			return CTL_USAGE;
	} else if (strcmp(verb, "show") == 0) {
		if (argc != 3)
			return user_usage();
	} else if (strcmp(verb, "set") == 0) {
		if (argc != 5)
			return user_usage();
		if (setting_find(argv[3]) == NULL) {
			fprintf(stderr, "posternctl: %s: unknown setting"
			    " (enabled, pop3_leave_on_server)\n", argv[3]);
			return CTL_USAGE;
		}
		if (yesno(argv[4]) == -1) {
			fprintf(stderr, "posternctl: %s: %s: yes or no\n",
			    argv[3], argv[4]);
			return CTL_USAGE;
		}
	} else
		return user_usage();

	if (strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0) {
		if (read_password(pw, sizeof(pw)) == -1)
			return CTL_USAGE;
		if (pw[0] == '\0') {
			fprintf(stderr, "posternctl: empty password\n");
			return CTL_USAGE;
		}
	}
	if (open_store(ctl, &store) == -1)
		return CTL_TEMPFAIL;
	if (strcmp(verb, "list") == 0)
		rc = user_list(store);
	else if (strcmp(verb, "show") == 0)
		rc = user_show(store, argv[2]);
	else if (strcmp(verb, "set") == 0)
		rc = user_set(store, argv);
	else if (strcmp(verb, "add") == 0) {
		errno = 0;
		if (store_user_add(store, argv[2], pw, &errstr) == -1) {
			fprintf(stderr, "posternctl: %s\n", errstr);
			rc = errno == EEXIST ? CTL_USAGE : CTL_TEMPFAIL;
		}
	} else {
		if (strcmp(verb, "del") == 0)
			r = store_user_del(store, argv[2], &errstr);
		else
			r = store_user_passwd(store, argv[2], pw, &errstr);
		if (r == -1) {
			fprintf(stderr, "posternctl: %s\n", errstr);
			rc = CTL_TEMPFAIL;
		} else if (r == 0) {
			fprintf(stderr, "posternctl: %s: no such user\n",
			    argv[2]);
			rc = CTL_NOTFOUND;
		}
	}
	explicit_bzero(pw, sizeof(pw));
	store_close(&store);
	return rc;
}
