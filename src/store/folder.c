/*
 * folder.c: folder names (RFC 3501 §5.1, §5.1.3 modified UTF-7) and the
 * Maildir++ folder tree of each user: list, create, delete, rename.
 * Runs in posternctl (new users) and the IMAP process.
 */
#include "store/folder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/durable.h"
#include "lib/util.h"
#include "mime/mutf7.h"
#include "store/account.h"
#include "store/store-private.h"

/* store_user_dir, or NULL and the error set. */
static char *
user_root(struct store *store, const char *user, const char **errstr_out)
{
	char *root = store_user_dir(store, user);

	if (root == NULL)
		store_err(store->err, errstr_out, "%s: not a valid user address",
		    user);
	return root;
}

/* Bytes kept as themselves in a directory name (see folder.h). */
static bool
dir_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr(" _+=,;!#$&'()-", c) != NULL);
}

/* Whether a name's "&...-" runs are canonical modified UTF-7. */
static bool
mutf7_valid(const char *name, size_t len)
{
	struct buf utf8;
	bool ok;

	buf_init(&utf8, 4 * STORE_FOLDER_NAME_MAX + 1);
	ok = mime_mutf7_decode(name, len, &utf8) == 0;
	buf_free(&utf8);
	return ok;
}

/* Whether name[start..end) is "." or "..". */
static bool
dot_component(const char *name, size_t start, size_t end)
{
	size_t l = end - start;

	return (l == 1 && name[start] == '.') ||
	    (l == 2 && name[start] == '.' && name[start + 1] == '.');
}

int
store_folder_name_check(const char *name, size_t len, char *canon_out,
    size_t outlen, const char **errstr_out)
{
	size_t start = 0, depth = 1;

	if (len == 0) {
		*errstr_out = "empty folder name";
		return -1;
	}
	if (len > STORE_FOLDER_NAME_MAX || len + 1 > outlen) {
		*errstr_out = "folder name too long";
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)name[i] : '\0';
		if (i == len || c == STORE_FOLDER_DELIM) {
			if (i == start) {
				*errstr_out = "empty component in folder name";
				return -1;
			}
			if (dot_component(name, start, i)) {
				*errstr_out = "\".\" or \"..\" in folder name";
				return -1;
			}
			if (i < len && ++depth > STORE_FOLDER_DEPTH_MAX) {
				*errstr_out = "folder nested too deep";
				return -1;
			}
			start = i + 1;
			continue;
		}
		if (c < 0x20 || c > 0x7e) {
			*errstr_out = "folder name holds a control, NUL or"
			    " 8-bit byte";
			return -1;
		}
	}
	if (memchr(name, '&', len) != NULL && !mutf7_valid(name, len)) {
		*errstr_out = "malformed modified UTF-7 in folder name";
		return -1;
	}
	memcpy(canon_out, name, len);
	canon_out[len] = '\0';
	/* RFC 3501 §5.1: INBOX is case-insensitive. */
	if (strncasecmp(canon_out, "INBOX", 5) == 0 &&
	    (len == 5 || canon_out[5] == STORE_FOLDER_DELIM))
		memcpy(canon_out, "INBOX", 5);
	return 0;
}

enum store_special
store_folder_special(const char *canon)
{
	static const struct {
		const char *name;
		enum store_special special;
	} specials[] = {
		{ "Sent", STORE_SPECIAL_SENT },
		{ "Drafts", STORE_SPECIAL_DRAFTS },
		{ "Trash", STORE_SPECIAL_TRASH },
		{ "Junk", STORE_SPECIAL_JUNK },
		{ "Archive", STORE_SPECIAL_ARCHIVE },
	};

	for (size_t i = 0; i < nitems(specials); i++)
		if (strcmp(canon, specials[i].name) == 0)
			return specials[i].special;
	return STORE_SPECIAL_NONE;
}

/* The directory name (".A.B") of a canonical name other than INBOX. */
static char *
dir_encode(const char *canon)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(canon) * 3 + 2), *o = out;

	*o++ = '.';
	for (const char *s = canon; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == STORE_FOLDER_DELIM)
			*o++ = '.';
		else if (dir_plain(c))
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The canonical name of a directory name, or NULL when it is not one. */
static char *
dir_decode(const char *d)
{
	char name[STORE_FOLDER_NAME_MAX + 1], canon[STORE_FOLDER_NAME_MAX + 1];
	const char *errstr;
	size_t n = 0;
	int h, l;

	if (d[0] != '.' || d[1] == '\0')
		return NULL;
	for (const char *s = d + 1; *s != '\0'; s++) {
		char c = *s;
		if (n + 1 >= sizeof(name))
			return NULL;
		if (c == '.')
			c = STORE_FOLDER_DELIM;
		else if (c == '%') {
			if ((h = hexval(s[1])) == -1 || (l = hexval(s[2])) == -1)
				return NULL;
			c = (char)(h << 4 | l);
			if (dir_plain((unsigned char)c) ||
			    c == STORE_FOLDER_DELIM)
				return NULL;	/* not our encoding */
			s += 2;
		} else if (!dir_plain((unsigned char)c))
			return NULL;
		name[n++] = c;
	}
	name[n] = '\0';
	if (store_folder_name_check(name, n, canon, sizeof(canon),
	    &errstr) == -1 || strcmp(canon, "INBOX") == 0)
		return NULL;
	/* Only the canonical spelling maps to a directory. */
	if (strcmp(name, canon) != 0)
		return NULL;
	return xstrdup(canon);
}

int
store_folder_path(struct store *store, const char *user, const char *folder,
    char **path_out, const char **errstr_out)
{
	char canon[STORE_FOLDER_NAME_MAX + 1], *root, *d;
	const char *errstr;

	if (store_folder_name_check(folder, strlen(folder), canon,
	    sizeof(canon), &errstr) == -1)
		return store_err(store->err, errstr_out, "%s", errstr);
	if ((root = user_root(store, user, errstr_out)) == NULL)
		return -1;
	if (strcmp(canon, "INBOX") == 0) {
		*path_out = root;
		return 0;
	}
	d = dir_encode(canon);
	*path_out = xasprintf("%s/%s", root, d);
	free(root);
	free(d);
	return 0;
}

/* Makes dir/{cur,new,tmp} (dir itself must exist). */
static int
maildir_subdirs(const char *dir)
{
	static const char *const subs[] = { "cur", "new", "tmp" };

	for (size_t i = 0; i < nitems(subs); i++) {
		char *p = xasprintf("%s/%s", dir, subs[i]);
		int r = mkdir(p, 0700);
		free(p);
		if (r == -1 && errno != EEXIST)
			return -1;
	}
	return 0;
}

/*
 * Creates one folder directory atomically: built under a temporary name
 * that no folder decodes to, then renamed into place. 0, or -1 with errno
 * (EEXIST when it exists).
 */
static int
folder_mkdir(const char *root, const char *dirname)
{
	char *tmp, *path, *marker;
	int fd, r = -1, saved;

	tmp = xasprintf("%s/.%%tmp.%ld.%08x", root, (long)getpid(),
	    arc4random());
	path = xasprintf("%s/%s", root, dirname);
	marker = xasprintf("%s/maildirfolder", tmp);
	if (mkdir(tmp, 0700) == -1)
		goto out;
	if (maildir_subdirs(tmp) == -1)
		goto undo;
	if ((fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1)
		goto undo;
	close(fd);
	/* rename(2) of a directory replaces an empty one: check first; a
	 * racing creator's non-empty directory makes rename fail. */
	if (access(path, F_OK) == 0) {
		errno = EEXIST;
		goto undo;
	}
	if (rename(tmp, path) == -1) {
		if (errno == ENOTEMPTY)
			errno = EEXIST;
		goto undo;
	}
	r = durable_fsync_dir(root);
	goto out;
undo:
	saved = errno;
	unlink(marker);
	for (const char *s = "cur\0new\0tmp\0"; *s; s += 4) {
		char *p = xasprintf("%s/%s", tmp, s);
		rmdir(p);
		free(p);
	}
	rmdir(tmp);
	errno = saved;
out:
	free(tmp);
	free(path);
	free(marker);
	return r;
}

int
store_folder_tree_init(struct store *store, const char *user,
    const char **errstr_out)
{
	static const char *const specials[] = {
		"Sent", "Drafts", "Trash", "Junk", "Archive",
	};
	char *root = user_root(store, user, errstr_out);

	if (root == NULL)
		return -1;
	if (durable_mkdirs(root, 0700) == -1 || maildir_subdirs(root) == -1)
		goto fail;
	for (size_t i = 0; i < nitems(specials); i++) {
		char *d = dir_encode(specials[i]);
		int r = folder_mkdir(root, d);
		free(d);
		if (r == -1 && errno != EEXIST)
			goto fail;
	}
	if (durable_fsync_dir(root) == -1 || durable_fsync_dir_of(root) == -1)
		goto fail;
	free(root);
	return 0;
fail:
	store_err(store->err, errstr_out, "%s: %s", root, strerror(errno));
	free(root);
	return -1;
}

static int
folder_cmp(const void *a, const void *b)
{
	const struct store_folder *x = a, *y = b;

	if (strcmp(x->name, "INBOX") == 0)
		return strcmp(y->name, "INBOX") == 0 ? 0 : -1;
	if (strcmp(y->name, "INBOX") == 0)
		return 1;
	return strcmp(x->name, y->name);
}

int
store_folder_list(struct store *store, const char *user,
    struct store_folder **list_out, size_t *n_out, const char **errstr_out)
{
	struct store_folder *v = NULL;
	char *root = user_root(store, user, errstr_out), *name;
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (root == NULL)
		return -1;
	if ((d = opendir(root)) == NULL) {
		store_err(store->err, errstr_out, "%s: %s", root,
		    strerror(errno));
		free(root);
		return -1;
	}
	v = xcalloc(1, sizeof(*v));
	v[n++].name = xstrdup("INBOX");
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if ((name = dir_decode(de->d_name)) == NULL)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].name = name;
		v[n].special = store_folder_special(name);
		v[n].has_children = false;
		n++;
	}
	closedir(d);
	free(root);
	qsort(v, n, sizeof(*v), folder_cmp);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i].name);
		for (size_t j = 0; j < n; j++)
			if (strncmp(v[j].name, v[i].name, l) == 0 &&
			    v[j].name[l] == STORE_FOLDER_DELIM)
				v[i].has_children = true;
	}
	*list_out = v;
	*n_out = n;
	return 0;
}

void
store_folder_list_free(struct store_folder *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].name);
	free(list);
}

int
store_folder_exists(struct store *store, const char *user,
    const char *folder, const char **errstr_out)
{
	struct stat st;
	char *path, *cur;
	int r;

	if (store_folder_path(store, user, folder, &path, errstr_out) == -1)
		return -1;
	cur = xasprintf("%s/cur", path);
	r = stat(cur, &st) == 0 && S_ISDIR(st.st_mode);
	free(cur);
	free(path);
	return r;
}

int
store_folder_create(struct store *store, const char *user,
    const char *folder, const char **errstr_out)
{
	char canon[STORE_FOLDER_NAME_MAX + 1], *root, *d;
	const char *errstr;
	int r = 0;

	if (store_folder_name_check(folder, strlen(folder), canon,
	    sizeof(canon), &errstr) == -1)
		return store_err(store->err, errstr_out, "%s", errstr);
	if (strcmp(canon, "INBOX") == 0) {
		errno = EEXIST;
		return store_err(store->err, errstr_out, "INBOX exists");
	}
	if ((root = user_root(store, user, errstr_out)) == NULL)
		return -1;
	/* Parents first (RFC 3501 §6.3.3); those that exist are fine. */
	for (char *s = canon; (s = strchr(s, STORE_FOLDER_DELIM)) != NULL;
	    s++) {
		*s = '\0';
		if (strcmp(canon, "INBOX") != 0) {
			d = dir_encode(canon);
			r = folder_mkdir(root, d);
			free(d);
		}
		*s = STORE_FOLDER_DELIM;
		if (r == -1 && errno != EEXIST)
			goto fail;
		r = 0;
	}
	d = dir_encode(canon);
	r = folder_mkdir(root, d);
	free(d);
	if (r == -1) {
		if (errno == EEXIST) {
			store_err(store->err, errstr_out,
			    "folder %s exists", canon);
			free(root);
			errno = EEXIST;
			return -1;
		}
		goto fail;
	}
	free(root);
	return 0;
fail:
	store_err(store->err, errstr_out, "%s: %s", canon, strerror(errno));
	free(root);
	return -1;
}

/* Removes dir and everything below it (a folder is two levels deep). */
static int
rmtree(int parent, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (depth > 4)
		return -1;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			continue;
		if (errno != EISDIR && errno != EPERM)
			r = -1;
		else if (rmtree(fd, de->d_name, depth + 1) == -1)
			r = -1;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) == -1)
		r = -1;
	return r;
}

/* Moves a folder directory away under a name no folder has, then erases
 * it: others see it vanish at once. */
static int
folder_rmdir(const char *root, const char *dirname)
{
	char *from = xasprintf("%s/%s", root, dirname);
	char *del = xasprintf(".%%del.%ld.%08x", (long)getpid(), arc4random());
	char *to = xasprintf("%s/%s", root, del);
	int r = -1, dfd;

	if (rename(from, to) == 0 && (dfd = open(root, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) != -1) {
		r = rmtree(dfd, del, 0);
		fsync(dfd);
		close(dfd);
	}
	free(from);
	free(del);
	free(to);
	return r;
}

int
store_folder_delete(struct store *store, const char *user,
    const char *folder, bool recursive, const char **errstr_out)
{
	char canon[STORE_FOLDER_NAME_MAX + 1], *root, *d;
	struct store_folder *list;
	const char *errstr;
	size_t n, l;
	int found = 0;

	if (store_folder_name_check(folder, strlen(folder), canon,
	    sizeof(canon), &errstr) == -1)
		return store_err(store->err, errstr_out, "%s", errstr);
	if (strcmp(canon, "INBOX") == 0)
		return store_err(store->err, errstr_out,
		    "INBOX cannot be deleted");
	if (store_folder_list(store, user, &list, &n, errstr_out) == -1)
		return -1;
	if ((root = user_root(store, user, errstr_out)) == NULL) {
		store_folder_list_free(list, n);
		return -1;
	}
	l = strlen(canon);
	for (size_t i = 0; i < n; i++) {
		bool self = strcmp(list[i].name, canon) == 0;
		bool child = strncmp(list[i].name, canon, l) == 0 &&
		    list[i].name[l] == STORE_FOLDER_DELIM;
		if (!self && !(recursive && child))
			continue;
		d = dir_encode(list[i].name);
		if (folder_rmdir(root, d) == -1 && errno != ENOENT) {
			store_err(store->err, errstr_out, "%s: %s",
			    list[i].name, strerror(errno));
			free(d);
			free(root);
			store_folder_list_free(list, n);
			return -1;
		}
		free(d);
		if (self)
			found = 1;
	}
	free(root);
	store_folder_list_free(list, n);
	return found;
}

int
store_folder_rename(struct store *store, const char *user, const char *from,
    const char *to, const char **errstr_out)
{
	char cf[STORE_FOLDER_NAME_MAX + 1], ct[STORE_FOLDER_NAME_MAX + 1];
	char *root, *newname, *d1, *d2, *p1, *p2;
	struct store_folder *list;
	const char *errstr;
	size_t n, lf, lt;
	int found = 0, r = 0;

	if (store_folder_name_check(from, strlen(from), cf, sizeof(cf),
	    &errstr) == -1 || store_folder_name_check(to, strlen(to), ct,
	    sizeof(ct), &errstr) == -1)
		return store_err(store->err, errstr_out, "%s", errstr);
	if (strcmp(cf, "INBOX") == 0 || strcmp(ct, "INBOX") == 0)
		return store_err(store->err, errstr_out,
		    "renaming INBOX is not supported");
	lf = strlen(cf);
	lt = strlen(ct);
	if (strncmp(ct, cf, lf) == 0 && (ct[lf] == '\0' ||
	    ct[lf] == STORE_FOLDER_DELIM))
		return store_err(store->err, errstr_out,
		    "cannot rename %s into itself", cf);
	if (store_folder_list(store, user, &list, &n, errstr_out) == -1)
		return -1;
	/* Check everything first: the new names must all be free. */
	for (size_t i = 0; i < n && r == 0; i++) {
		if (strcmp(list[i].name, ct) == 0 ||
		    (strncmp(list[i].name, ct, lt) == 0 &&
		    list[i].name[lt] == STORE_FOLDER_DELIM)) {
			errno = EEXIST;
			r = store_err(store->err, errstr_out,
			    "folder %s exists", list[i].name);
		}
		if (strcmp(list[i].name, cf) == 0)
			found = 1;
		if (strncmp(list[i].name, cf, lf) == 0 &&
		    (list[i].name[lf] == '\0' ||
		    list[i].name[lf] == STORE_FOLDER_DELIM) &&
		    strlen(list[i].name) + lt - lf > STORE_FOLDER_NAME_MAX)
			r = store_err(store->err, errstr_out,
			    "new name too long");
	}
	if (r == -1 || !found) {
		store_folder_list_free(list, n);
		return r == -1 ? -1 : 0;
	}
	/* Parents of the new name. */
	{
		char *slash = strrchr(ct, STORE_FOLDER_DELIM);
		if (slash != NULL) {
			*slash = '\0';
			if (strcmp(ct, "INBOX") != 0 && store_folder_create(store,
			    user, ct, &errstr) == -1 && errno != EEXIST) {
				*slash = STORE_FOLDER_DELIM;
				store_folder_list_free(list, n);
				return store_err(store->err, errstr_out, "%s",
				    errstr);
			}
			*slash = STORE_FOLDER_DELIM;
		}
	}
	if ((root = user_root(store, user, errstr_out)) == NULL) {
		store_folder_list_free(list, n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = list[i].name;
		if (strncmp(name, cf, lf) != 0 || (name[lf] != '\0' &&
		    name[lf] != STORE_FOLDER_DELIM))
			continue;
		newname = xasprintf("%s%s", ct, name + lf);
		d1 = dir_encode(name);
		d2 = dir_encode(newname);
		p1 = xasprintf("%s/%s", root, d1);
		p2 = xasprintf("%s/%s", root, d2);
		if (rename(p1, p2) == -1 && r == 0)
			r = store_err(store->err, errstr_out, "%s: %s", name,
			    strerror(errno));
		free(newname);
		free(d1);
		free(d2);
		free(p1);
		free(p2);
	}
	if (durable_fsync_dir(root) == -1 && r == 0)
		r = store_err(store->err, errstr_out, "%s: %s", root,
		    strerror(errno));
	free(root);
	store_folder_list_free(list, n);
	return r == -1 ? -1 : 1;
}
