/*
 * master.c: posternd's master process.
 *
 * Holds the config, the TLS context and every listening socket; starts one
 * process per role (smtp, queue, pop3, imap), restarts a role that dies with
 * a growing backoff, re-reads the config on SIGHUP (keeping sockets whose
 * address did not change, then restarting the roles on the new config), and
 * on SIGTERM stops the roles and exits 0 within 10 s.
 *
 * The master does no network I/O itself. It waits for signals with
 * sigtimedwait, so there is no async-signal-safety to reason about: every
 * signal it cares about stays blocked and is taken synchronously.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "imapd/imapd.h"
#include "lib/log.h"
#include "lib/util.h"
#include "pop3d/pop3d.h"
#include "queue/queue.h"
#include "smtpd/smtpd.h"

#define STOP_GRACE_MS	 8000	/* then SIGKILL; INTERFACE.md: exit within 10 s */
#define BACKOFF_MIN_MS	 250
#define BACKOFF_MAX_MS	 60000
#define STABLE_RUN_MS	 10000	/* a role that ran this long starts afresh */

struct role_slot {
	const char	*name;
	role_main_fn	 main;
	bool		 needs_listeners;
	pid_t		 pid;
	int64_t		 started_ms;
	int64_t		 restart_at_ms;	/* 0: not scheduled */
	unsigned	 failures;
	bool		 restart_now;	/* stopped on purpose (SIGHUP) */
};

struct master {
	struct config		cfg;
	SSL_CTX			*tls;
	struct syncshare	*sync;		/* mapped once, shared by roles */
	struct daemon_binds	binds;
	struct role_slot	roles[4];
	sigset_t		sigs;
	sigset_t		oldmask;
	pid_t			pid;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0' || geteuid() != 0)
		return;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("user %s: no such user", user);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("dropping privileges to %s", user);
	if (setuid(0) != -1)
		fatalx("still able to become root after dropping privileges");
}

/* In the child: the role's sockets only, unprivileged, default signals. */
static _Noreturn void
role_child(struct master *m, struct role_slot *r)
{
	struct server_listener *ls = NULL;
	struct role_env env;
	char pname[16];
	size_t n = 0;
	int status;

	log_set_role(r->name);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != m->pid)
		_exit(0);
	snprintf(pname, sizeof(pname), "posternd-%s", r->name);
	prctl(PR_SET_NAME, pname);
	for (size_t i = 0; i < m->binds.n; i++) {
		struct daemon_bind *b = &m->binds.v[i];
		for (size_t j = 0; j < b->nfds; j++) {
			if (strcmp(b->role, r->name) != 0) {
				close(b->fds[j]);
				continue;
			}
			ls = xreallocarray(ls, n + 1, sizeof(*ls));
			ls[n].fd = b->fds[j];
			ls[n].service = b->service;
			ls[n].tls = b->tls;
			n++;
		}
	}
	drop_privileges(m->cfg.user);
	sigprocmask(SIG_SETMASK, &m->oldmask, NULL);
	env.role = r->name;
	env.cfg = &m->cfg;
	env.tls = m->tls;
	env.listeners = ls;
	env.nlisteners = n;
	env.sync = m->sync;
	status = r->main(&env);
	free(ls);
	exit(status);
}

static bool
role_wanted(const struct master *m, const struct role_slot *r)
{
	if (!r->needs_listeners)
		return true;
	for (size_t i = 0; i < m->binds.n; i++)
		if (strcmp(m->binds.v[i].role, r->name) == 0)
			return true;
	return false;
}

static void
role_start(struct master *m, struct role_slot *r)
{
	pid_t pid;

	r->restart_at_ms = 0;
	r->restart_now = false;
	if (!role_wanted(m, r))
		return;
	pid = fork();
	if (pid == -1) {
		log_warn("fork for role %s", r->name);
		r->restart_at_ms = now_ms() + 1000;
		return;
	}
	if (pid == 0)
		role_child(m, r);
	r->pid = pid;
	r->started_ms = now_ms();
	log_info("started role %s pid %ld", r->name, (long)pid);
}

static void
describe_exit(int status, char *out, size_t outlen)
{
	if (WIFSIGNALED(status))
		snprintf(out, outlen, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, outlen, "exited with status %d",
		    WEXITSTATUS(status));
}

/* Reaps children; schedules restarts unless stopping. */
static void
reap(struct master *m, bool stopping)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		char how[64];
		for (size_t i = 0; i < nitems(m->roles); i++) {
			struct role_slot *r = &m->roles[i];
			int64_t ran, delay;

			if (r->pid != pid)
				continue;
			r->pid = 0;
			describe_exit(status, how, sizeof(how));
			if (stopping) {
				log_info("role %s pid %ld %s", r->name,
				    (long)pid, how);
				break;
			}
			if (r->restart_now) {
				role_start(m, r);
				break;
			}
			ran = now_ms() - r->started_ms;
			if (ran >= STABLE_RUN_MS)
				r->failures = 0;
			delay = (int64_t)BACKOFF_MIN_MS << (r->failures < 8 ?
			    r->failures : 8);
			if (delay > BACKOFF_MAX_MS)
				delay = BACKOFF_MAX_MS;
			r->failures++;
			r->restart_at_ms = now_ms() + delay;
			log_warnx("role %s pid %ld %s; restarting in %lld ms",
			    r->name, (long)pid, how, (long long)delay);
			break;
		}
	}
}

static void
reload(struct master *m)
{
	struct config ncfg;
	struct daemon_binds nb;
	char err[CONFIG_ERR_MAX];
	SSL_CTX *ntls;

	if (config_load(m->cfg.path, &ncfg, err, sizeof(err)) == -1) {
		log_warnx("reload: %s; keeping the running config", err);
		return;
	}
	if ((ntls = daemon_tls_load(&ncfg, err, sizeof(err))) == NULL) {
		log_warnx("reload: %s; keeping the running config", err);
		config_free(&ncfg);
		return;
	}
	if (daemon_binds_open(&ncfg, &m->binds, &nb, err, sizeof(err)) == -1) {
		log_warnx("reload: %s; keeping the running config", err);
		SSL_CTX_free(ntls);
		config_free(&ncfg);
		return;
	}
	daemon_binds_close(&m->binds);
	m->binds = nb;
	SSL_CTX_free(m->tls);
	m->tls = ntls;
	config_free(&m->cfg);
	m->cfg = ncfg;
	log_info("reload: config %s read; restarting roles", m->cfg.path);
	for (size_t i = 0; i < nitems(m->roles); i++) {
		struct role_slot *r = &m->roles[i];
		if (r->pid > 0) {
			r->restart_now = true;
			kill(r->pid, SIGTERM);
		} else
			role_start(m, r);
	}
}

static int
running(const struct master *m)
{
	int n = 0;

	for (size_t i = 0; i < nitems(m->roles); i++)
		n += m->roles[i].pid > 0;
	return n;
}

static void
stop(struct master *m)
{
	int64_t deadline = now_ms() + STOP_GRACE_MS;
	siginfo_t si;

	log_info("stopping");
	for (size_t i = 0; i < nitems(m->roles); i++)
		if (m->roles[i].pid > 0)
			kill(m->roles[i].pid, SIGTERM);
	reap(m, true);
	while (running(m) > 0) {
		int64_t left = deadline - now_ms();
		struct timespec ts;
		if (left <= 0) {
			for (size_t i = 0; i < nitems(m->roles); i++)
				if (m->roles[i].pid > 0) {
					log_warnx("role %s did not stop; "
					    "killing it", m->roles[i].name);
					kill(m->roles[i].pid, SIGKILL);
				}
			deadline = now_ms() + 1000;
			left = 1000;
		}
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		(void)sigtimedwait(&m->sigs, &si, &ts);
		reap(m, true);
	}
}

int
master_run(struct config *cfg, SSL_CTX *tls, struct daemon_binds *binds)
{
	struct master m;
	static const struct {
		const char *name;
		role_main_fn main;
		bool listeners;
	} table[] = {
		{ "smtp",	smtpd_role_main,	true },
		{ "queue",	queue_role_main,	false },
		{ "pop3",	pop3d_role_main,	true },
		{ "imap",	imapd_role_main,	true },
	};

	memset(&m, 0, sizeof(m));
	m.cfg = *cfg;
	m.tls = tls;
	if ((m.sync = syncshare_new()) == NULL)
		log_warn("shared sync page; each role syncs on its own");
	m.binds = *binds;
	m.pid = getpid();
	for (size_t i = 0; i < nitems(table); i++) {
		m.roles[i].name = table[i].name;
		m.roles[i].main = table[i].main;
		m.roles[i].needs_listeners = table[i].listeners;
	}
	sigemptyset(&m.sigs);
	sigaddset(&m.sigs, SIGCHLD);
	sigaddset(&m.sigs, SIGTERM);
	sigaddset(&m.sigs, SIGINT);
	sigaddset(&m.sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &m.sigs, &m.oldmask);
	signal(SIGPIPE, SIG_IGN);

	for (size_t i = 0; i < nitems(m.roles); i++)
		role_start(&m, &m.roles[i]);
	log_info("ready");
	for (;;) {
		int64_t next = -1, t = now_ms();
		struct timespec ts, *tsp = NULL;
		siginfo_t si;
		int sig;

		for (size_t i = 0; i < nitems(m.roles); i++) {
			struct role_slot *r = &m.roles[i];
			if (r->restart_at_ms == 0)
				continue;
			if (r->restart_at_ms <= t) {
				role_start(&m, r);
				continue;
			}
			if (next == -1 || r->restart_at_ms - t < next)
				next = r->restart_at_ms - t;
		}
		if (next >= 0) {
			ts.tv_sec = next / 1000;
			ts.tv_nsec = (next % 1000) * 1000000;
			tsp = &ts;
		}
		sig = sigtimedwait(&m.sigs, &si, tsp);
		if (sig == -1)
			continue;	/* timeout or EINTR: timers run above */
		if (sig == SIGCHLD)
			reap(&m, false);
		else if (sig == SIGHUP)
			reload(&m);
		else
			break;
	}
	stop(&m);
	daemon_binds_close(&m.binds);
	SSL_CTX_free(m.tls);
	syncshare_free(&m.sync);
	config_free(&m.cfg);
	log_info("stopped");
	return 0;
}
