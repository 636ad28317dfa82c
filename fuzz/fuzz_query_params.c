/*
 * fuzz_query_params.c - the Query form body parser (api_params.c): any
 * input must parse or be refused, never crash or leak; what parses must
 * be NUL-free UTF-8 with unique names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/api/api_int.h"
/*
 * The libraries of a WK_FUZZ build carry no coverage instrumentation
 * (only this file gets -fsanitize=fuzzer), so the parser is compiled in
 * here; the linker then takes none of api_params.o from wk_server.
 */
#include "../src/server/api/api_params.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_params p;
	char why[64];

	if (size > 256 * 1024)
		return 0;
	if (wk_params_parse(wk_span_from_mem(data, size), 64, &p, why,
	    sizeof(why)) == 0) {
		for (size_t i = 0; i < p.n; i++) {
			if (p.v[i].name[0] == '\0' ||
			    !wk_utf8_valid(wk_span_from_cstr(p.v[i].value)) ||
			    wk_params_get(&p, p.v[i].name) != p.v[i].value)
				abort();
		}
		wk_params_free(&p);
	} else if (p.n != 0 || p.v != NULL) {
		abort();
	}
	return 0;
}
