/*
 * store_aliases.c: libFuzzer target for the aliases(5) parser
 * (store/aliasfile.h). The first byte picks the mode; every entry's
 * strings are read so ASan sees any bad pointer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/aliasfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct store_aliasfile_entry *e;
	struct store_aliasfile *p;
	const char *errstr;
	size_t sum = 0;
	int r;

	if (size == 0)
		return 0;
	p = store_aliasfile_new((const char *)data + 1, size - 1, data[0] & 1 ?
	    STORE_ALIASFILE_LIST : STORE_ALIASFILE_ALIASES);
	while ((r = store_aliasfile_next(p, &e, &errstr)) != 0) {
		if (r == -1) {
			sum += strlen(errstr);
			continue;
		}
		if (e->name != NULL)
			sum += strlen(e->name);
		for (size_t i = 0; i < e->ntargets; i++)
			sum += strlen(e->targets[i].value);
	}
	store_aliasfile_free(&p);
	return sum == (size_t)-1;
}
