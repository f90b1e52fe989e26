/*
 * expire.c: the record of when POP3 retrieved each message, for the
 * pop3_expire policy (RFC 2449 §6.7). Run by the pop3 role under the
 * maildrop lock. See expire.h.
 */
#include "pop3d/expire.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/durable.h"
#include "lib/util.h"

/* A decimal number up to max ending at a space or the line end. */
static int
num(const char **p, const char *end, uint64_t max, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s == end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

static int
cmp_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct pop3d_retrieved *)a)->uid;
	uint32_t y = ((const struct pop3d_retrieved *)b)->uid;

	return x < y ? -1 : x > y;
}

/* By UID, then time: the first of a run of equal UIDs is the earliest. */
static int
cmp_uid_when(const void *a, const void *b)
{
	const struct pop3d_retrieved *x = a, *y = b;
	int c = cmp_uid(a, b);

	return c != 0 ? c : (x->when < y->when ? -1 : x->when > y->when);
}

void
pop3d_retrieved_parse(const char *text, size_t len, uint32_t uidvalidity,
    struct pop3d_retrieved **v_out, size_t *n_out)
{
	static const char magic[] = "postern-pop3-retrieved ";
	static const char hidden[] = " hidden";
	const char *p = text, *end = text + len, *eol;
	struct pop3d_retrieved *v = NULL;
	size_t n = 0;
	uint64_t version, uv, uid, when;
	bool hide;

	*v_out = NULL;
	*n_out = 0;
	if (len < sizeof(magic) - 1 || memcmp(p, magic, sizeof(magic) - 1))
		return;
	p += sizeof(magic) - 1;
	if (num(&p, end, UINT32_MAX, &version) == -1 || version == 0 ||
	    version > 2 || p == end ||
	    *p++ != ' ' || num(&p, end, UINT32_MAX, &uv) == -1 || p == end ||
	    *p++ != '\n' || uv != uidvalidity)
		return;
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			goto bad;
		if (num(&p, eol, UINT32_MAX, &uid) == -1 || p == eol ||
		    *p++ != ' ' || num(&p, eol, INT64_MAX, &when) == -1 ||
		    uid == 0)
			goto bad;
		hide = version >= 2 &&
		    (size_t)(eol - p) == sizeof(hidden) - 1 &&
		    memcmp(p, hidden, sizeof(hidden) - 1) == 0;
		if (p != eol && !hide)
			goto bad;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].uid = (uint32_t)uid;
		v[n].when = (int64_t)when;
		v[n].hidden = hide;
		n++;
		p = eol + 1;
	}
	if (n > 1) {
		size_t k = 1;

		/* A UID listed twice keeps its first retrieval, and stays
		 * hidden if it ever was. */
		qsort(v, n, sizeof(*v), cmp_uid_when);
		for (size_t i = 1; i < n; i++) {
			if (v[i].uid != v[k - 1].uid)
				v[k++] = v[i];
			else if (v[i].hidden)
				v[k - 1].hidden = true;
		}
		n = k;
	}
	*v_out = v;
	*n_out = n;
	return;
bad:
	free(v);
}

void
pop3d_retrieved_format(uint32_t uidvalidity, const struct pop3d_retrieved *v,
    size_t n, char **text_out, size_t *len_out)
{
	struct buf b;

	buf_init(&b, SIZE_MAX / 2);
	if (buf_printf(&b, "postern-pop3-retrieved 2 %" PRIu32 "\n",
	    uidvalidity) == -1)
		abort();
	for (size_t i = 0; i < n; i++)
		if (buf_printf(&b, "%" PRIu32 " %" PRId64 "%s\n", v[i].uid,
		    v[i].when, v[i].hidden ? " hidden" : "") == -1)
			abort();
	*text_out = buf_steal(&b, len_out);
}

int
pop3d_retrieved_load(const char *dir, uint32_t uidvalidity,
    struct pop3d_retrieved **v_out, size_t *n_out)
{
	char *path = xasprintf("%s/%s", dir, POP3D_RETRIEVED_FILE);
	struct buf b;
	char chunk[8192];
	ssize_t got;
	int fd, rc = 0;

	*v_out = NULL;
	*n_out = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	buf_init(&b, POP3D_RETRIEVED_MAX);
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1 || buf_append(&b, chunk, (size_t)got) == -1) {
			rc = got == -1 ? -1 : 0;	/* too big: none */
			buf_reset(&b);
			break;
		}
	}
	close(fd);
	if (b.len > 0)
		pop3d_retrieved_parse(b.data, b.len, uidvalidity, v_out,
		    n_out);
	buf_free(&b);
	return rc;
}

int
pop3d_retrieved_save(const char *dir, uint32_t uidvalidity,
    const struct pop3d_retrieved *v, size_t n)
{
	char *path = xasprintf("%s/%s", dir, POP3D_RETRIEVED_FILE);
	char *text;
	size_t len;
	int rc;

	pop3d_retrieved_format(uidvalidity, v, n, &text, &len);
	rc = durable_write(path, text, len, 0600);
	free(text);
	free(path);
	return rc;
}

const struct pop3d_retrieved *
pop3d_retrieved_find(const struct pop3d_retrieved *v, size_t n, uint32_t uid)
{
	struct pop3d_retrieved key = { .uid = uid };

	return n == 0 ? NULL : bsearch(&key, v, n, sizeof(*v), cmp_uid);
}
