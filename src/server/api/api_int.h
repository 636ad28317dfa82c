/*
 * api_int.h - internals of the API layer (api.c, api_params.c, xml.c),
 * exposed for their unit tests and fuzz target.
 */
#ifndef WK_SERVER_API_INT_H
#define WK_SERVER_API_INT_H

#include <stddef.h>

#include "common/buf.h"
#include "server/api/api.h"

/* True when s is well-formed UTF-8 (no overlongs, no surrogates). */
bool wk_utf8_valid(struct wk_span s);

#endif
