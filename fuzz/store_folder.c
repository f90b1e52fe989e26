/*
 * store_folder.c: libFuzzer target for folder-name validation
 * (store/folder.h). Whatever passes must be a name that cannot leave the
 * user's tree: no NUL, control or 8-bit byte, no "." or ".." component,
 * no empty component, and a canonical form of the same length.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/folder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char canon[STORE_FOLDER_NAME_MAX + 1];
	const char *errstr, *s, *c;

	if (store_folder_name_check((const char *)data, size, canon,
	    sizeof(canon), &errstr) == -1)
		return 0;
	if (strlen(canon) != size || canon[0] == '/' ||
	    canon[size - 1] == '/')
		abort();
	for (size_t i = 0; i < size; i++)
		if (data[i] < 0x20 || data[i] > 0x7e)
			abort();
	for (s = canon; ; s = c + 1) {
		c = strchr(s, '/');
		size_t l = c ? (size_t)(c - s) : strlen(s);
		if (l == 0 || (l == 1 && s[0] == '.') ||
		    (l == 2 && s[0] == '.' && s[1] == '.'))
			abort();
		if (c == NULL)
			break;
	}
	return 0;
}
