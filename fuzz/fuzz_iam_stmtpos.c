/*
 * fuzz_iam_stmtpos.c - the statement position scanner of the policy
 * simulator (iam_stmtpos.c) on arbitrary text; the first byte is the
 * statement index.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/iam/iam_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_iam_pos a, b;
	char *doc;

	if (size < 1 || size > 65536)
		return 0;
	if ((doc = malloc(size)) == NULL)
		return 0;
	memcpy(doc, data + 1, size - 1);
	doc[size - 1] = '\0';
	if (wk_iam_statement_position(doc, data[0] % 8, &a, &b) == 0 &&
	    (a.line < 1 || a.column < 1 || b.line < a.line ||
	    (b.line == a.line && b.column < a.column)))
		abort();
	free(doc);
	return 0;
}
