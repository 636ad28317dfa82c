/*
 * tls_int.h - between tls.c and http.c: the libmicrohttpd options that
 * switch the listener to TLS with tls.c's certificate callback.
 */
#ifndef WK_SERVER_HTTP_TLS_INT_H
#define WK_SERVER_HTTP_TLS_INT_H

#include <microhttpd.h>
#include <stddef.h>

struct wk_tls;

/*
 * Fills opts (n >= 3 entries) for MHD_OPTION_ARRAY: with t, the
 * certificate callback serving t's current set and the TLS 1.2+
 * priorities, then MHD_OPTION_END; without t, MHD_OPTION_END only.
 * Returns how many options precede the end. t becomes the process's
 * listener certificate store (one listener per process).
 */
size_t wk_tls_mhd_options(struct wk_tls *t, struct MHD_OptionItem *opts,
    size_t n);

#endif
