/*
 * console.c - the console as a whole, above its pages: ends a user's
 * sessions and terminals (IAM's hooks), forgets every sign-in
 * throttle and terminal (tests).
 */
#include "server/console/console.h"

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/console/console_int.h"
#include "server/server.h"

static struct wk_timer *sweep_timer;
static struct wk_server *sweep_srv;

void
wk_console_reset(void)
{
	wk_console_terms_reset();
	wk_console_locks_reset();
}

void
wk_console_end_user(struct wk_store *st, const char *user_id)
{
	size_t ns, nt;

	if (user_id == NULL || user_id[0] == '\0')
		return;
	ns = wk_console_sessions_end_user(st, user_id);
	nt = wk_console_terms_end_user(user_id);
	if (ns > 0 || nt > 0)
		wk_log_auth(WK_LOG_INFO, "console_session", "user_id=%s "
		    "outcome=ended sessions=%zu terminals=%zu", user_id, ns,
		    nt);
}

size_t
wk_console_recordings_sweep(struct wk_server *srv)
{
	const char **keep = NULL;
	size_t nkeep = 0, removed = 0;
	int r;

	if (srv->cfg.recording_retention_days == 0)
		return 0;
	/* the recordings of terminals still open are not swept */
	if ((r = wk_console_terms_recording_ids(&keep, &nkeep)) != 0 ||
	    (r = wk_recordings_sweep(srv->cfg.data_dir,
	    srv->cfg.recording_retention_days, wk_wall_now(), keep, nkeep,
	    &removed)) != 0)
		wk_log(WK_LOG_ERROR, "recording", "outcome=sweep_failed "
		    "error=%s", wk_strerror(r));
	wk_free(keep);
	return removed;
}

static void
sweep_cb(void *arg)
{
	struct wk_server *srv = arg;

	sweep_timer = NULL;
	(void)wk_console_recordings_sweep(srv);
	sweep_timer = wk_loop_timer_add(srv->loop, WK_RECORDING_SWEEP_MS,
	    sweep_cb, srv);
}

int
wk_console_recordings_start(struct wk_server *srv)
{
	if (srv->cfg.recording_retention_days == 0 || srv->loop == NULL)
		return 0;
	(void)wk_console_recordings_sweep(srv);
	sweep_srv = srv;
	sweep_timer = wk_loop_timer_add(srv->loop, WK_RECORDING_SWEEP_MS,
	    sweep_cb, srv);
	return sweep_timer != NULL ? 0 : WK_ERR_NOMEM;
}

void
wk_console_recordings_stop(void)
{
	if (sweep_srv != NULL && sweep_timer != NULL)
		wk_loop_timer_cancel(sweep_srv->loop, sweep_timer);
	sweep_timer = NULL;
	sweep_srv = NULL;
}
