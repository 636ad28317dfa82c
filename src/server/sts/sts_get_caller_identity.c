/*
 * sts_get_caller_identity.c - STS GetCallerIdentity: who am I. Always
 * allowed, as AWS does: no policy can deny it.
 */
#include "common/err.h"
#include "server/sts/sts.h"

static int
handle(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	int r;

	if ((r = wk_xml_text(&resp->xml, "Arn", req->caller->user.arn)) != 0 ||
	    (r = wk_xml_text(&resp->xml, "UserId",
	    req->caller->user.id)) != 0 ||
	    (r = wk_xml_text(&resp->xml, "Account",
	    req->srv->account_id)) != 0)
		return r;
	return 0;
}

const struct wk_api_action wk_sts_get_caller_identity = {
	.name = "GetCallerIdentity",
	.protocol = WK_PROTO_QUERY_STS,
	.body_max = 4096,
	.handle = handle,
};
