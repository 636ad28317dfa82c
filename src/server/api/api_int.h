/*
 * api_int.h - internals of the API front (api.c, api_params.c, xml.c,
 * sts_*.c), exposed for their unit tests and fuzz target.
 */
#ifndef WK_SERVER_API_INT_H
#define WK_SERVER_API_INT_H

#include <stddef.h>

#include "common/buf.h"
#include "server/api/api.h"

/* Ceilings of the Query form body parser. */
#define WK_PARAMS_MAX_COUNT 1000	/* parameters per request */
#define WK_PARAMS_MAX_NAME 256		/* bytes of a decoded name */

/* ---- api_params.c ---- */
/*
 * Parses an application/x-www-form-urlencoded body ("a=1&b=x+y%21") into
 * decoded parameters, in order. Refuses (WK_ERR_INVAL) bad escapes, NUL
 * bytes, invalid UTF-8, empty or over-long names and duplicate names (a
 * duplicate could be read one way by authorization and another way by the
 * handler); more than max_count parameters is WK_ERR_TOOBIG. Empty
 * segments ("a=1&&b=2") are skipped; "name" alone means value "".
 * On error *out is empty; `why` (may be NULL) receives a short reason.
 */
int wk_params_parse(struct wk_span body, size_t max_count,
    struct wk_params *out, char *why, size_t whysz);
void wk_params_free(struct wk_params *p);	/* NULL-safe, reusable */

/* True when s is well-formed UTF-8 (no overlongs, no surrogates). */
bool wk_utf8_valid(struct wk_span s);

/* ---- api.c ---- */
/* The protocol of the request being dispatched (for wk_api_authorize):
 * known while a handler runs; otherwise guessed from req. */
enum wk_protocol wk_api_req_protocol(const struct wk_api_req *req);

/* Finds an action in a NULL-terminated table (exact, case-sensitive). */
const struct wk_api_action *wk_api_find(const struct wk_api_action *const *t,
    const char *name, const char *target_prefix);

/*
 * Renders a finished response in the protocol's shape into body (and the
 * content type / extra headers). Exposed for tests.
 */
int wk_api_render(enum wk_protocol proto, const char *action,
    const char *request_id, const struct wk_api_resp *resp,
    struct wk_buf *body, const char **content_type, struct wk_buf *headers);

/* ---- STS actions ---- */
extern const struct wk_api_action wk_sts_get_caller_identity;

#endif
