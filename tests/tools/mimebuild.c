/*
 * mimebuild: composes a message with the builder, for the round-trip test
 * (tests/integration/test_mime_build.py).
 *
 * usage: mimebuild [-8] [-F name:addr] [-T name:addr] [-S subject]
 *                  [-B textfile] [-H htmlfile] [-A file[=name][:type]]...
 *                  > message
 * -A: attach file, named name (default: the file's base name), of type
 * (default: detected with libmagic).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "mime/build.h"

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
	buf_init(&b, (size_t)1 << 32);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (buf_append(&b, tmp, n) == -1)
			exit(1);
	fclose(f);
	buf_append(&b, "", 0);
	return buf_steal(&b, len_out);
}

static void
check(int r, const char *err)
{
	if (r == -1) {
		fprintf(stderr, "mimebuild: %s\n", err);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	struct mime_build *b;
	struct buf out;
	const char *err = NULL;
	unsigned flags = 0;
	int ch;

	if (argc > 1 && strcmp(argv[1], "-8") == 0)
		flags = MIME_BUILD_8BIT;
	b = mime_build_new("example.test", flags);
	while ((ch = getopt(argc, argv, "8F:T:S:B:H:A:")) != -1) {
		char *arg = optarg, *colon, *eq, *data;
		size_t len;

		switch (ch) {
		case '8':
			break;
		case 'F':
		case 'T':
			colon = strrchr(arg, ':');
			if (colon == NULL)
				check(mime_build_addr(b, ch == 'F' ? "From" :
				    "To", NULL, arg, &err), err);
			else {
				*colon = '\0';
				check(mime_build_addr(b, ch == 'F' ? "From" :
				    "To", arg, colon + 1, &err), err);
			}
			break;
		case 'S':
			check(mime_build_field(b, "Subject", arg, &err), err);
			break;
		case 'B':
			data = slurp(arg, &len);
			mime_build_text(b, data, len);
			free(data);
			break;
		case 'H':
			data = slurp(arg, &len);
			mime_build_html(b, data, len);
			free(data);
			break;
		case 'A': {
			const char *name, *type = NULL;

			colon = strchr(arg, ':');
			if (colon != NULL) {
				*colon = '\0';
				type = colon + 1;
			}
			eq = strchr(arg, '=');
			if (eq != NULL) {
				*eq = '\0';
				name = eq + 1;
			} else
				name = strrchr(arg, '/') ? strrchr(arg, '/') + 1 :
				    arg;
			data = slurp(arg, &len);
			check(mime_build_attach(b, name, data, len, type,
			    &err), err);
			free(data);
			break;
		}
		default:
			fprintf(stderr, "usage: see mimebuild.c\n");
			return 2;
		}
	}
	buf_init(&out, (size_t)1 << 32);
	check(mime_build_finish(b, &out, &err), err);
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	mime_build_free(&b);
	return 0;
}
