/*
 * alias.c: aliases in accounts.db, aliases(5) import, recipient lookup and
 * recursive expansion. Runs in the SMTP server (lookup), the queue
 * (expansion) and posternctl (changes).
 */
#include "store/alias.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/account.h"
#include "store/addr.h"
#include "store/aliasfile.h"
#include "store/store-private.h"

static const char *
default_domain(const struct store *store)
{
	return store->cfg->domains.n > 0 ? store->cfg->domains.items[0] : NULL;
}

/* Refuses target types a later issue may enable (qmail SECURITY §1). */
static const char *
target_refused(const char *t)
{
	if (t[0] == '|')
		return "pipe targets (|command) are not supported";
	if (t[0] == '/')
		return "file targets (/path) are not supported";
	if (strncmp(t, ":include:", 9) == 0)
		return ":include: targets are read by `alias import` only";
	return NULL;
}

static int
name_norm(struct store *store, const char *name, char *out,
    const char **errstr_out)
{
	const char *errstr;

	if (strchr(name, '@') == NULL) {
		if (store_addr_local_normalize(name, out, STORE_ADDR_MAX + 1,
		    &errstr) == -1)
			return store_err(store->err, errstr_out,
			    "alias %s: %s", name, errstr);
		return 0;
	}
	if (store_addr_normalize(name, NULL, out, STORE_ADDR_MAX + 1,
	    &errstr) == -1)
		return store_err(store->err, errstr_out, "alias %s: %s", name,
		    errstr);
	if (!store_addr_is_local_domain(store->cfg, store_addr_domain(out)))
		return store_err(store->err, errstr_out, "alias %s: domain is"
		    " not one of the local domains", name);
	return 0;
}

static int
target_norm(struct store *store, const char *t, char *out,
    const char **errstr_out)
{
	const char *errstr;
	int r;

	if ((errstr = target_refused(t)) != NULL)
		return store_err(store->err, errstr_out, "%s: %s", t, errstr);
	if (strchr(t, '@') == NULL)
		r = store_addr_local_normalize(t, out, STORE_ADDR_MAX + 1,
		    &errstr);
	else
		r = store_addr_normalize(t, NULL, out, STORE_ADDR_MAX + 1,
		    &errstr);
	if (r == -1)
		return store_err(store->err, errstr_out, "target %s: %s", t,
		    errstr);
	return 0;
}

static int
insert_target(struct store *store, sqlite3_stmt *ins, const char *name,
    const char *target)
{
	int rc;

	sqlite3_reset(ins);
	sqlite3_bind_text(ins, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, target, -1, SQLITE_STATIC);
	rc = sqlite3_step(ins);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_alias_add(struct store *store, const char *name,
    const char *const *targets, size_t ntargets, const char **errstr_out)
{
	char n[STORE_ADDR_MAX + 1], t[STORE_ADDR_MAX + 1];
	sqlite3_stmt *ins = NULL;
	int r = 0;

	if (ntargets == 0)
		return store_err(store->err, errstr_out, "alias %s: no targets",
		    name);
	if (name_norm(store, name, n, errstr_out) == -1)
		return -1;
	for (size_t i = 0; i < ntargets; i++)
		if (target_norm(store, targets[i], t, errstr_out) == -1)
			return -1;
	if (store_db_exec(store->db, "BEGIN IMMEDIATE") == -1)
		return store_dberr(store->err, errstr_out, store->db,
		    "alias add");
	if (sqlite3_prepare_v2(store->db, "INSERT OR IGNORE INTO aliases"
	    " (name, target) VALUES (?, ?)", -1, &ins, NULL) != SQLITE_OK)
		r = -1;
	for (size_t i = 0; r == 0 && i < ntargets; i++) {
		target_norm(store, targets[i], t, NULL);
		r = insert_target(store, ins, n, t);
	}
	sqlite3_finalize(ins);
	if (r == 0 && store_db_exec(store->db, "COMMIT") == 0)
		return 0;
	store_dberr(store->err, errstr_out, store->db, "alias add");
	store_db_exec(store->db, "ROLLBACK");
	return -1;
}

int
store_alias_del(struct store *store, const char *name,
    const char **errstr_out)
{
	char n[STORE_ADDR_MAX + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	if (name_norm(store, name, n, errstr_out) == -1)
		return -1;
	if (sqlite3_prepare_v2(store->db, "DELETE FROM aliases WHERE name = ?",
	    -1, &st, NULL) != SQLITE_OK)
		return store_dberr(store->err, errstr_out, store->db,
		    "alias del");
	sqlite3_bind_text(st, 1, n, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_dberr(store->err, errstr_out, store->db,
		    "alias del");
	return sqlite3_changes(store->db) > 0 ? 1 : 0;
}

int
store_alias_list(struct store *store, struct store_alias **list_out,
    size_t *n_out, const char **errstr_out)
{
	struct store_alias *v = NULL, *a;
	sqlite3_stmt *st = NULL;
	const char *name;
	size_t n = 0;
	int rc;

	if (sqlite3_prepare_v2(store->db, "SELECT name, target FROM aliases"
	    " ORDER BY name, target", -1, &st, NULL) != SQLITE_OK)
		return store_dberr(store->err, errstr_out, store->db,
		    "alias list");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		if (n == 0 || strcmp(v[n - 1].name, name) != 0) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n].name = xstrdup(name);
			v[n].targets = NULL;
			v[n].ntargets = 0;
			n++;
		}
		a = &v[n - 1];
		a->targets = xreallocarray(a->targets, a->ntargets + 1,
		    sizeof(*a->targets));
		a->targets[a->ntargets++] = xstrdup((const char *)
		    sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_alias_list_free(v, n);
		return store_dberr(store->err, errstr_out, store->db,
		    "alias list");
	}
	*list_out = v;
	*n_out = n;
	return 0;
}

void
store_alias_list_free(struct store_alias *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < list[i].ntargets; j++)
			free(list[i].targets[j]);
		free(list[i].targets);
		free(list[i].name);
	}
	free(list);
}

/* Reads a whole file of at most STORE_ALIAS_FILE_MAX bytes. */
static char *
slurp(const char *path, size_t *len_out)
{
	struct stat st;
	char *data;
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || st.st_size > STORE_ALIAS_FILE_MAX) {
		if (errno == 0 || st.st_size > STORE_ALIAS_FILE_MAX)
			errno = EFBIG;
		close(fd);
		return NULL;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, data + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	data[off] = '\0';
	*len_out = off;
	return data;
}

struct import {
	struct store	*store;
	sqlite3_stmt	*ins;
	const char	*name;		/* normalised alias being filled */
	int		 failed;
};

static char *
resolve_path(const char *base, const char *path)
{
	const char *slash;

	if (path[0] == '/' || (slash = strrchr(base, '/')) == NULL)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - base), base, path);
}

static int import_file(struct import *im, const char *path,
    enum store_aliasfile_mode mode, int depth, const char **errstr_out);

/* Adds one entry's targets under im->name, following includes. */
static int
import_targets(struct import *im, const char *file,
    const struct store_aliasfile_entry *e, int depth,
    const char **errstr_out)
{
	char t[STORE_ADDR_MAX + 1], *inc;
	const char *errstr;

	for (size_t i = 0; i < e->ntargets; i++) {
		const struct store_aliasfile_target *tg = &e->targets[i];
		switch (tg->type) {
		case STORE_TARGET_PIPE:
		case STORE_TARGET_FILE:
			return store_err(im->store->err, errstr_out,
			    "%s:%u: %s: %s", file, e->line, tg->value,
			    target_refused(tg->value));
		case STORE_TARGET_INCLUDE:
			if (depth >= STORE_INCLUDE_DEPTH_MAX)
				return store_err(im->store->err, errstr_out,
				    "%s:%u: :include: nested too deep", file,
				    e->line);
			inc = resolve_path(file, tg->value);
			if (import_file(im, inc, STORE_ALIASFILE_LIST,
			    depth + 1, errstr_out) == -1) {
				free(inc);
				return -1;
			}
			free(inc);
			break;
		case STORE_TARGET_ADDRESS:
			if (target_norm(im->store, tg->value, t, &errstr) == -1)
				return store_err(im->store->err, errstr_out,
				    "%s:%u: %s", file, e->line, errstr);
			if (insert_target(im->store, im->ins, im->name,
			    t) == -1)
				return store_dberr(im->store->err, errstr_out,
				    im->store->db, "alias import");
			break;
		}
	}
	return 0;
}

static int
import_file(struct import *im, const char *path,
    enum store_aliasfile_mode mode, int depth, const char **errstr_out)
{
	const struct store_aliasfile_entry *e;
	struct store_aliasfile *p;
	char name[STORE_ADDR_MAX + 1];
	const char *errstr;
	sqlite3_stmt *del = NULL;
	size_t len;
	char *text;
	int r;

	if ((text = slurp(path, &len)) == NULL)
		return store_err(im->store->err, errstr_out, "%s: %s", path,
		    strerror(errno));
	p = store_aliasfile_new(text, len, mode);
	if (mode == STORE_ALIASFILE_ALIASES && sqlite3_prepare_v2(
	    im->store->db, "DELETE FROM aliases WHERE name = ?", -1, &del,
	    NULL) != SQLITE_OK) {
		r = store_dberr(im->store->err, errstr_out, im->store->db,
		    "alias import");
		goto out;
	}
	while ((r = store_aliasfile_next(p, &e, &errstr)) == 1) {
		if (mode == STORE_ALIASFILE_ALIASES) {
			if (name_norm(im->store, e->name, name,
			    &errstr) == -1) {
				r = store_err(im->store->err, errstr_out,
				    "%s:%u: %s", path, e->line, errstr);
				goto out;
			}
			/* The first time a name is met in this import its
			 * old targets go: it is marked with a temp row. */
			sqlite3_stmt *seen = NULL;
			int rc = sqlite3_prepare_v2(im->store->db, "INSERT OR"
			    " IGNORE INTO temp.seen (name) VALUES (?)", -1,
			    &seen, NULL);
			if (rc == SQLITE_OK) {
				sqlite3_bind_text(seen, 1, name, -1,
				    SQLITE_STATIC);
				rc = sqlite3_step(seen);
			}
			sqlite3_finalize(seen);
			if (rc != SQLITE_DONE) {
				r = store_dberr(im->store->err, errstr_out,
				    im->store->db, "alias import");
				goto out;
			}
			if (sqlite3_changes(im->store->db) > 0) {
				sqlite3_reset(del);
				sqlite3_bind_text(del, 1, name, -1,
				    SQLITE_STATIC);
				if (sqlite3_step(del) != SQLITE_DONE) {
					r = store_dberr(im->store->err,
					    errstr_out, im->store->db,
					    "alias import");
					goto out;
				}
			}
			im->name = name;
		}
		if (import_targets(im, path, e, depth, errstr_out) == -1) {
			r = -1;
			goto out;
		}
	}
	if (r == -1)
		store_err(im->store->err, errstr_out, "%s:%u: %s", path,
		    store_aliasfile_line(p), errstr);
out:
	sqlite3_finalize(del);
	store_aliasfile_free(&p);
	free(text);
	return r == -1 ? -1 : 0;
}

int
store_alias_import(struct store *store, const char *path,
    size_t *naliases_out, const char **errstr_out)
{
	struct import im = { .store = store };
	sqlite3_stmt *st = NULL;
	int r;

	if (store_db_exec(store->db, "CREATE TEMP TABLE IF NOT EXISTS seen"
	    " (name TEXT PRIMARY KEY)") == -1 ||
	    store_db_exec(store->db, "DELETE FROM temp.seen") == -1 ||
	    store_db_exec(store->db, "BEGIN IMMEDIATE") == -1)
		return store_dberr(store->err, errstr_out, store->db,
		    "alias import");
	if (sqlite3_prepare_v2(store->db, "INSERT OR IGNORE INTO aliases"
	    " (name, target) VALUES (?, ?)", -1, &im.ins, NULL) != SQLITE_OK) {
		store_dberr(store->err, errstr_out, store->db, "alias import");
		store_db_exec(store->db, "ROLLBACK");
		return -1;
	}
	r = import_file(&im, path, STORE_ALIASFILE_ALIASES, 0, errstr_out);
	sqlite3_finalize(im.ins);
	if (r == 0 && naliases_out != NULL) {
		*naliases_out = 0;
		if (sqlite3_prepare_v2(store->db, "SELECT count(*) FROM"
		    " temp.seen", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			*naliases_out = (size_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	/* A name whose targets all came from empty includes has no rows:
	 * that is an alias to nobody, refused like `alias add` does. */
	if (r == 0 && sqlite3_prepare_v2(store->db, "SELECT name FROM"
	    " temp.seen WHERE name NOT IN (SELECT name FROM aliases)", -1,
	    &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			r = store_err(store->err, errstr_out, "%s: alias %s"
			    " has no targets", path,
			    (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	if (r == 0 && store_db_exec(store->db, "COMMIT") == 0)
		return 0;
	if (r == 0)
		store_dberr(store->err, errstr_out, store->db, "alias import");
	store_db_exec(store->db, "ROLLBACK");
	return -1;
}

/* Expansion and lookup. */

struct expand {
	struct store	*store;
	sqlite3_stmt	*q_alias;	/* targets of a name */
	sqlite3_stmt	*q_user;	/* is it a user */
	char		**visited;	/* alias keys expanded so far */
	size_t		 nvisited;
	struct store_expansion *out;
	int		 dberr;
};

/* 1 when name has alias rows, 0 not, -1 error. */
static int
alias_exists(struct expand *x, const char *name)
{
	int rc;

	sqlite3_reset(x->q_alias);
	sqlite3_bind_text(x->q_alias, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(x->q_alias);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
user_exists(struct expand *x, const char *addr)
{
	int rc;

	sqlite3_reset(x->q_user);
	sqlite3_bind_text(x->q_user, 1, addr, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(x->q_user);
	sqlite3_reset(x->q_user);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

static bool
visited(struct expand *x, const char *key)
{
	for (size_t i = 0; i < x->nvisited; i++)
		if (strcmp(x->visited[i], key) == 0)
			return true;
	return false;
}

/*
 * Resolves a local address per alias.h: 1 and the alias key in key_out
 * (kind ALIAS), 1 and the user address in key_out (kind USER), 0 nobody,
 * -1 error. Alias keys in skip_visited are passed over.
 */
static int
resolve(struct expand *x, const char *addr, bool skip_visited,
    enum store_rcpt_kind *kind_out, char *key_out)
{
	char cand[2][STORE_ADDR_MAX + 1];
	size_t ncand = 1;
	int r;

	memcpy(cand[0], addr, strlen(addr) + 1);
	if (store_addr_strip_sub(addr,
	    store_config(x->store)->recipient_delimiter[0], cand[1],
	    sizeof(cand[1])) == 1)
		ncand = 2;
	for (size_t i = 0; i < ncand; i++) {
		const char *a = cand[i], *at = strrchr(a, '@');
		char bare[STORE_ADDR_MAX + 1];

		memcpy(bare, a, (size_t)(at - a));
		bare[at - a] = '\0';
		const char *keys[2] = { a, bare };
		for (size_t k = 0; k < 2; k++) {
			if (skip_visited && visited(x, keys[k]))
				continue;
			if ((r = alias_exists(x, keys[k])) == -1)
				return -1;
			if (r == 1) {
				*kind_out = STORE_RCPT_ALIAS;
				memcpy(key_out, keys[k], strlen(keys[k]) + 1);
				return 1;
			}
		}
		if ((r = user_exists(x, a)) == -1)
			return -1;
		if (r == 1) {
			*kind_out = STORE_RCPT_USER;
			memcpy(key_out, a, strlen(a) + 1);
			return 1;
		}
	}
	return 0;
}

static void
add_dest(struct expand *x, const char *addr, enum store_dest_kind kind)
{
	struct store_expansion *o = x->out;

	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->dests[i].address, addr) == 0)
			return;
	if (o->n >= STORE_EXPAND_MAX) {
		o->truncated = 1;
		return;
	}
	o->dests = xreallocarray(o->dests, o->n + 1, sizeof(*o->dests));
	o->dests[o->n].address = xstrdup(addr);
	o->dests[o->n].kind = kind;
	o->n++;
}

/* Expands addr (normal form); returns -1 on a database error. */
static int
expand_one(struct expand *x, const char *addr, int depth)
{
	char key[STORE_ADDR_MAX + 1], t[STORE_ADDR_MAX + 1];
	const char *dom = store_addr_domain(addr), *errstr;
	enum store_rcpt_kind kind;
	char **targets = NULL;
	size_t ntargets = 0;
	int r;

	if (!store_addr_is_local_domain(x->store->cfg, dom)) {
		add_dest(x, addr, STORE_DEST_REMOTE);
		return 0;
	}
	if ((r = resolve(x, addr, true, &kind, key)) == -1)
		return -1;
	if (r == 0) {
		/* Nobody, or an alias seen already with no user below. */
		if (resolve(x, addr, false, &kind, key) == 1)
			x->out->nloops++;
		else
			x->out->nunknown++;
		return 0;
	}
	if (kind == STORE_RCPT_USER) {
		add_dest(x, key, STORE_DEST_LOCAL);
		return 0;
	}
	if (depth >= STORE_ALIAS_DEPTH_MAX) {
		x->out->truncated = 1;
		return 0;
	}
	x->visited = xreallocarray(x->visited, x->nvisited + 1,
	    sizeof(*x->visited));
	x->visited[x->nvisited++] = xstrdup(key);
	/* Collect first: the statement is reused by the recursion. */
	sqlite3_reset(x->q_alias);
	sqlite3_bind_text(x->q_alias, 1, key, -1, SQLITE_TRANSIENT);
	while ((r = sqlite3_step(x->q_alias)) == SQLITE_ROW) {
		targets = xreallocarray(targets, ntargets + 1,
		    sizeof(*targets));
		targets[ntargets++] = xstrdup((const char *)
		    sqlite3_column_text(x->q_alias, 0));
	}
	sqlite3_reset(x->q_alias);
	r = r == SQLITE_DONE ? 0 : -1;
	for (size_t i = 0; r == 0 && i < ntargets; i++) {
		/* A bare target lives in the domain being expanded. */
		if (strchr(targets[i], '@') == NULL) {
			if (store_addr_normalize(targets[i], dom, t, sizeof(t),
			    &errstr) == -1) {
				x->out->nunknown++;
				continue;
			}
		} else
			memcpy(t, targets[i], strlen(targets[i]) + 1);
		r = expand_one(x, t, depth + 1);
	}
	for (size_t i = 0; i < ntargets; i++)
		free(targets[i]);
	free(targets);
	return r;
}

static int
expand_begin(struct store *store, struct expand *x, const char **errstr_out)
{
	memset(x, 0, sizeof(*x));
	x->store = store;
	/* Prepared once per store: every RCPT and every delivery resolves
	 * addresses, and compiling the SQL each time showed in profiles. */
	if ((store->q_alias == NULL && sqlite3_prepare_v3(store->db,
	    "SELECT target FROM aliases WHERE name = ? ORDER BY rowid", -1,
	    SQLITE_PREPARE_PERSISTENT, &store->q_alias, NULL) != SQLITE_OK) ||
	    (store->q_user == NULL && sqlite3_prepare_v3(store->db,
	    "SELECT 1 FROM users WHERE address = ?", -1,
	    SQLITE_PREPARE_PERSISTENT, &store->q_user, NULL) != SQLITE_OK))
		return store_dberr(store->err, errstr_out, store->db,
		    "alias lookup");
	x->q_alias = store->q_alias;
	x->q_user = store->q_user;
	return 0;
}

static void
expand_end(struct expand *x)
{
	/* Reset, so that no read transaction stays open between calls. */
	sqlite3_reset(x->q_alias);
	sqlite3_clear_bindings(x->q_alias);
	sqlite3_reset(x->q_user);
	sqlite3_clear_bindings(x->q_user);
	for (size_t i = 0; i < x->nvisited; i++)
		free(x->visited[i]);
	free(x->visited);
}

int
store_rcpt_lookup(struct store *store, const char *address,
    enum store_rcpt_kind *kind_out, const char **errstr_out)
{
	char addr[STORE_ADDR_MAX + 1], key[STORE_ADDR_MAX + 1];
	enum store_rcpt_kind kind;
	const char *errstr;
	struct expand x;
	bool own;
	int r;

	if (store_addr_normalize(address, default_domain(store), addr,
	    sizeof(addr), &errstr) == -1)
		return 0;
	if (!store_addr_is_local_domain(store->cfg, store_addr_domain(addr)))
		return 0;
	if (expand_begin(store, &x, errstr_out) == -1)
		return -1;
	/* The alias and the user lookup under one lock. */
	own = !store->reading && store_read_begin(store, NULL) == 0;
	r = resolve(&x, addr, false, &kind, key);
	if (r == -1)
		store_dberr(store->err, errstr_out, store->db, "rcpt lookup");
	expand_end(&x);
	if (own)
		store_read_end(store);
	if (r == 1 && kind_out != NULL)
		*kind_out = kind;
	return r;
}

int
store_expand(struct store *store, const char *address,
    struct store_expansion *out, const char **errstr_out)
{
	char addr[STORE_ADDR_MAX + 1], key[STORE_ADDR_MAX + 1];
	enum store_rcpt_kind kind;
	const char *errstr;
	struct expand x;
	int r;

	memset(out, 0, sizeof(*out));
	if (store_addr_normalize(address, default_domain(store), addr,
	    sizeof(addr), &errstr) == -1)
		return 0;
	if (expand_begin(store, &x, errstr_out) == -1)
		return -1;
	x.out = out;
	if (store_addr_is_local_domain(store->cfg, store_addr_domain(addr))) {
		r = resolve(&x, addr, false, &kind, key);
		if (r != 1) {
			if (r == -1)
				store_dberr(store->err, errstr_out, store->db,
				    "expand");
			expand_end(&x);
			return r;
		}
	}
	r = expand_one(&x, addr, 0);
	if (r == -1) {
		store_dberr(store->err, errstr_out, store->db, "expand");
		store_expansion_free(out);
	}
	expand_end(&x);
	return r == -1 ? -1 : 1;
}

void
store_expansion_free(struct store_expansion *exp)
{
	for (size_t i = 0; i < exp->n; i++)
		free(exp->dests[i].address);
	free(exp->dests);
	memset(exp, 0, sizeof(*exp));
}
