/*
 * iam_revoke.c - IAM's hooks into revocation (docs/revocation.md): when
 * an action takes access away (an access key deleted or deactivated, a
 * user deleted, a policy detached or deleted from a user or group, a user
 * removed from a group), that caller's pushes are revoked on the hosts
 * and the sessions they opened are ended. AWS does not do this (a pushed
 * key stays usable for its 60 seconds); wicket does.
 */
#include "common/err.h"
#include "common/log.h"
#include "server/hub/agent_hub.h"
#include "server/iam/iam_int.h"

void
wk_iam_revoke_owner(const struct wk_api_req *req, bool group,
    const char *name, const char *reason)
{
	struct wk_user u, *members = NULL;
	size_t n = 0, i;
	int r;

	if (!group) {
		if ((r = wk_store_user_get(req->srv->store, name, &u)) == 0)
			wk_revoke_user(req, u.arn, reason);
		else
			wk_log(WK_LOG_ERROR, "revocation_failed", "reason=%s "
			    "user=%s error=%s", reason, name, wk_strerror(r));
		return;
	}
	if ((r = wk_store_group_members(req->srv->store, name, &members,
	    &n)) != 0) {
		wk_log(WK_LOG_ERROR, "revocation_failed", "reason=%s group=%s "
		    "error=%s", reason, name, wk_strerror(r));
		return;
	}
	for (i = 0; i < n; i++)
		wk_revoke_user(req, members[i].arn, reason);
	wk_store_free(members);
}
