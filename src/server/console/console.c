/*
 * console.c - the console as a whole, above its pages: ends a user's
 * sessions and terminals (IAM's hooks), forgets every session, sign-in
 * throttle and terminal (tests).
 */
#include "server/console/console.h"

#include "common/log.h"
#include "server/console/console_int.h"

void
wk_console_reset(void)
{
	wk_console_terms_reset();
	wk_console_sessions_reset();
	wk_console_locks_reset();
}

void
wk_console_end_user(const char *user_id)
{
	size_t ns, nt;

	if (user_id == NULL || user_id[0] == '\0')
		return;
	ns = wk_console_sessions_end_user(user_id);
	nt = wk_console_terms_end_user(user_id);
	if (ns > 0 || nt > 0)
		wk_log_auth(WK_LOG_INFO, "console_session", "user_id=%s "
		    "outcome=ended sessions=%zu terminals=%zu", user_id, ns,
		    nt);
}
