/*
 * json_actions.c - the JSON 1.1 operations: EC2 Instance Connect
 * (X-Amz-Target: AWSEC2InstanceConnectService.*) and wicket's own
 * (X-Amz-Target: WicketService.*).
 */
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/console/console.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"
#include "server/hub/agent_hub.h"
#include "server/routes/routes.h"

const struct wk_api_action *const wk_json_actions[] = {
	&wk_ec2ic_send_ssh_public_key,
	&wk_wicket_describe_instances,
	&wk_wicket_list_audit_events,
	&wk_wicket_list_session_recordings,
	&wk_wicket_get_session_recording,
	&wk_wicket_revoke_sessions,
	&wk_wicket_list_sessions,
	NULL,
};
