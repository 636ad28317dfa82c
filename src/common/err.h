/*
 * err.h - the one error convention: fallible functions return 0 or a
 * negative WK_ERR_* code; results go through out-parameters.
 */
#ifndef WK_COMMON_ERR_H
#define WK_COMMON_ERR_H

#include <stddef.h>

enum wk_err {
	WK_OK = 0,
	WK_ERR_NOMEM = -1,	/* allocation failed */
	WK_ERR_INVAL = -2,	/* malformed or out-of-range input */
	WK_ERR_TOOBIG = -3,	/* input over its ceiling */
	WK_ERR_NOTFOUND = -4,	/* no such entity */
	WK_ERR_EXISTS = -5,	/* entity already exists */
	WK_ERR_IO = -6,		/* read/write/socket failure (errno set) */
	WK_ERR_CRYPTO = -7,	/* a crypto library call failed */
	WK_ERR_AUTH = -8,	/* signature/credential did not verify */
	WK_ERR_EXPIRED = -9,	/* outside its validity window */
	WK_ERR_DENIED = -10,	/* refused by policy */
	WK_ERR_STORE = -11,	/* storage backend failure */
	WK_ERR_TIMEOUT = -12,	/* a deadline passed */
	WK_ERR_CONFLICT = -13,	/* refused because of dependent state */
	WK_ERR_LIMIT = -14,	/* a count or quota limit reached */
	WK_ERR_UNAVAIL = -15,	/* peer not connected / not reachable */
	WK_ERR_INTERNAL = -16,	/* a bug or an impossible state */
	WK_ERR_STORE_UNAVAIL = -17,	/* the database is unreachable (retry) */
	WK_ERR_UNSUPPORTED = -18,	/* not implemented by this backend */
};

/* Human-readable text for an error code; never NULL. */
const char *wk_strerror(int err);

/*
 * Writes the reason a call failed into the caller's `why` buffer
 * (printf-style, truncated to whysz); does nothing when why is NULL or
 * whysz is 0. The shape every "why, whysz" out-parameter here uses.
 */
void wk_why(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
