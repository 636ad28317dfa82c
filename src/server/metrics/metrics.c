/*
 * metrics.c - the counters and the hooks that move them. Everything runs
 * on wicketd's event loop thread: plain integers, no locks.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/metrics/metrics_int.h"

struct wk_metrics wk_metrics_state;

/* Sorted (strcmp) for bsearch; "unknown" last, outside the search. */
const char *const wk_metrics_actions[] = {
	"AddUserToGroup", "AttachGroupPolicy", "AttachUserPolicy",
	"CreateAccessKey", "CreateGroup", "CreateLoginProfile",
	"CreatePolicy", "CreatePolicyVersion", "CreateTags", "CreateUser",
	"DeleteAccessKey", "DeleteGroup", "DeleteGroupPolicy",
	"DeleteLoginProfile", "DeletePolicy", "DeletePolicyVersion",
	"DeleteTags", "DeleteUser", "DeleteUserPolicy", "DescribeInstances",
	"DetachGroupPolicy", "DetachUserPolicy", "GetAccessKeyLastUsed",
	"GetCallerIdentity", "GetGroup", "GetGroupPolicy", "GetLoginProfile",
	"GetPolicy", "GetPolicyVersion", "GetSessionRecording", "GetUser",
	"GetUserPolicy",
	"ListAccessKeys", "ListAttachedGroupPolicies",
	"ListAttachedUserPolicies", "ListAuditEvents",
	"ListEntitiesForPolicy", "ListGroupPolicies", "ListGroups",
	"ListGroupsForUser", "ListPolicies", "ListPolicyVersions",
	"ListSessionRecordings", "ListSessions",
	"ListUserPolicies", "ListUserTags", "ListUsers", "PutGroupPolicy",
	"PutUserPolicy", "RemoveUserFromGroup", "RevokeSessions",
	"SendSSHPublicKey",
	"SetDefaultPolicyVersion", "SimulateCustomPolicy",
	"SimulatePrincipalPolicy", "TagUser", "UntagUser", "UpdateAccessKey",
	"UpdateLoginProfile", "UpdateUser",
	"unknown",
};
const size_t wk_metrics_nactions =
    sizeof(wk_metrics_actions) / sizeof(wk_metrics_actions[0]);
_Static_assert(sizeof(wk_metrics_actions) / sizeof(wk_metrics_actions[0]) <=
    WK_METRICS_MAX_ACTIONS, "WK_METRICS_MAX_ACTIONS too small");

const unsigned wk_metrics_codes[WK_METRICS_NCODES] = {
	0, 200, 400, 403, 404, 409, 413, 429, 500, 501, 503,
};

const uint64_t wk_metrics_latency_us[WK_METRICS_NLAT] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 1000000, 5000000,
};

const unsigned wk_metrics_batch_le[WK_METRICS_NBATCH] = {
	1, 2, 4, 8, 16, 32, 64, 128,
};

uint64_t
wk_metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
cmp_name(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

size_t
wk_metrics_action_index(const char *name)
{
	const char *const *hit;
	size_t n = wk_metrics_nactions - 1;

	if (name == NULL)
		return n;
	hit = bsearch(name, wk_metrics_actions, n, sizeof(*hit), cmp_name);
	return hit != NULL ? (size_t)(hit - wk_metrics_actions) : n;
}

static size_t
code_index(unsigned status)
{
	for (size_t i = 1; i < WK_METRICS_NCODES; i++)
		if (wk_metrics_codes[i] == status)
			return i;
	return 0;
}

static void
hist_observe(struct wk_metrics_hist *h, uint64_t us)
{
	size_t i = 0;

	while (i < WK_METRICS_NLAT && us > wk_metrics_latency_us[i])
		i++;
	if (i < WK_METRICS_NLAT)
		h->bucket[i]++;
	h->count++;
	h->sum_us += us;
}

void
wk_metrics_request(const char *action, unsigned status, uint64_t duration_us)
{
	size_t a = wk_metrics_action_index(action);

	wk_metrics_state.requests[a][code_index(status)]++;
	hist_observe(&wk_metrics_state.latency[a], duration_us);
}

void
wk_metrics_decision(bool allow)
{
	wk_metrics_state.decisions[allow ? 1 : 0]++;
}

void
wk_metrics_audit_write(bool ok, uint64_t commit_us, unsigned batch)
{
	size_t i = 0;

	wk_metrics_state.audit_writes[ok ? 1 : 0] += batch;
	if (!ok)
		return;
	hist_observe(&wk_metrics_state.audit_commit, commit_us);
	while (i < WK_METRICS_NBATCH && batch > wk_metrics_batch_le[i])
		i++;
	if (i < WK_METRICS_NBATCH)
		wk_metrics_state.audit_batch[i]++;
	wk_metrics_state.audit_batch_count++;
	wk_metrics_state.audit_batch_sum += batch;
}

void
wk_metrics_throttled(enum wk_metrics_throttle which)
{
	if ((unsigned)which < WK_MT_N)
		wk_metrics_state.throttled[which]++;
}

void
wk_metrics_gauge_set(enum wk_metrics_gauge g, uint64_t value)
{
	if ((unsigned)g < WK_MG_N)
		wk_metrics_state.gauge[g] = value;
}

void
wk_metrics_set_start_time(int64_t unix_seconds)
{
	wk_metrics_state.start_time = unix_seconds;
}

void
wk_metrics_on_scrape(void (*fn)(void *arg), void *arg)
{
	wk_metrics_state.collect = fn;
	wk_metrics_state.collect_arg = arg;
}

void
wk_metrics_reset(void)
{
	memset(&wk_metrics_state, 0, sizeof(wk_metrics_state));
}
