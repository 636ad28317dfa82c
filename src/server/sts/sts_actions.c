/*
 * sts_actions.c - the STS actions wicketd serves (Query protocol,
 * Version 2011-06-15).
 */
#include <stddef.h>

#include "server/sts/sts.h"

const struct wk_api_action *const wk_sts_actions[] = {
	&wk_sts_get_caller_identity,
	NULL,
};
