/*
 * signing_watch.c - the running server's signing keys: reloads them when
 * their files change (a timer), on SIGHUP, and, for replicas on
 * PostgreSQL, when the store's copy moves on (signing_sync.c; NOTIFY 'k'
 * or the same timer); agents' held polls are answered after a change so
 * they learn the new set at once.
 */
#include "server/hub/signing_keys.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/file_stamp.h"
#include "common/log.h"
#include "server/hub/agent_hub.h"
#include "server/http/http.h"
#include "server/server.h"
#include "server/wicketd.h"

#define PATH_MAX_LEN 1100

/* The three key files and signing.statements. */
#define NSTAMPS (WK_SIGNING_NROLES + 1)

static const char *
stamp_file(int i)
{
	return i < WK_SIGNING_NROLES ? wk_signing_file(i) :
	    WK_DATA_SIGNING_STATEMENTS;
}

struct wk_signing_watch {
	struct wk_server *srv;
	int sigfd;
	struct wk_watch *w;
	struct wk_timer *timer;
	struct wk_file_stamp stamps[NSTAMPS];
};

static void
take_stamps(const char *dir, struct wk_file_stamp out[NSTAMPS])
{
	char path[PATH_MAX_LEN];

	for (int role = 0; role < NSTAMPS; role++) {
		if (wk_data_path(dir, stamp_file(role), path,
		    sizeof(path)) != 0)
			path[0] = '\0';
		wk_file_stamp_take(path, false, &out[role]);
	}
}

static bool
stamps_equal(const struct wk_file_stamp *a, const struct wk_file_stamp *b)
{
	for (int i = 0; i < NSTAMPS; i++)
		if (!wk_file_stamp_equal(&a[i], &b[i]))
			return false;
	return true;
}

static void
key_id(const struct wk_signkey *k, char id[WK_SIGNKEY_ID_LEN + 1])
{
	struct wk_pubkey pk;

	if (k == NULL) {
		snprintf(id, WK_SIGNKEY_ID_LEN + 1, "-");
		return;
	}
	wk_signkey_public(k, &pk);
	memcpy(id, pk.id, sizeof(pk.id));
}

int
wk_signing_server_reload(struct wk_server *srv, bool force, bool *changed)
{
	struct wk_signing_watch *sw = srv->signwatch;
	struct wk_file_stamp now[NSTAMPS];
	struct wk_signkey *const *old[WK_SIGNING_NROLES];
	struct wk_signing_set s;
	char why[1400], before[WK_SIGNING_NROLES][WK_SIGNKEY_ID_LEN + 1];
	char after[WK_SIGNING_NROLES][WK_SIGNKEY_ID_LEN + 1];
	bool diff = false;
	int r;

	if (changed != NULL)
		*changed = false;
	take_stamps(srv->cfg.data_dir, now);
	if (!force && sw != NULL && stamps_equal(now, sw->stamps))
		return 0;
	/* a failed attempt is not retried until the files change again */
	if (sw != NULL)
		memcpy(sw->stamps, now, sizeof(now));
	why[0] = '\0';
	if ((r = wk_signing_set_load(srv->cfg.data_dir, &s, why,
	    sizeof(why))) != 0) {
		wk_log(WK_LOG_ERROR, "signing_keys_reload_failed",
		    "reason=\"%s\" action=keep_current_keys", why);
		return r;
	}
	old[WK_SIGNING_CURRENT] = &srv->signkey;
	old[WK_SIGNING_NEXT] = &srv->next_signkey;
	old[WK_SIGNING_PREV] = &srv->prev_signkey;
	for (int i = 0; i < WK_SIGNING_NROLES; i++) {
		key_id(*old[i], before[i]);
		key_id(s.key[i], after[i]);
		if (strcmp(before[i], after[i]) != 0)
			diff = true;
	}
	if (srv->rotation == NULL || strcmp(srv->rotation, s.rotation) != 0)
		diff = true;
	if (!diff) {
		wk_signing_set_cleanup(&s);
		return 0;
	}
	wk_signing_server_cleanup(srv);
	srv->signkey = s.key[WK_SIGNING_CURRENT];
	srv->next_signkey = s.key[WK_SIGNING_NEXT];
	srv->prev_signkey = s.key[WK_SIGNING_PREV];
	srv->rotation = s.rotation;
	wk_log(WK_LOG_INFO, "signing_keys_reloaded", "current=%s next=%s "
	    "previous=%s statements_bytes=%zu", after[0], after[1], after[2],
	    strlen(srv->rotation));
	if (changed != NULL)
		*changed = true;
	/* agents learn the new set from their held polls' answers */
	if (srv->hub != NULL)
		wk_agent_hub_wake_all(srv->hub);
	return 0;
}

static void watch_timer(void *arg);

static void
watch_arm(struct wk_signing_watch *sw)
{
	sw->timer = wk_loop_timer_add(sw->srv->loop, WK_SIGNING_RELOAD_MS,
	    watch_timer, sw);
}

static void
watch_timer(void *arg)
{
	struct wk_signing_watch *sw = arg;

	sw->timer = NULL;
	/* replicas: a rotation published by another (NOTIFY may be lost) */
	wk_signing_server_sync(sw->srv);
	(void)wk_signing_server_reload(sw->srv, false, NULL);
	/* the listener's certificate rides the same watch (http/tls.c) */
	(void)wk_tls_reload(sw->srv->tls, false, NULL);
	watch_arm(sw);
}

static void
watch_signal(void *arg, uint32_t revents)
{
	struct wk_signing_watch *sw = arg;
	struct signalfd_siginfo si;
	bool got = false;

	(void)revents;
	while (read(sw->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		got = true;
	if (!got)
		return;
	wk_log(WK_LOG_INFO, "signal", "signo=%d action=reload_signing_keys%s",
	    SIGHUP, sw->srv->tls != NULL ? ",reload_tls" : "");
	(void)wk_signing_server_reload(sw->srv, true, NULL);
	(void)wk_tls_reload(sw->srv->tls, true, NULL);
}

int
wk_signing_watch_start(struct wk_server *srv)
{
	struct wk_signing_watch *sw;
	sigset_t mask;

	if (srv->loop == NULL)
		return WK_ERR_INVAL;
	if (srv->signwatch != NULL)
		return 0;
	if ((sw = wk_calloc(1, sizeof(*sw))) == NULL)
		return WK_ERR_NOMEM;
	sw->srv = srv;
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	if ((sw->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (sw->w = wk_loop_watch_fd(srv->loop, sw->sigfd, EPOLLIN,
	    watch_signal, sw)) == NULL) {
		if (sw->sigfd >= 0)
			close(sw->sigfd);
		wk_free(sw);
		return WK_ERR_IO;
	}
	take_stamps(srv->cfg.data_dir, sw->stamps);
	srv->signwatch = sw;
	watch_arm(sw);
	if (sw->timer == NULL) {
		wk_signing_watch_stop(srv);
		return WK_ERR_NOMEM;
	}
	return 0;
}

void
wk_signing_watch_stop(struct wk_server *srv)
{
	struct wk_signing_watch *sw;

	if (srv == NULL || (sw = srv->signwatch) == NULL)
		return;
	wk_loop_timer_cancel(srv->loop, sw->timer);
	wk_loop_unwatch(srv->loop, sw->w);
	wk_loop_reap(srv->loop);
	close(sw->sigfd);
	wk_free(sw);
	srv->signwatch = NULL;
}

void
wk_signing_server_sync(struct wk_server *srv)
{
	static bool failing;
	char why[1400];
	bool changed = false;
	int r;

	if (srv == NULL || !srv->signing_shared)
		return;
	why[0] = '\0';
	r = wk_signing_sync(srv->store, srv->cfg.data_dir, &changed, NULL,
	    why, sizeof(why));
	if (r != 0) {
		/* once per outage, not every few seconds */
		if (!failing)
			wk_log(WK_LOG_ERROR, "signing_keys_sync_failed",
			    "reason=\"%s\" action=keep_current_keys", why);
		failing = true;
		return;
	}
	if (failing)
		wk_log(WK_LOG_INFO, "signing_keys_sync", "outcome=recovered");
	failing = false;
	if (changed) {
		wk_log(WK_LOG_INFO, "signing_keys_sync", "outcome=pulled");
		(void)wk_signing_server_reload(srv, true, NULL);
	}
}
