/*
 * mime_bench: throughput of the MIME tree parse and of base64 decoding
 * over the messages of a corpus directory (bench/mime_bench.sh makes one).
 *
 * usage: mime_bench DIR   prints "parse_mbs N" and "b64_mbs N"
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "mime/codec.h"
#include "mime/tree.h"

struct msg {
	char	*data;
	size_t	 len;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		perror(path);
		exit(1);
	}
	rewind(f);
	p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*len_out = (size_t)n;
	return p;
}

int
main(int argc, char **argv)
{
	struct msg *m = NULL;
	size_t n = 0, cap = 0, i, k, total = 0, b64_in = 0, parts = 0;
	struct dirent *de;
	struct buf out;
	double t0, best_parse = 1e9, best_b64 = 1e9;
	int round;
	DIR *d;

	if (argc != 2 || (d = opendir(argv[1])) == NULL) {
		fprintf(stderr, "usage: mime_bench DIR\n");
		return 2;
	}
	while ((de = readdir(d)) != NULL) {
		char path[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			m = realloc(m, cap * sizeof(*m));
		}
		m[n].data = slurp(path, &m[n].len);
		total += m[n].len;
		n++;
	}
	closedir(d);
	buf_init(&out, (size_t)1 << 30);
	for (round = 0; round < 3; round++) {
		t0 = now();
		for (i = 0; i < n; i++) {
			struct mime_tree *t;

			mime_tree_parse(m[i].data, m[i].len, NULL, &t, NULL);
			if (round == 0)
				parts += mime_tree_count(t);
			mime_tree_free(&t);
		}
		if (now() - t0 < best_parse)
			best_parse = now() - t0;
	}
	/* base64: decode every base64 leaf body. */
	for (round = 0; round < 3; round++) {
		double el = 0;

		b64_in = 0;
		for (i = 0; i < n; i++) {
			struct mime_tree *t;

			mime_tree_parse(m[i].data, m[i].len, NULL, &t, NULL);
			for (k = 0; k < mime_tree_count(t); k++) {
				const struct mime_part *p = mime_tree_part(t, k);

				if (p->cte != MIME_CTE_BASE64 ||
				    p->first_child != MIME_PART_NONE)
					continue;
				buf_reset(&out);
				b64_in += p->body_end - p->body_start;
				t0 = now();
				mime_b64_decode(m[i].data + p->body_start,
				    p->body_end - p->body_start,
				    MIME_B64_LENIENT, &out, NULL);
				el += now() - t0;
			}
			mime_tree_free(&t);
		}
		if (el < best_b64)
			best_b64 = el;
	}
	printf("messages %zu bytes %zu parts %zu\n", n, total, parts);
	printf("parse_mbs %.1f\n", total / best_parse / 1e6);
	printf("b64_mbs %.1f\n", b64_in / best_b64 / 1e6);
	buf_free(&out);
	for (i = 0; i < n; i++)
		free(m[i].data);
	free(m);
	return 0;
}
