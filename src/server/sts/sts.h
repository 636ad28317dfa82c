/*
 * sts.h - the STS API (sts_get_caller_identity.c; the table is
 * sts_actions.c).
 */
#ifndef WK_SERVER_STS_H
#define WK_SERVER_STS_H

#include "server/api/api.h"

/* ---- STS actions ---- */
extern const struct wk_api_action wk_sts_get_caller_identity;

#endif
