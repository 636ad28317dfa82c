/*
 * eic.h - EC2 Instance Connect: the SendSSHPublicKey action, its throttle
 * and the key push core (push.c) shared with the browser console:
 *
 *   validate -> key -> authorize (on the ARN asked for) -> registry -> zone
 *   -> agent online -> sign record -> audit (durable) -> hand the record to
 *   the agent hub
 *
 * Authorization comes before the registry: a caller not allowed to push
 * to an instance id gets AuthException whether or not it exists.
 *
 * The caller is req->caller; req->via ("api" or "console") goes into the
 * audit event. Every call that reaches wk_push_key writes exactly one audit
 * event (two when the hub refuses after the audit: the second records the
 * failure), before the caller hears the answer.
 */
#ifndef WK_SERVER_PUSH_H
#define WK_SERVER_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "common/buf.h"
#include "crypto/sshkey.h"
#include "iam/policy.h"
#include "server/api/api.h"
#include "server/auth/auth.h"
#include "store/store.h"

/* AWSEC2InstanceConnectService.SendSSHPublicKey (JSON 1.1) */
extern const struct wk_api_action wk_ec2ic_send_ssh_public_key;

#define WK_EC2IC_ACTION "ec2-instance-connect:SendSSHPublicKey"
#define WK_EC2IC_BODY_MAX (16 * 1024)

/* ---- per-caller throttling: a token bucket per access key (the
 * console's pushes: per user, wk_console_push_throttle_key) and one for
 * the account, server/auth/throttle.h (default 20/s burst 40 per key) ---- */
#define WK_EC2IC_RATE_PER_SEC WK_THROTTLE_KEY_RATE
#define WK_EC2IC_BURST WK_THROTTLE_KEY_BURST
/* Takes one token for akid at now_ms; false when the caller is throttled. */
bool wk_ec2ic_throttle_take(const char *akid, uint64_t now_ms);
void wk_ec2ic_throttle_reset(void);	/* forgets every bucket (tests) */

/* What is pushed (borrowed strings; NULL = absent). */
struct wk_push_args {
	const char *instance_id;
	const char *os_user;
	const char *key;	/* "type base64 [comment]" */
	size_t key_len;
	const char *az;		/* optional AvailabilityZone */
	bool single_use;	/* "SingleUse": true (a wicket extension) */
	/* the session this key opens is recorded (the console with
	 * --record-sessions): wicket:SessionRecorded, false otherwise */
	bool recorded;
};

/* What the caller may want to know afterwards. */
struct wk_push_result {
	char fp[WK_SSHKEY_FP_LEN];	/* "" until the key validated */
	bool authz_ran;			/* detail is meaningful */
	struct wk_decision_detail detail;
	/* When want_instance: the instance as registered (the caller frees
	 * it with wk_instance_cleanup), filled once it was found. */
	bool want_instance;
	bool have_instance;
	struct wk_instance inst;
};

/*
 * Pushes a->key for a->os_user to a->instance_id as req->caller.
 * Returns 0 when the record is with the hub; on refusal a negative
 * WK_ERR_* with resp's AWS error set, with the HTTP status of AWS's service
 * model: InvalidArgsException 400, AuthException 403,
 * EC2InstanceNotFoundException 404, EC2InstanceStateInvalidException 400,
 * ThrottlingException 429, EC2InstanceUnavailableException 503,
 * ServiceException 500 (docs/aws-errors.md).
 * res may be NULL.
 */
int wk_push_key(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a, struct wk_push_result *res);

/* Writes the audit event of a call refused before wk_push_key
 * (error_code "" = allowed). Returns 0 or the store's error. */
int wk_push_audit(const struct wk_api_req *req, const struct wk_push_args *a,
    const char *fp, const char *error_code);
/* The same event queued for the group commit (wk_audit_queue: done runs
 * once it is durable or failed; WK_ERR_INVAL when batching is off). */
int wk_push_audit_queue(const struct wk_api_req *req,
    const struct wk_push_args *a, const char *fp, const char *error_code,
    void (*done)(void *arg, int result), void *arg);

/*
 * wk_push_key in its two halves, for a caller that answers after a group
 * commit (ec2ic_send_ssh_public_key.c): _decide does everything before
 * the audit event (validate, authorize, registry, sign the record into
 * st; counts the key against the OS user's limit when allowed) and
 * returns 0 or a negative error with resp's error set; once the event of
 * an allowed push is durable, _deliver hands the record to the hub (0, or
 * ServiceException set and a second event recording the failure).
 */
struct wk_push_state {
	struct wk_buf pubkey;
	struct wk_buf rec_text;		/* the signed record */
	time_t expires;
	/* replicas: the record committed with the event (wk_push_queue,
	 * wk_push_key); _deliver then only wakes a poll held here */
	struct wk_store_record_put rec;
	bool with_event;
};
void wk_push_state_init(struct wk_push_state *st);
void wk_push_state_cleanup(struct wk_push_state *st);
int wk_push_decide(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a, struct wk_push_result *res,
    struct wk_push_state *st);
int wk_push_deliver(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_push_args *a, const struct wk_push_result *res,
    struct wk_push_state *st);
/*
 * Queues the push's audit event for the group commit (done(arg, result)
 * once the batch is durable or failed). When the push was allowed
 * (`allowed`: _decide returned 0) and the hub keeps records in the store
 * (replicas on PostgreSQL), the signed record rides in the same
 * transaction: other replicas see it exactly when the event is durable,
 * and never when the batch fails; _deliver then only wakes a poll held
 * here. 0, or the error of wk_audit_queue (done will not run).
 */
int wk_push_queue(const struct wk_api_req *req, const struct wk_push_args *a,
    const struct wk_push_result *res, struct wk_push_state *st, bool allowed,
    const char *error_code, void (*done)(void *arg, int result), void *arg);

/*
 * push_limit.c: an agent holds at most WK_SOCK_MAX_RECORDS live records per
 * OS user and refuses more (it never evicts a pending key). wicketd counts
 * what it handed to the hub per (instance, OS user) until expiry, so the
 * push that would be refused there fails here, where the caller sees it.
 * _full: would one more be refused? _note: one more was handed over.
 */
bool wk_push_limit_full(const char *instance_id, const char *os_user,
    time_t now);
void wk_push_limit_note(const char *instance_id, const char *os_user,
    time_t expires, time_t now);
void wk_push_limit_reset(void);	/* tests */

/*
 * push_reply.c: SendSSHPublicKey's reply {"RequestId", "Success": true} and,
 * when inst is not NULL, wicket's extra member "WicketInstance" (the pushed
 * instance's InstanceId, Hostname, Address, SshPort, HostKeys, as
 * WicketService.DescribeInstances gives them). *out is the caller's.
 */
int wk_push_reply(const char *request_id, const struct wk_instance *inst,
    json_t **out);

/* Sets resp to ServiceException for err (ServiceUnavailable, 503, when
 * err is WK_ERR_STORE_UNAVAIL); returns err. */
int wk_push_service_error(struct wk_api_resp *resp, int err);

#endif
