/*
 * ec2ic_send_ssh_public_key.c - AWSEC2InstanceConnectService.SendSSHPublicKey
 * (JSON 1.1), with the field constraints and error codes of AWS's API model
 * (ec2-instance-connect 2018-04-02):
 *
 *   throttle -> validate -> key -> registry -> authorize -> agent online
 *   -> sign record -> audit (durable) -> push -> {"RequestId", "Success"}
 *
 * Every call, allowed or refused, writes one audit event before the reply.
 * A refused call never reaches the agent hub.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "crypto/keyrec.h"
#include "crypto/sshkey.h"
#include "server/agent_hub.h"
#include "server/api.h"
#include "server/audit.h"
#include "server/ec2ic_int.h"
#include "server/server.h"

#define SSH_KEY_MIN 80
#define SSH_KEY_MAX 4096

/* ---- AWS's patterns, by hand (no regex engine on untrusted input) ---- */

static bool
is_lower_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

static bool
is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

static bool
is_word(char ch)
{
	return is_alnum(ch) || ch == '_';
}

bool
wk_ec2ic_valid_instance_id(const char *s)
{
	size_t i, len = strnlen(s, 33);

	if (len < 10 || len > 32 || s[0] != 'i' || s[1] != '-')
		return false;
	for (i = 2; i < len; i++) {
		if (!is_lower_hex(s[i]))
			return false;
	}
	return true;
}

/* ^[A-Za-z_][A-Za-z0-9\@\._-]{0,30}[A-Za-z0-9\$_-]?$ */
bool
wk_ec2ic_valid_os_user(const char *s)
{
	size_t i, len = strnlen(s, 33);
	char last;

	if (len < 1 || len > 32)
		return false;
	if (!(is_alnum(s[0]) && !(s[0] >= '0' && s[0] <= '9')) && s[0] != '_')
		return false;
	if (len == 1)
		return true;
	for (i = 1; i + 1 < len; i++) {
		if (!(is_alnum(s[i]) || s[i] == '@' || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return false;
	}
	/* the last character: from the middle class (if it still fits in
	 * {0,30}) or from the optional final class */
	last = s[len - 1];
	if (len - 1 <= 30 && (is_alnum(last) || last == '@' || last == '.' ||
	    last == '_' || last == '-'))
		return true;
	return is_alnum(last) || last == '$' || last == '_' || last == '-';
}

/* ^(\w+-){2,3}\d+\w+$ */
bool
wk_ec2ic_valid_az(const char *s)
{
	size_t len = strnlen(s, 33), i, ntok = 1, toklen = 0;
	const char *last;

	if (len < 6 || len > 32)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '-') {
			if (toklen == 0)
				return false;
			ntok++;
			toklen = 0;
		} else if (is_word(s[i]))
			toklen++;
		else
			return false;
	}
	if (toklen == 0 || ntok < 3 || ntok > 4)
		return false;
	/* the last token: \d+\w+ - a digit first, two characters at least */
	last = strrchr(s, '-') + 1;
	return last[0] >= '0' && last[0] <= '9' && strlen(last) >= 2;
}

bool
wk_ec2ic_az_in_region(const char *az, const char *region)
{
	size_t n = strlen(region);
	const char *p;

	if (n == 0 || strncmp(az, region, n) != 0 || az[n] == '\0')
		return false;
	for (p = az + n; *p != '\0'; p++) {
		if (!(*p >= 'a' && *p <= 'z'))
			return false;
	}
	return true;
}

/* ---- throttling ---- */

#define THROTTLE_BUCKETS 4096	/* power of two */
#define THROTTLE_PROBE 8
#define MILLI 1000

struct throttle_bucket {
	char akid[33];
	uint32_t milli_tokens;
	uint64_t last_ms;
};

static struct throttle_bucket throttle[THROTTLE_BUCKETS];

void
wk_ec2ic_throttle_reset(void)
{
	memset(throttle, 0, sizeof(throttle));
}

static size_t
akid_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

bool
wk_ec2ic_throttle_take(const char *akid, uint64_t now_ms)
{
	struct throttle_bucket *b = NULL, *oldest = NULL;
	const uint64_t full = (uint64_t)WK_EC2IC_BURST * MILLI;
	uint64_t tokens, elapsed;
	size_t i, h;

	if (akid == NULL || akid[0] == '\0' || strlen(akid) >= sizeof(b->akid))
		return true;	/* unknown callers are refused elsewhere */
	h = akid_hash(akid);
	for (i = 0; i < THROTTLE_PROBE; i++) {
		struct throttle_bucket *c = &throttle[(h + i) &
		    (THROTTLE_BUCKETS - 1)];

		if (strcmp(c->akid, akid) == 0) {
			b = c;
			break;
		}
		if (oldest == NULL || c->akid[0] == '\0' ||
		    (oldest->akid[0] != '\0' && c->last_ms < oldest->last_ms))
			oldest = c;
	}
	if (b == NULL) {
		/* a new caller (or an evicted, long-idle one): full bucket */
		b = oldest;
		memcpy(b->akid, akid, strlen(akid) + 1);
		b->milli_tokens = (uint32_t)full;
		b->last_ms = now_ms;
	}
	tokens = b->milli_tokens;
	if (now_ms > b->last_ms) {
		elapsed = now_ms - b->last_ms;
		if (elapsed > full)	/* avoids overflow; full already */
			elapsed = full;
		tokens += elapsed * WK_EC2IC_RATE_PER_SEC;
		if (tokens > full)
			tokens = full;
		b->last_ms = now_ms;
	}
	if (tokens < MILLI) {
		b->milli_tokens = (uint32_t)tokens;
		return false;
	}
	b->milli_tokens = (uint32_t)(tokens - MILLI);
	return true;
}

/* ---- the request ---- */

struct push_args {
	const char *instance_id;
	const char *os_user;
	const char *key;
	size_t key_len;
	const char *az;
};

static int
invalid(struct wk_api_resp *resp, const char *field, const char *what)
{
	return wk_api_error(resp, 400, "InvalidArgsException", "%s %s", field,
	    what);
}

/* Picks the members out (borrowed from the request), for the audit event
 * too, before anything is refused. */
static void
pick_args(const json_t *obj, struct push_args *a)
{
	const char *key;
	json_t *v;

	memset(a, 0, sizeof(*a));
	if (obj == NULL || !json_is_object(obj))
		return;
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		const char **dst;

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

/* Unknown members and non-string values are refused. */
static int
check_members(const json_t *obj, struct wk_api_resp *resp)
{
	const char *key;
	json_t *v;

	if (obj == NULL || !json_is_object(obj))
		return wk_api_error(resp, 400, "InvalidArgsException",
		    "The request body must be a JSON object");
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
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

static int
validate_args(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct push_args *a)
{
	if (a->instance_id == NULL)
		return invalid(resp, "InstanceId", "is required");
	if (!wk_ec2ic_valid_instance_id(a->instance_id))
		return invalid(resp, "InstanceId", "must be 10 to 32 characters "
		    "matching ^i-[a-f0-9]+$");
	if (a->os_user == NULL)
		return invalid(resp, "InstanceOSUser", "is required");
	if (!wk_ec2ic_valid_os_user(a->os_user))
		return invalid(resp, "InstanceOSUser", "must be 1 to 32 "
		    "characters matching "
		    "^[A-Za-z_][A-Za-z0-9\\@\\._-]{0,30}[A-Za-z0-9\\$_-]?$");
	if (a->key == NULL)
		return invalid(resp, "SSHPublicKey", "is required");
	if (a->key_len < SSH_KEY_MIN || a->key_len > SSH_KEY_MAX)
		return invalid(resp, "SSHPublicKey", "must be 80 to 4096 "
		    "characters long");
	if (a->az != NULL) {
		if (!wk_ec2ic_valid_az(a->az))
			return invalid(resp, "AvailabilityZone", "must be 6 to "
			    "32 characters matching ^(\\w+-){2,3}\\d+\\w+$");
		if (!wk_ec2ic_az_in_region(a->az, req->srv->region))
			return wk_api_error(resp, 400, "InvalidArgsException",
			    "AvailabilityZone %s is not in region %s", a->az,
			    req->srv->region);
	}
	return 0;
}

static int
service_error(struct wk_api_resp *resp, int err)
{
	wk_api_error(resp, 500, "ServiceException",
	    "The service encountered an internal error: %s", wk_strerror(err));
	return err;
}

/* Builds and signs the key record into rec_text. */
static int
sign_record(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *instance_id, const char *os_user, const struct wk_buf *pubkey,
    time_t expires, struct wk_buf *rec_text)
{
	struct wk_keyrec rec;
	int r;

	memset(&rec, 0, sizeof(rec));
	if (strlen(req->caller->user.arn) >= sizeof(rec.caller_arn) ||
	    pubkey->len >= sizeof(rec.pubkey) ||
	    strlen(req->request_id) >= sizeof(rec.request_id) ||
	    strlen(instance_id) >= sizeof(rec.instance_id) ||
	    strlen(os_user) >= sizeof(rec.os_user))
		return service_error(resp, WK_ERR_TOOBIG);
	rec.issued = (int64_t)req->now;
	rec.expires = (int64_t)expires;
	memcpy(rec.instance_id, instance_id, strlen(instance_id) + 1);
	memcpy(rec.os_user, os_user, strlen(os_user) + 1);
	memcpy(rec.caller_arn, req->caller->user.arn,
	    strlen(req->caller->user.arn) + 1);
	memcpy(rec.request_id, req->request_id, strlen(req->request_id) + 1);
	memcpy(rec.pubkey, pubkey->p, pubkey->len);
	rec.pubkey[pubkey->len] = '\0';
	rec.from[0] = '\0';
	if (req->srv->signkey == NULL)
		return service_error(resp, WK_ERR_INTERNAL);
	if ((r = wk_keyrec_sign(&rec, req->srv->signkey, rec_text)) != 0)
		return service_error(resp, r);
	return 0;
}

/* Everything before the audit event; sets resp's error on refusal. */
static int
decide(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct push_args *a, struct wk_buf *pubkey,
    char fp[static WK_SSHKEY_FP_LEN], struct wk_buf *rec_text,
    time_t *expires)
{
	struct wk_instance inst;
	struct wk_tag *tags = NULL;
	struct wk_ctx *ctx = NULL;
	size_t ntags = 0;
	const char *why = NULL;
	char arn[256];
	unsigned ttl;
	int r;

	memset(&inst, 0, sizeof(inst));
	pick_args(req->json, a);
	if (!wk_ec2ic_throttle_take(req->caller->access_key_id, wk_mono_ms()))
		return wk_api_error(resp, 400, "ThrottlingException",
		    "Rate exceeded");
	if ((r = check_members(req->json, resp)) != 0 ||
	    (r = validate_args(req, resp, a)) != 0)
		return r;
	r = wk_sshkey_validate(wk_span_from_mem(a->key, a->key_len), pubkey,
	    fp, &why);
	if (r == WK_ERR_NOMEM)
		return service_error(resp, r);
	if (r != 0)
		return wk_api_error(resp, 400, "InvalidArgsException",
		    "SSHPublicKey is not a valid public key: %s",
		    why != NULL ? why : "unsupported or malformed");

	r = wk_store_instance_get(req->srv->store, a->instance_id, &inst);
	if (r == WK_ERR_NOTFOUND) {
		r = wk_api_error(resp, 400, "EC2InstanceNotFoundException",
		    "The specified instance was not found: %s",
		    a->instance_id);
		goto out;
	}
	if (r != 0) {
		r = service_error(resp, r);
		goto out;
	}
	if ((r = wk_store_instance_tags_list(req->srv->store, inst.id, &tags,
	    &ntags)) != 0) {
		r = service_error(resp, r);
		goto out;
	}
	if ((r = wk_ec2_instance_arn(req->srv, inst.id, arn,
	    sizeof(arn))) != 0 ||
	    (r = wk_ec2_instance_ctx(tags, ntags, a->os_user, &ctx)) != 0) {
		r = service_error(resp, r);
		goto out;
	}
	r = wk_api_authorize(req, resp, WK_EC2IC_ACTION, arn, ctx,
	    "AuthException", NULL);
	if (r != 0) {
		if (resp->error_code[0] == '\0')
			r = service_error(resp, r);
		else if (r == WK_ERR_DENIED)
			resp->status = 400;	/* AuthException is a 400 */
		goto out;
	}
	if (!wk_agent_hub_online(req->srv->hub, inst.id)) {
		r = wk_api_error(resp, 400, "EC2InstanceUnavailableException",
		    "The instance is currently unavailable. Wait a few "
		    "minutes and try again.");
		goto out;
	}
	ttl = req->srv->cfg.key_ttl_seconds != 0 ?
	    req->srv->cfg.key_ttl_seconds : 60;
	*expires = req->now + (time_t)ttl;
	r = sign_record(req, resp, inst.id, a->os_user, pubkey, *expires,
	    rec_text);
 out:
	wk_ctx_free(ctx);
	wk_store_free(tags);
	wk_instance_cleanup(&inst);
	return r;
}

static int
audit(const struct wk_api_req *req, const struct push_args *a, const char *fp,
    const char *error_code)
{
	struct wk_audit_info ai = {
		.action = WK_EC2IC_ACTION,
		.instance_id = a->instance_id,
		.os_user = a->os_user,
		.key_fingerprint = fp[0] != '\0' ? fp : NULL,
		.error_code = error_code,
	};

	return wk_audit_write(req, &ai);
}

static int
send_ssh_public_key(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct push_args a;
	struct wk_buf pubkey, rec_text;
	char fp[WK_SSHKEY_FP_LEN] = "";
	time_t expires = 0;
	int r, ar;

	memset(&a, 0, sizeof(a));
	wk_buf_init(&pubkey, WK_SSHKEY_MAX_LINE);
	wk_buf_init(&rec_text, WK_KEYREC_MAX_LEN);
	if (req->caller == NULL) {
		r = wk_api_error(resp, 400, "AuthException",
		    "Not authorized for this request");
		goto out;
	}
	r = decide(req, resp, &a, &pubkey, fp, &rec_text, &expires);
	if (r != 0 && resp->error_code[0] == '\0')
		r = service_error(resp, r);
	/* the audit event is durable before anyone hears the answer */
	if ((ar = audit(req, &a, fp, r != 0 ? resp->error_code : "")) != 0) {
		resp->error_code[0] = '\0';
		r = service_error(resp, ar);
		goto out;
	}
	if (r != 0)
		goto out;
	if ((r = wk_agent_hub_push(req->srv->hub, a.instance_id,
	    wk_buf_span(&rec_text), expires)) != 0) {
		service_error(resp, r);
		(void)audit(req, &a, fp, resp->error_code);
		goto out;
	}
	resp->json = json_pack("{s:s, s:b}", "RequestId", req->request_id,
	    "Success", 1);
	if (resp->json == NULL)
		r = WK_ERR_NOMEM;
	wk_log(WK_LOG_INFO, "push", "request_id=%s instance=%s user=%s "
	    "fingerprint=%s outcome=pushed", req->request_id, a.instance_id,
	    a.os_user, fp);
 out:
	wk_buf_cleanup(&pubkey);
	wk_buf_cleanup(&rec_text);
	return r;
}

const struct wk_api_action wk_ec2ic_send_ssh_public_key = {
	.name = "SendSSHPublicKey",
	.protocol = WK_PROTO_JSON,
	.target_prefix = "AWSEC2InstanceConnectService",
	.body_max = WK_EC2IC_BODY_MAX,
	.handle = send_ssh_public_key,
};
