/*
 * lib_config.c: fuzz the config parser. Any input parses or fails with a
 * one-line "NAME:LINE: message"; a success frees cleanly.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[CONFIG_ERR_MAX];

	err[0] = '\0';
	if (config_parse((const char *)data, size, "fuzz.conf", "/base", &cfg,
	    err, sizeof(err)) == 0) {
		assert(cfg.hostname != NULL && cfg.data_dir != NULL);
		(void)config_route_lookup(&cfg, "example.org");
		config_free(&cfg);
	} else {
		assert(strncmp(err, "fuzz.conf", 9) == 0);
		assert(memchr(err, '\n', strlen(err)) == NULL);
	}
	return 0;
}
