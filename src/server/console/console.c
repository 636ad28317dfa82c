/*
 * console.c - the console as a whole, above its pages: forgets every
 * session, sign-in throttle and terminal (tests).
 */
#include "server/console/console.h"
#include "server/console/console_int.h"

void
wk_console_reset(void)
{
	wk_console_terms_reset();
	wk_console_sessions_reset();
	wk_console_locks_reset();
}
