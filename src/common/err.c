#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *
wk_strerror(int err)
{
	switch (err) {
	case WK_OK: return "success";
	case WK_ERR_NOMEM: return "out of memory";
	case WK_ERR_INVAL: return "invalid input";
	case WK_ERR_TOOBIG: return "input too large";
	case WK_ERR_NOTFOUND: return "not found";
	case WK_ERR_EXISTS: return "already exists";
	case WK_ERR_IO: return "I/O error";
	case WK_ERR_CRYPTO: return "cryptographic operation failed";
	case WK_ERR_AUTH: return "authentication failed";
	case WK_ERR_EXPIRED: return "expired or not yet valid";
	case WK_ERR_DENIED: return "access denied";
	case WK_ERR_STORE: return "storage error";
	case WK_ERR_TIMEOUT: return "timed out";
	case WK_ERR_CONFLICT: return "conflict with existing state";
	case WK_ERR_LIMIT: return "limit exceeded";
	case WK_ERR_UNAVAIL: return "unavailable";
	case WK_ERR_INTERNAL: return "internal error";
	case WK_ERR_STORE_UNAVAIL: return "database unavailable";
	case WK_ERR_UNSUPPORTED: return "not supported by this store";
	}
	return "unknown error";
}

void
wk_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}
