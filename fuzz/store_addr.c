/*
 * store_addr.c: libFuzzer target for address normalisation and the path
 * component encoding (store/addr.h): whatever is accepted normalises to
 * itself, and its mail directory component is one safe file name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[512], out[STORE_ADDR_MAX + 1], again[STORE_ADDR_MAX + 1];
	char enc[STORE_LOCAL_MAX * 3 + 1], sub[STORE_ADDR_MAX + 1];
	const char *errstr, *at;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (store_addr_normalize(in, "example.org", out, sizeof(out),
	    &errstr) == -1)
		return 0;
	if (store_addr_normalize(out, NULL, again, sizeof(again),
	    &errstr) == -1 || strcmp(out, again) != 0)
		abort();
	at = strrchr(out, '@');
	if (at == NULL || store_path_encode(out, (size_t)(at - out), enc,
	    sizeof(enc)) == -1)
		abort();
	if (strchr(enc, '/') != NULL || strcmp(enc, ".") == 0 ||
	    strcmp(enc, "..") == 0 || enc[0] == '\0')
		abort();
	if (store_addr_strip_sub(out, '+', sub, sizeof(sub)) == 1 &&
	    strlen(sub) >= strlen(out))
		abort();
	return 0;
}
