/*
 * fuzz_aws_config.c - the INI parser of ~/.aws/credentials and
 * ~/.aws/config (cli/aws_config.c): no crash, no leak, and every entry it
 * returns is findable and free of line breaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cli/aws_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_ini ini;
	size_t i, line;

	if (wk_ini_parse(wk_span_from_mem(data, size), &ini, &line) != 0) {
		if (ini.v != NULL || ini.n != 0)
			__builtin_trap();
		return 0;
	}
	for (i = 0; i < ini.n; i++) {
		const struct wk_ini_entry *e = &ini.v[i];

		if (strchr(e->key, '\n') != NULL ||
		    strchr(e->value, '\n') != NULL ||
		    strchr(e->section, '\n') != NULL || e->key[0] == '\0' ||
		    wk_ini_get(&ini, e->section, e->key) == NULL)
			__builtin_trap();
	}
	wk_ini_free(&ini);
	return 0;
}
