/*
 * cmd-list.c: LIST and LSUB (RFC 3501 §6.3.8-9) with the wildcards '*'
 * and '%', \Noselect for names that only exist as parents, CHILDREN
 * (RFC 3348) and SPECIAL-USE (RFC 6154) attributes, the LIST-EXTENDED
 * selection and return options clients send (RFC 5258), and the
 * subscription list behind SUBSCRIBE and LSUB. Run by the imap role process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "imapd/imapd-private.h"
#include "lib/durable.h"
#include "lib/util.h"
#include "store/account.h"

#define SUBS_FILE	"postern-subscriptions"
#define PATTERN_MAX	1024
#define PATTERNS_MAX	32

static char *
subs_path(struct imapd_session *s)
{
	char *dir = store_user_dir(s->store, s->user), *p;

	p = xasprintf("%s/%s", dir, SUBS_FILE);
	free(dir);
	return p;
}

void
subs_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
subs_load(struct imapd_session *s, char ***names_out, size_t *n_out)
{
	char *path = subs_path(s), line[STORE_FOLDER_NAME_MAX + 3];
	char **names = NULL;
	size_t n = 0;
	FILE *fp;

	*names_out = NULL;
	*n_out = 0;
	fp = fopen(path, "r");
	free(path);
	if (fp == NULL)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(line);
	}
	fclose(fp);
	*names_out = names;
	*n_out = n;
	return 0;
}

int
subs_save(struct imapd_session *s, char **names, size_t n)
{
	char *path = subs_path(s), *tmp;
	FILE *fp;
	size_t i;
	int r = -1;

	tmp = xasprintf("%s.tmp%d", path, (int)getpid());
	if ((fp = fopen(tmp, "w")) != NULL) {
		for (i = 0; i < n; i++)
			fprintf(fp, "%s\n", names[i]);
		if (fflush(fp) == 0 && fsync(fileno(fp)) == 0)
			r = 0;
		if (fclose(fp) != 0)
			r = -1;
		if (r == 0 && rename(tmp, path) == -1)
			r = -1;
		if (r == -1)
			unlink(tmp);
	}
	free(tmp);
	free(path);
	return r;
}

/*
 * Whether name matches pattern: '*' matches anything, '%' anything but
 * the delimiter (§6.3.8). Dynamic programming keeps it linear in the
 * product of the lengths whatever the number of wildcards.
 */
static bool
pattern_match(const char *pat, const char *name)
{
	size_t pl = strlen(pat), nl = strlen(name), i, j;
	bool *row = xcalloc(nl + 1, sizeof(bool)), *next, ok;

	next = xcalloc(nl + 1, sizeof(bool));
	row[0] = true;	/* empty pattern matches empty name */
	for (i = 0; i < pl; i++) {
		char p = pat[i];

		memset(next, 0, (nl + 1) * sizeof(bool));
		for (j = 0; j <= nl; j++) {
			if (p == '*' || p == '%') {
				/* zero characters, or extend a match */
				if (row[j] || (j > 0 && next[j - 1] &&
				    (p == '*' || name[j - 1] !=
				    STORE_FOLDER_DELIM)))
					next[j] = true;
			} else if (j > 0 && row[j - 1] && name[j - 1] == p)
				next[j] = true;
		}
		memcpy(row, next, (nl + 1) * sizeof(bool));
	}
	ok = row[nl];
	free(row);
	free(next);
	return ok;
}

/* "inbox/x" patterns match "INBOX/x": INBOX is case-insensitive. */
static void
pattern_fix_inbox(char *p)
{
	if (strncasecmp(p, "INBOX", 5) == 0 && (p[5] == '\0' ||
	    p[5] == STORE_FOLDER_DELIM))
		memcpy(p, "INBOX", 5);
}

struct cand {
	char	*name;
	bool	 noselect, children, subscribed;
	bool	 sub_parent;	/* a parent of a subscribed name */
	enum store_special special;
};

/* Adds a candidate unless present; returns its index. */
static size_t
cand_add(struct cand **arr, size_t *n, const char *name, size_t len,
    bool noselect)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen((*arr)[i].name) == len &&
		    strncmp((*arr)[i].name, name, len) == 0)
			return i;
	*arr = xreallocarray(*arr, *n + 1, sizeof(**arr));
	memset(&(*arr)[*n], 0, sizeof(**arr));
	(*arr)[*n].name = xstrndup(name, len);
	(*arr)[*n].noselect = noselect;
	return (*n)++;
}

/* INBOX first, then bytewise, so parents come before children. */
static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (strcmp(x->name, "INBOX") == 0)
		return -1;
	if (strcmp(y->name, "INBOX") == 0)
		return 1;
	return strcmp(x->name, y->name);
}

static const char *
special_name(enum store_special sp)
{
	switch (sp) {
	case STORE_SPECIAL_SENT:	return "\\Sent";
	case STORE_SPECIAL_DRAFTS:	return "\\Drafts";
	case STORE_SPECIAL_TRASH:	return "\\Trash";
	case STORE_SPECIAL_JUNK:	return "\\Junk";
	case STORE_SPECIAL_ARCHIVE:	return "\\Archive";
	case STORE_SPECIAL_NONE:	break;
	}
	return NULL;
}

struct list_opts {
	bool	 lsub;
	bool	 sel_subscribed, sel_special;
	bool	 ret_subscribed;
};

static void
list_one(struct imapd_session *s, const struct list_opts *o,
    const struct cand *cd)
{
	const char *sp = special_name(cd->special);

	out_printf(s, "* %s (", o->lsub ? "LSUB" : "LIST");
	if (cd->noselect)
		out_printf(s, "\\Noselect ");
	out_printf(s, "%s", cd->children ? "\\HasChildren" :
	    "\\HasNoChildren");
	if (sp != NULL)
		out_printf(s, " %s", sp);
	if (!o->lsub && (o->ret_subscribed || o->sel_subscribed) &&
	    cd->subscribed)
		out_printf(s, " \\Subscribed");
	out_printf(s, ") \"%c\" ", STORE_FOLDER_DELIM);
	out_string(s, cd->name, strlen(cd->name));
	out_printf(s, "\r\n");
}

/* LIST-EXTENDED options: "(SUBSCRIBED SPECIAL-USE ...)". */
static int
parse_opts(struct imapd_cmdctx *c, bool ret, struct list_opts *o)
{
	const struct imapd_tok *t;

	while ((t = arg_next(c)) != NULL && t->type != IMAPD_TOK_LIST_END) {
		if (t->type == IMAPD_TOK_LIST_START) {
			/* RETURN (STATUS (...)) is not offered: skip it */
			while ((t = arg_next(c)) != NULL &&
			    t->type != IMAPD_TOK_LIST_END)
				;
			if (t == NULL)
				return -1;
			continue;
		}
		if (t->type != IMAPD_TOK_ATOM)
			return -1;
		if (strcasecmp(t->s, "SUBSCRIBED") == 0) {
			if (ret)
				o->ret_subscribed = true;
			else
				o->sel_subscribed = true;
		} else if (strcasecmp(t->s, "SPECIAL-USE") == 0 && !ret)
			o->sel_special = true;
	}
	return t == NULL ? -1 : 0;
}

void
cmd_list(struct imapd_session *s, struct imapd_cmdctx *c)
{
	char ref[PATTERN_MAX], (*pats)[PATTERN_MAX * 2 + 1];
	struct list_opts o = { .lsub = strcmp(c->name, "LSUB") == 0 };
	struct store_folder *fl = NULL;
	struct cand *cd = NULL;
	char **subs = NULL;
	size_t nf = 0, ncd = 0, nsubs = 0, npat = 0, i, j;
	const struct imapd_tok *t;
	const char *err;

	/* 64 KB: on the heap, not the event loop's stack */
	pats = xcalloc(PATTERNS_MAX, sizeof(*pats));
	t = arg_peek(c);
	if (!o.lsub && t != NULL && t->type == IMAPD_TOK_LIST_START) {
		arg_next(c);
		if (parse_opts(c, false, &o) == -1)
			goto bad;
	}
	if (arg_astring(c, ref, sizeof(ref)) == -1 ||
	    session_name_in(ref, sizeof(ref)) == -1 ||
	    (t = arg_next(c)) == NULL)
		goto bad;
	if (t->type == IMAPD_TOK_LIST_START && !o.lsub) {
		while ((t = arg_next(c)) != NULL &&
		    t->type != IMAPD_TOK_LIST_END) {
			if (!imapd_tok_is_astring(t) || npat == PATTERNS_MAX ||
			    t->len >= PATTERN_MAX)
				goto bad;
			snprintf(pats[npat++], sizeof(pats[0]), "%s%s", ref,
			    t->s);
		}
		if (t == NULL)
			goto bad;
	} else {
		if (!imapd_tok_is_astring(t) || t->len >= PATTERN_MAX)
			goto bad;
		snprintf(pats[npat++], sizeof(pats[0]), "%s%s", ref, t->s);
	}
	if ((t = arg_next(c)) != NULL) {
		if (o.lsub || !imapd_tok_is(t, "RETURN") ||
		    (t = arg_next(c)) == NULL ||
		    t->type != IMAPD_TOK_LIST_START ||
		    parse_opts(c, true, &o) == -1 || !arg_end(c))
			goto bad;
	}
	/* §6.3.8: an empty pattern asks for the delimiter. */
	if (npat == 1 && pats[0][0] == '\0') {
		if (!o.lsub)
			out_printf(s, "* LIST (\\Noselect) \"%c\" \"\"\r\n",
			    STORE_FOLDER_DELIM);
		else
			out_printf(s, "* LSUB (\\Noselect) \"%c\" \"\"\r\n",
			    STORE_FOLDER_DELIM);
		reply(c, "OK", "%s completed", c->name);
		free(pats);
		return;
	}
	for (i = 0; i < npat; i++) {
		if (session_name_in(pats[i], sizeof(pats[i])) == -1)
			goto bad;
		pattern_fix_inbox(pats[i]);
	}
	if (store_folder_list(s->store, s->user, &fl, &nf, &err) == -1 ||
	    subs_load(s, &subs, &nsubs) == -1) {
		store_folder_list_free(fl, nf);
		reply(c, "NO", "[SERVERBUG] Cannot list folders");
		free(pats);
		return;
	}
	/* Existing folders, then parents that exist only as a path. */
	for (i = 0; i < nf; i++) {
		j = cand_add(&cd, &ncd, fl[i].name, strlen(fl[i].name), false);
		cd[j].special = fl[i].special;
		cd[j].children = fl[i].has_children;
	}
	for (i = 0; i < nf; i++) {
		const char *p = fl[i].name, *d;

		while ((d = strchr(p, STORE_FOLDER_DELIM)) != NULL) {
			j = cand_add(&cd, &ncd, fl[i].name,
			    (size_t)(d - fl[i].name), true);
			cd[j].children = true;
			p = d + 1;
		}
	}
	if (o.lsub)
		for (i = 0; i < nsubs; i++) {
			const char *p = subs[i], *d;

			cand_add(&cd, &ncd, subs[i], strlen(subs[i]), true);
			/* parents of subscribed names, for '%' (§6.3.9) */
			while ((d = strchr(p, STORE_FOLDER_DELIM)) != NULL) {
				j = cand_add(&cd, &ncd, subs[i],
				    (size_t)(d - subs[i]), true);
				cd[j].sub_parent = true;
				p = d + 1;
			}
		}
	if (ncd > 0)
		qsort(cd, ncd, sizeof(*cd), cand_cmp);
	for (i = 0; i < ncd; i++)
		for (j = 0; j < nsubs; j++)
			if (strcmp(cd[i].name, subs[j]) == 0)
				cd[i].subscribed = true;
	for (i = 0; i < ncd; i++) {
		bool match = false;

		for (j = 0; j < npat && !match; j++)
			match = pattern_match(pats[j], cd[i].name);
		if (!match)
			continue;
		if (o.lsub && !cd[i].subscribed && cd[i].sub_parent &&
		    strchr(pats[0], '%') != NULL) {
			/* §6.3.9: an unsubscribed parent of a subscribed
			 * name that '%' hides is listed \Noselect. */
			struct cand p = cd[i];

			p.noselect = true;
			list_one(s, &o, &p);
			continue;
		}
		if ((o.lsub || o.sel_subscribed) && !cd[i].subscribed)
			continue;
		if (o.sel_special && cd[i].special == STORE_SPECIAL_NONE)
			continue;
		list_one(s, &o, &cd[i]);
	}
	for (i = 0; i < ncd; i++)
		free(cd[i].name);
	free(cd);
	store_folder_list_free(fl, nf);
	subs_free(subs, nsubs);
	free(pats);
	reply(c, "OK", "%s completed", c->name);
	return;
bad:
	free(pats);
	reply(c, "BAD", "%s reference mailbox", c->name);
}
