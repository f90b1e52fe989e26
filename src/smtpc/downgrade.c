/*
 * downgrade.c: 8BITMIME downgrade (see downgrade.h). RFC 6152 §3, RFC
 * 2045 §6 (transfer encodings), RFC 2046 §5 (composite types are never
 * encoded). Runs in the queue role, inside the SMTP client engine.
 *
 * The message is rebuilt from its raw bytes: untouched ranges are copied,
 * and each part that needs it gets a new header and (for leaves) a new
 * body. Parts come in pre-order, so the edits are in order and never
 * overlap except a leaf's header edit followed by its own body edit.
 */
#include "smtpc/downgrade.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mime/codec.h"
#include "mime/tree.h"

bool
smtpc_has_8bit(const char *msg, size_t len)
{
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t w;
	size_t i = 0;

	/* Eight bytes at a time: every message to relay is scanned. */
	for (; i + sizeof(w) <= len; i += sizeof(w)) {
		memcpy(&w, msg + i, sizeof(w));
		if (w & high)
			return true;
	}
	for (; i < len; i++)
		if ((unsigned char)msg[i] >= 0x80)
			return true;
	return false;
}

static bool
field_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0)
		return false;
	for (size_t i = n; i < len; i++) {
		if (line[i] == ':')
			return true;
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	}
	return false;
}

/* Copies the header [s, e) without its Content-Transfer-Encoding field
 * (and, at the top, notes what MIME fields are there), then adds cte and
 * the empty line. */
static int
put_header(struct buf *out, const char *s, const char *e, const char *cte,
    bool top)
{
	bool drop = false, mime_version = false, ctype = false;
	const char *line = s, *nl;
	size_t len;

	while (line < e) {
		nl = memchr(line, '\n', (size_t)(e - line));
		len = nl ? (size_t)(nl - line) + 1 : (size_t)(e - line);
		if (line[0] == '\r' || line[0] == '\n')
			break;	/* the empty line ending the header */
		if (line[0] != ' ' && line[0] != '\t') {
			drop = field_is(line, len, "Content-Transfer-Encoding");
			if (field_is(line, len, "MIME-Version"))
				mime_version = true;
			if (field_is(line, len, "Content-Type"))
				ctype = true;
		}
		if (!drop && buf_append(out, line, len) == -1)
			return -1;
		if (len > 0 && line[len - 1] != '\n' &&
		    buf_puts(out, "\r\n") == -1)
			return -1;
		line += len;
	}
	if (top && !mime_version && buf_puts(out, "MIME-Version: 1.0\r\n") == -1)
		return -1;
	if (top && !ctype && buf_puts(out,
	    "Content-Type: text/plain; charset=utf-8\r\n") == -1)
		return -1;
	return buf_printf(out, "Content-Transfer-Encoding: %s\r\n\r\n", cte);
}

int
smtpc_downgrade(const char *msg, size_t len, struct buf *out,
    const char **errstr_out)
{
	struct mime_tree *t;
	size_t done = 0, n, start = out->len;
	int rc = -1;

	if (mime_tree_parse(msg, len, NULL, &t, errstr_out) == -1)
		return -1;
	n = mime_tree_count(t);
	for (size_t i = 0; i < n; i++) {
		const struct mime_part *p = mime_tree_part(t, i);
		bool leaf = !(p->flags & (MIME_PART_F_MULTIPART |
		    MIME_PART_F_MESSAGE));
		bool text = strcmp(p->type, "text") == 0;
		const char *cte;

		if (smtpc_has_8bit(msg + p->hdr_start,
		    p->body_start - p->hdr_start)) {
			*errstr_out = "8-bit bytes in a header";
			goto out;
		}
		if (leaf && !smtpc_has_8bit(msg + p->body_start,
		    p->body_end - p->body_start))
			continue;
		if (!leaf && p->cte != MIME_CTE_8BIT &&
		    p->cte != MIME_CTE_BINARY)
			continue;
		/* This part changes: copy what precedes it. */
		cte = !leaf ? "7bit" : text && p->cte != MIME_CTE_BINARY ?
		    "quoted-printable" : "base64";
		if (buf_append(out, msg + done, p->hdr_start - done) == -1 ||
		    put_header(out, msg + p->hdr_start, msg + p->body_start, cte,
		    i == 0) == -1)
			goto full;
		done = p->body_start;
		if (!leaf)
			continue;
		/* A leaf with 8-bit content was 7bit, 8bit or binary: its raw
		 * bytes are the content (qp/base64 cannot hold 8-bit). */
		if (text && p->cte != MIME_CTE_BINARY) {
			if (mime_qp_encode(msg + p->body_start,
			    p->body_end - p->body_start, MIME_QP_TEXT, out) == -1)
				goto full;
		} else if (mime_b64_encode(msg + p->body_start,
		    p->body_end - p->body_start, MIME_CODEC_LINE_MAX, out) == -1)
			goto full;
		done = p->body_end;
	}
	if (buf_append(out, msg + done, len - done) == -1)
		goto full;
	/* What no part owns (a multipart's preamble and epilogue) was
	 * copied as is: 8-bit there cannot be converted. */
	if (smtpc_has_8bit(out->data + start, out->len - start)) {
		buf_truncate(out, start);
		*errstr_out = "8-bit bytes outside any part";
		goto out;
	}
	rc = 0;
	goto out;
full:
	buf_truncate(out, start);
	*errstr_out = "converted message too large";
out:
	mime_tree_free(&t);
	return rc;
}
