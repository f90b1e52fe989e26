/*
 * mimedump: prints the MIME tree of a message file as JSON, for the
 * differential test against Python's email package
 * (tests/integration/test_mime_diff.py) and for debugging.
 *
 * usage: mimedump [-s] [-e] [-b] file
 *   default: {"subject": ..., "parts": [{depth, type, filename, leaf,
 *            size, fnv}]}, fnv = FNV-1a 64 of the decoded leaf bytes
 *   -e: ENVELOPE of the message; -b: BODYSTRUCTURE; -x SECTION: the
 *   section's bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "mime/imapview.h"
#include "mime/rfc2047.h"
#include "mime/tree.h"

static void
json_str(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static uint64_t
fnv(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static char *
slurp(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[65536];
	size_t n;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	buf_init(&b, (size_t)1 << 34);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (buf_append(&b, tmp, n) == -1)
			exit(1);
	fclose(f);
	if (b.data == NULL)
		buf_append(&b, "", 0);
	return buf_steal(&b, len_out);
}

int
main(int argc, char **argv)
{
	struct mime_tree *t;
	const char *errstr, *section = NULL;
	struct buf out, tmp;
	size_t len, i;
	char *msg;
	int ch, mode = 0;

	while ((ch = getopt(argc, argv, "ebx:")) != -1) {
		switch (ch) {
		case 'e':
		case 'b':
			mode = ch;
			break;
		case 'x':
			mode = 'x';
			section = optarg;
			break;
		default:
			fprintf(stderr, "usage: mimedump [-e|-b|-x sec] file\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: mimedump [-e|-b|-x sec] file\n");
		return 2;
	}
	msg = slurp(argv[optind], &len);
	if (mime_tree_parse(msg, len, NULL, &t, &errstr) == -1) {
		fprintf(stderr, "mimedump: %s\n", errstr);
		return 1;
	}
	buf_init(&out, (size_t)1 << 34);
	buf_init(&tmp, (size_t)1 << 34);
	if (mode == 'e' || mode == 'b') {
		if (mode == 'e')
			mime_imap_envelope(t, 0, &out);
		else
			mime_imap_bodystructure(t, 0, 1, &out);
		printf("%s\n", buf_cstr(&out));
		goto done;
	}
	if (mode == 'x') {
		if (mime_imap_section_fetch(t, section, strlen(section), &out,
		    &errstr) == -1) {
			fprintf(stderr, "mimedump: %s\n", errstr);
			return 1;
		}
		fwrite(out.data != NULL ? out.data : "", 1, out.len, stdout);
		goto done;
	}
	printf("{\"subject\": ");
	if (mime_part_header_get(t, mime_tree_part(t, 0), "Subject", &tmp) ==
	    1) {
		mime_rfc2047_decode(buf_cstr(&tmp), tmp.len, &out, NULL);
		json_str(buf_cstr(&out), out.len);
	} else
		printf("null");
	{
		static const char *const prefs[] = { "plain", "html", NULL };
		size_t body = mime_tree_body(t, prefs);

		if (body == MIME_PART_NONE)
			printf(",\n \"body\": null");
		else
			printf(",\n \"body\": %zu", body);
	}
	printf(",\n \"parts\": [");
	for (i = 0; i < mime_tree_count(t); i++) {
		const struct mime_part *p = mime_tree_part(t, i);
		int leaf = p->first_child == MIME_PART_NONE;

		printf("%s\n  {\"depth\": %u, \"type\": \"%s/%s\", ",
		    i ? "," : "", p->depth, p->type, p->subtype);
		buf_reset(&out);
		printf("\"filename\": ");
		if (mime_part_filename(t, p, &out) == 1)
			json_str(buf_cstr(&out), out.len);
		else
			printf("null");
		printf(", \"leaf\": %s", leaf ? "true" : "false");
		if (leaf) {
			buf_reset(&out);
			mime_part_decode(t, p, &out, NULL);
			printf(", \"size\": %zu, \"fnv\": \"%016llx\"", out.len,
			    (unsigned long long)fnv(buf_cstr(&out), out.len));
		}
		printf(", \"offsets\": [%zu, %zu, %zu], \"lines\": %zu}",
		    p->hdr_start, p->body_start, p->body_end, p->body_lines);
	}
	printf("\n]}\n");
done:
	buf_free(&out);
	buf_free(&tmp);
	mime_tree_free(&t);
	free(msg);
	return 0;
}
