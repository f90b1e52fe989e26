/*
 * queue_relayauth.c: fuzz the data_dir/relay-auth line parser. Any bytes
 * are refused or taken cleanly; a taken line has non-empty fields free of
 * NUL, CR and LF.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "queue/relayauth.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_auth a;
	const char *why;

	if (size > 4 * RELAY_AUTH_LINE_MAX)
		return 0;
	if (relay_auth_parse((const char *)data, size, &a, &why) != 1)
		return 0;
	assert(a.nexthop[0] != '\0' && a.user[0] != '\0' &&
	    a.pass[0] != '\0');
	assert(strcspn(a.pass, "\r\n") == strlen(a.pass));
	assert(strlen(a.pass) < size);
	relay_auth_clear(&a);
	return 0;
}
