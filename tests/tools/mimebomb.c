/*
 * mimebomb: runs one parser over a file and reports its time and memory,
 * for tests/integration/test_mime_bombs.py (issue 3's bombs: bounded memory,
 * linear time, no crash).
 *
 * usage: mimebomb tree|addr|hdr|hdrall|hdrbyte|text file
 *   tree: MIME tree, file names of every part, BODYSTRUCTURE, ENVELOPE
 *   addr: the whole file as an address list (a To: value)
 *   hdr:  the incremental header parser with default limits, 64 KiB pushes
 *   hdrall, hdrbyte: the same with the limits opened up to the file's size,
 *         the whole file in one push or one byte per push
 *   text: the whole file as header text to RFC 2047 decode
 * prints: {"bytes": N, "count": N, "seconds": S, "peak_kb": K, "base_kb": K}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "mime/addr.h"
#include "mime/hdr.h"
#include "mime/imapview.h"
#include "mime/rfc2047.h"
#include "mime/tree.h"

/*
 * Peak RSS of this process image. ru_maxrss would do, but Linux keeps it
 * across execve, so it includes the parent's (Python's) peak; VmHWM is
 * reset with the new address space.
 */
static long
peak_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	FILE *f;
	char *data;
	long size, base;
	size_t count = 0;
	double t0;

	if (argc != 3 || (f = fopen(argv[2], "rb")) == NULL) {
		fprintf(stderr, "usage: mimebomb tree|addr|hdr|hdrall|hdrbyte|text "
		    "file\n");
		return 2;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	data = malloc((size_t)size + 1);
	if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size)
		return 1;
	fclose(f);
	base = peak_kb();
	t0 = now();
	if (strcmp(argv[1], "tree") == 0) {
		struct mime_tree *t;
		struct buf b;
		size_t i;

		buf_init(&b, (size_t)size * 2 + 4096);
		mime_tree_parse(data, (size_t)size, NULL, &t, NULL);
		count = mime_tree_count(t);
		for (i = 0; i < count; i++) {
			buf_reset(&b);
			mime_part_filename(t, mime_tree_part(t, i), &b);
		}
		buf_reset(&b);
		mime_imap_bodystructure(t, 0, 1, &b);
		buf_reset(&b);
		mime_imap_envelope(t, 0, &b);
		buf_free(&b);
		mime_tree_free(&t);
	} else if (strcmp(argv[1], "addr") == 0) {
		struct mime_addr_parser *p = mime_addr_parser_new(data,
		    (size_t)size);
		struct mime_addr a;

		while (mime_addr_next(p, &a, NULL) == 1)
			count++;
		mime_addr_parser_free(&p);
	} else if (strncmp(argv[1], "hdr", 3) == 0) {
		struct mime_hdr_settings set;
		struct mime_hdr *p;
		struct mime_hdr_field fld;
		size_t off = 0, chunk = 65536;

		mime_hdr_settings_default(&set);
		if (strcmp(argv[1], "hdr") != 0) {
			set.max_size = set.max_line = set.max_fields =
			    (size_t)size + 1;
			chunk = strcmp(argv[1], "hdrbyte") == 0 ? 1 :
			    (size_t)size;
		}
		p = mime_hdr_new(&set);
		while (off < (size_t)size && !mime_hdr_is_done(p)) {
			size_t n = (size_t)size - off < chunk ?
			    (size_t)size - off : chunk;

			if (mime_hdr_push(p, data + off, n, NULL) == -1)
				break;
			off += n;
			while (mime_hdr_next(p, &fld, NULL) == 1)
				count++;
		}
		mime_hdr_free(&p);
	} else if (strcmp(argv[1], "text") == 0) {
		struct buf b;

		buf_init(&b, (size_t)size * 4 + 16);
		mime_rfc2047_decode(data, (size_t)size, &b, NULL);
		count = b.len;
		buf_free(&b);
	} else
		return 2;
	printf("{\"bytes\": %ld, \"count\": %zu, \"seconds\": %.4f, "
	    "\"peak_kb\": %ld, \"base_kb\": %ld}\n", size, count, now() - t0,
	    peak_kb(), base);
	free(data);
	return 0;
}
