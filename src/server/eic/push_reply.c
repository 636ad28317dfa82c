/*
 * push_reply.c - SendSSHPublicKey's reply:
 *
 *   {"RequestId": "...", "Success": true,
 *    "WicketInstance": {"InstanceId", "Hostname", "Address", "SshPort",
 *                       "HostKeys": ["type base64", ...]}}
 *
 * "WicketInstance" is wicket's extension (AWS's clients ignore members the
 * model does not name): where to reach the instance's sshd and which host
 * keys to trust, the fields WicketService.DescribeInstances gives per
 * instance, with the same meaning. `wicket ssh` then needs one call and only
 * the permission it pushes with (ec2-instance-connect:SendSSHPublicKey).
 * The caller was just allowed to push to this instance: the reply tells it
 * nothing about any other.
 */
#include <jansson.h>

#include "common/err.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"

int
wk_push_reply(const char *request_id, const struct wk_instance *inst,
    json_t **out)
{
	json_t *reply, *wi;

	*out = NULL;
	if (inst == NULL)
		reply = json_pack("{s:s, s:b}", "RequestId", request_id,
		    "Success", 1);
	else {
		wi = json_pack("{s:s, s:s, s:s, s:i, s:o}",
		    "InstanceId", inst->id, "Hostname", inst->hostname,
		    "Address", inst->address, "SshPort", inst->ssh_port,
		    "HostKeys", wk_ec2_host_keys_json(inst->host_keys));
		if (wi == NULL)
			return WK_ERR_NOMEM;
		reply = json_pack("{s:s, s:b, s:o}", "RequestId", request_id,
		    "Success", 1, "WicketInstance", wi);
	}
	if (reply == NULL)
		return WK_ERR_NOMEM;
	*out = reply;
	return 0;
}
