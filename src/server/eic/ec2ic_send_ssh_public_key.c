/*
 * ec2ic_send_ssh_public_key.c - AWSEC2InstanceConnectService.SendSSHPublicKey
 * (JSON 1.1), with the field constraints and error codes of AWS's API model
 * (ec2-instance-connect 2018-04-02):
 *
 *   throttle -> validate -> key -> authorize -> registry -> zone -> agent online
 *   -> sign record -> audit (durable, group commit) -> push -> {"RequestId",
 *   "Success", "WicketInstance"} (push_reply.c)
 *
 * Every call, allowed or refused, writes one audit event before the reply;
 * from the API (wicketd serve) the event joins the open group-commit batch
 * (audit_batch.c) and the request waits, suspended, until that batch is on
 * disk. A throttled call is the exception: answered at once, its event
 * rides the next batch. A refused call never reaches the agent hub. Past
 * the JSON members, the work is push.c's (shared with the browser
 * console, which writes its events synchronously).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "crypto/keyrec.h"
#include "crypto/sshkey.h"
#include "server/hub/agent_hub.h"
#include "server/api/api.h"
#include "server/audit/audit.h"
#include "server/ec2/ec2.h"
#include "server/eic/eic.h"
#include "server/metrics/metrics.h"
#include "server/server.h"

/* ---- throttling (server/auth/throttle.c) ---- */

void
wk_ec2ic_throttle_reset(void)
{
	wk_throttle_reset();
}

bool
wk_ec2ic_throttle_take(const char *akid, uint64_t now_ms)
{
	return wk_throttle_take(akid, now_ms) == WK_THROTTLE_OK;
}

/* ---- the request ---- */

static int
invalid(struct wk_api_resp *resp, const char *field, const char *what)
{
	return wk_api_error(resp, 400, "InvalidArgsException", "%s %s", field,
	    what);
}

/* Picks the members out (borrowed from the request), for the audit event
 * too, before anything is refused. */
static void
pick_args(const json_t *obj, struct wk_push_args *a)
{
	const char *key;
	json_t *v;

	memset(a, 0, sizeof(*a));
	if (obj == NULL || !json_is_object(obj))
		return;
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		const char **dst;

		if (strcmp(key, "SingleUse") == 0) {
			a->single_use = json_is_true(v);
			continue;
		}
		if (strcmp(key, "InstanceId") == 0)
			dst = &a->instance_id;
		else if (strcmp(key, "InstanceOSUser") == 0)
			dst = &a->os_user;
		else if (strcmp(key, "SSHPublicKey") == 0)
			dst = &a->key;
		else if (strcmp(key, "AvailabilityZone") == 0)
			dst = &a->az;
		else
			continue;
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			continue;
		*dst = json_string_value(v);
		if (dst == &a->key)
			a->key_len = json_string_length(v);
	}
}

/*
 * Unknown members and non-string values are refused. "SingleUse" is
 * wicket's extension (docs/protocols.md, "Single-use keys"): an optional
 * JSON boolean.
 */
static int
check_members(const json_t *obj, struct wk_api_resp *resp)
{
	const char *key;
	json_t *v;

	if (obj == NULL || !json_is_object(obj))
		return wk_api_error(resp, 400, "InvalidArgsException",
		    "The request body must be a JSON object");
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		if (strcmp(key, "SingleUse") == 0) {
			if (!json_is_boolean(v))
				return invalid(resp, key, "must be a boolean");
			continue;
		}
		if (strcmp(key, "InstanceId") != 0 &&
		    strcmp(key, "InstanceOSUser") != 0 &&
		    strcmp(key, "SSHPublicKey") != 0 &&
		    strcmp(key, "AvailabilityZone") != 0)
			return wk_api_error(resp, 400, "InvalidArgsException",
			    "Unknown parameter: %.64s", key);
		if (!json_is_string(v))
			return invalid(resp, key, "must be a string");
		if (strlen(json_string_value(v)) != json_string_length(v))
			return invalid(resp, key, "must not contain NUL");
	}
	return 0;
}

/*
 * ---- group commit (WK_API_LATER) ----
 * A push waits, suspended, until the batch holding its audit event is
 * durable; only then is the record handed to the hub and the caller
 * answered. With replicas the record is written in that batch's
 * transaction (wk_push_queue): one commit per push, and the record is
 * visible to other replicas exactly when the push is durable. A failed
 * commit answers ServiceException (ServiceUnavailable when the database is
 * unreachable) and delivers nothing, on any replica.
 */
struct push_job {
	const struct wk_api_req *req;
	struct wk_api_resp *resp;
	struct wk_push_args a;		/* borrowed from req->json */
	struct wk_push_result res;
	struct wk_push_state st;
	int r;				/* the decision: 0 = allowed */
};

static void
push_job_free(struct push_job *j)
{
	if (j->res.have_instance)
		wk_instance_cleanup(&j->res.inst);
	wk_push_state_cleanup(&j->st);
	wk_free(j);
}

/* The batch holding the job's event is durable (result 0) or failed. */
static void
push_job_done(void *arg, int result)
{
	struct push_job *j = arg;
	const struct wk_api_req *req = j->req;
	struct wk_api_resp *resp = j->resp;
	int r;

	if (result != 0) {
		/* no unaudited answer, and nothing reaches the agent */
		resp->error_code[0] = '\0';
		wk_push_service_error(resp, result);
	} else if (j->r == 0 &&
	    wk_push_deliver(req, resp, &j->a, &j->res, &j->st) == 0 &&
	    (r = wk_push_reply(req->request_id, j->res.have_instance ?
	    &j->res.inst : NULL, &resp->json)) != 0) {
		wk_push_service_error(resp, r);
	}
	push_job_free(j);
	wk_api_answer_later(req);	/* frees req and resp */
}

/*
 * Decides, queues the event and returns WK_API_LATER; or, when the event
 * cannot be queued (batching off), does it all now as wk_push_key would.
 * r_early: an error already set in resp before the push core (bad members).
 */
static int
push_later(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a, int r_early)
{
	struct push_job *j;
	int r;

	if ((j = wk_calloc(1, sizeof(*j))) == NULL)
		return wk_push_service_error(resp, WK_ERR_NOMEM);
	j->req = req;
	j->resp = resp;
	j->a = *a;
	wk_push_state_init(&j->st);
	j->res.want_instance = true;
	j->r = r_early != 0 ? r_early :
	    wk_push_decide(req, resp, a, &j->res, &j->st);
	r = wk_push_queue(req, a, &j->res, &j->st, j->r == 0, j->r != 0 ?
	    resp->error_code : "", push_job_done, j);
	if (r == 0)
		return WK_API_LATER;
	push_job_free(j);
	return wk_push_service_error(resp, r);
}

static int
send_ssh_public_key(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_push_result res;
	struct wk_push_args a;
	bool later = req->call != NULL && wk_audit_batch_on();
	int r, ar;

	/* the model's error shapes have "Message" */
	resp->json_message_member = "Message";
	if (req->caller == NULL)
		return wk_api_error(resp, 403, "AuthException",
		    "Not authorized for this request");
	pick_args(req->json, &a);
	if (!wk_ec2ic_throttle_take(req->caller->access_key_id,
	    wk_mono_ms())) {
		wk_metrics_throttled(WK_MT_KEY_RATE);
		r = wk_throttle_error(resp, WK_PROTO_JSON);
		/* answered at once: its event rides the next batch and
		 * forces no fsync of its own */
		if (later && wk_push_audit_queue(req, &a, NULL,
		    resp->error_code, NULL, NULL) == 0)
			return r;
	} else {
		r = check_members(req->json, resp);
		if (later)
			return push_later(req, resp, &a, r);
	}
	if (r != 0) {
		/* refused before the push core: audited here */
		if ((ar = wk_push_audit(req, &a, NULL, resp->error_code)) != 0) {
			resp->error_code[0] = '\0';
			return wk_push_service_error(resp, ar);
		}
		return r;
	}
	memset(&res, 0, sizeof(res));
	res.want_instance = true;
	if ((r = wk_push_key(req, resp, &a, &res)) == 0 &&
	    (r = wk_push_reply(req->request_id, res.have_instance ?
	    &res.inst : NULL, &resp->json)) != 0)
		r = wk_push_service_error(resp, r);
	if (res.have_instance)
		wk_instance_cleanup(&res.inst);
	return r;
}

const struct wk_api_action wk_ec2ic_send_ssh_public_key = {
	.name = "SendSSHPublicKey",
	.protocol = WK_PROTO_JSON,
	.target_prefix = "AWSEC2InstanceConnectService",
	.body_max = WK_EC2IC_BODY_MAX,
	.handle = send_ssh_public_key,
};
