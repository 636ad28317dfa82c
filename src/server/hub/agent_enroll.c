/*
 * agent_enroll.c - POST /agent/v1/enroll and POST /agent/v1/update
 * (docs/protocols.md); the agent credential check and the JSON reply
 * helpers are in agent_auth.c.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rand.h"
#include "common/time.h"
#include "crypto/sshkey.h"
#include "server/net/agent_addr.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/audit/audit.h"
#include "server/server.h"

/* ---- the enroll/update body ---- */

void
wk_agent_reg_init(struct wk_agent_reg *r)
{
	memset(r, 0, sizeof(*r));
	r->ssh_port = 22;
	wk_buf_init(&r->host_keys,
	    WK_AGENT_MAX_HOST_KEYS * (WK_SSHKEY_MAX_LINE + 1));
}

void
wk_agent_reg_cleanup(struct wk_agent_reg *r)
{
	wk_explicit_bzero(r->token, sizeof(r->token));
	wk_buf_cleanup(&r->host_keys);
}

/* A DNS name or label list: 1..253 of [A-Za-z0-9._-], not starting '-'. */
static bool
valid_hostname(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		    ch == '_'))
			return false;
	}
	return true;
}

static bool
valid_address(const char *s, size_t len)
{
	uint8_t addr[16];

	if (len == 0)
		return true;
	if (inet_pton(AF_INET, s, addr) == 1 ||
	    inet_pton(AF_INET6, s, addr) == 1)
		return true;
	return valid_hostname(s, len);
}

static int
copy_string(json_t *v, char *dst, size_t dstsz, size_t min)
{
	size_t len;

	if (!json_is_string(v))
		return WK_ERR_INVAL;
	len = json_string_length(v);
	if (len < min || len >= dstsz)
		return WK_ERR_INVAL;
	memcpy(dst, json_string_value(v), len);
	dst[len] = '\0';
	if (strlen(dst) != len)
		return WK_ERR_INVAL;	/* embedded NUL */
	return 0;
}

static int
parse_host_keys(json_t *arr, struct wk_agent_reg *out, const char **why)
{
	char fp[WK_SSHKEY_FP_LEN];
	const char *kwhy = NULL;
	json_t *v;
	size_t i;
	int r;

	if (!json_is_array(arr)) {
		*why = "host_keys must be an array";
		return WK_ERR_INVAL;
	}
	if (json_array_size(arr) == 0 ||
	    json_array_size(arr) > WK_AGENT_MAX_HOST_KEYS) {
		*why = "host_keys must hold 1 to 16 keys";
		return WK_ERR_INVAL;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) ||
		    json_string_length(v) > WK_SSHKEY_MAX_LINE) {
			*why = "host_keys: each key must be a string";
			return WK_ERR_INVAL;
		}
		r = wk_sshkey_validate(wk_span_from_mem(json_string_value(v),
		    json_string_length(v)), &out->host_keys, fp, &kwhy);
		if (r != 0) {
			*why = "host_keys: invalid key";
			return r == WK_ERR_NOMEM ? r : WK_ERR_INVAL;
		}
		if ((r = wk_buf_putc(&out->host_keys, '\n')) != 0)
			return r;
		out->nhost_keys++;
	}
	return 0;
}

int
wk_agent_reg_parse(struct wk_span body, bool with_token,
    struct wk_agent_reg *out, const char **why)
{
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *key;
	bool have_host = false, have_keys = false, have_token = false;
	json_int_t port;
	int r = WK_ERR_INVAL;

	*why = "invalid request";
	if (body.len > WK_AGENT_BODY_MAX) {
		*why = "body too large";
		return WK_ERR_TOOBIG;
	}
	root = json_loadb((const char *)body.p, body.len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		*why = "body is not a JSON object";
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "token") == 0 && with_token) {
			if (copy_string(v, out->token, sizeof(out->token),
			    1) != 0) {
				*why = "token must be a string";
				goto out;
			}
			have_token = true;
		} else if (strcmp(key, "hostname") == 0) {
			if (copy_string(v, out->hostname, sizeof(out->hostname),
			    1) != 0 || !valid_hostname(out->hostname,
			    strlen(out->hostname))) {
				*why = "invalid hostname";
				goto out;
			}
			have_host = true;
		} else if (strcmp(key, "address") == 0) {
			if (copy_string(v, out->address, sizeof(out->address),
			    0) != 0 || !valid_address(out->address,
			    strlen(out->address))) {
				*why = "invalid address";
				goto out;
			}
		} else if (strcmp(key, "ssh_port") == 0) {
			port = json_is_integer(v) ? json_integer_value(v) : 0;
			if (port < 1 || port > 65535) {
				*why = "ssh_port must be 1 to 65535";
				goto out;
			}
			out->ssh_port = (int)port;
		} else if (strcmp(key, "host_keys") == 0) {
			if ((r = parse_host_keys(v, out, why)) != 0)
				goto out;
			r = WK_ERR_INVAL;
			have_keys = true;
		} else {
			*why = "unknown member";
			goto out;
		}
	}
	if (with_token && !have_token) {
		*why = "token is required";
		goto out;
	}
	if (!have_host) {
		*why = "hostname is required";
		goto out;
	}
	if (!have_keys) {
		*why = "host_keys is required";
		goto out;
	}
	r = 0;
 out:
	json_decref(root);
	return r;
}

/* ---- handlers ---- */

/*
 * address: what wk_agent_addr_check approved (an IP address). A host that
 * registered a DNS name keeps it as its dns_name, never resolved.
 */
static void
fill_instance(struct wk_instance *in, const struct wk_agent_reg *reg,
    const char *address)
{
	memcpy(in->hostname, reg->hostname, sizeof(in->hostname));
	snprintf(in->address, sizeof(in->address), "%s", address);
	snprintf(in->dns_name, sizeof(in->dns_name), "%s",
	    wk_agent_addr_is_name(reg->address) ? reg->address : "");
	in->ssh_port = reg->ssh_port;
	in->host_keys = (char *)reg->host_keys.p;	/* borrowed */
}

/*
 * Refuses an address the host may not register: logged, audited (the
 * refusal of a host holding a token or a credential is worth keeping),
 * and answered with why. An unaudited refusal becomes InternalError.
 */
static void
refuse_address(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req, const char *action,
    const char *instance_id, const char *address, int r, const char *why)
{
	const char *code = r == WK_ERR_DENIED ? "AddressNotAllowed" :
	    "InvalidAddress";
	struct wk_audit_info info;
	struct wk_api_req areq;
	char rid[37];

	if (wk_random_uuid(rid) != 0)
		snprintf(rid, sizeof(rid), "-");
	memset(&areq, 0, sizeof(areq));
	areq.srv = srv;
	areq.request_id = rid;
	areq.source_ip = req->source_ip;
	areq.secure = req->secure;
	areq.now = wk_wall_now();
	areq.via = "agent";
	memset(&info, 0, sizeof(info));
	info.action = action;
	info.instance_id = instance_id;
	info.error_code = code;
	wk_log_auth(WK_LOG_WARN, "agent_address", "outcome=deny action=%s "
	    "instance=%s address=%s source_ip=%s reason=%s", action,
	    instance_id != NULL ? instance_id : "-",
	    address[0] != '\0' ? address : "-",
	    req->source_ip != NULL ? req->source_ip : "-", code);
	if (wk_audit_write(&areq, &info) != 0) {
		wk_agent_error(c, 500, "InternalError", "audit failure");
		return;
	}
	wk_agent_error(c, 403, code, why);
}

void
wk_agent_enroll_handle(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_agent_reg reg;
	struct wk_instance in;
	struct wk_buf secret_hex;
	struct wk_addr_allow token_allow;
	struct wk_addr_request areq;
	uint8_t secret[WK_AGENT_SECRET_LEN];
	char token_hash[65], allow_text[WK_STORE_TOKEN_ALLOW_MAX + 1];
	char address[WK_ADDR_TEXT_MAX], awhy[512];
	const char *why = NULL;
	json_t *reply = NULL;
	time_t now = wk_wall_now();
	int r;

	wk_agent_reg_init(&reg);
	memset(&in, 0, sizeof(in));
	wk_buf_init(&secret_hex, 2 * WK_AGENT_SECRET_LEN);
	if ((r = wk_agent_reg_parse(req->body, true, &reg, &why)) != 0) {
		if (r == WK_ERR_NOMEM)
			wk_agent_error(c, 500, "InternalError", "out of memory");
		else
			wk_agent_error(c, 400, "InvalidRequest", why);
		goto out;
	}
	if ((r = wk_agent_sha256_hex(wk_span_from_cstr(reg.token),
	    token_hash)) != 0) {
		wk_agent_error(c, 500, "InternalError", "hash failed");
		goto out;
	}
	/*
	 * The address is checked against the token's allow-list before the
	 * token is spent: a refused host can retry with a right --address.
	 */
	r = wk_store_token_allow(srv->store, token_hash, now, allow_text,
	    sizeof(allow_text));
	if (r == 0) {
		memset(&token_allow, 0, sizeof(token_allow));
		if (allow_text[0] != '\0' && wk_addr_allow_parse(allow_text,
		    &token_allow, awhy, sizeof(awhy)) != 0) {
			wk_log(WK_LOG_ERROR, "agent_enroll", "error=\"bad "
			    "address_allow stored with a token: %s\"", awhy);
			wk_agent_error(c, 500, "InternalError",
			    "store failure");
			goto out;
		}
		memset(&areq, 0, sizeof(areq));
		areq.address = reg.address;
		areq.source_ip = req->source_ip;
		areq.server = &srv->cfg.agent_address_allow;
		areq.token = &token_allow;
		if ((r = wk_agent_addr_check(&areq, address, sizeof(address),
		    awhy, sizeof(awhy))) != 0) {
			refuse_address(srv, c, req, "wicket-agent:Enroll",
			    NULL, reg.address, r, awhy);
			goto out;
		}
		/* the body and the address are valid: only now spend it */
		r = wk_store_token_consume(srv->store, token_hash, now);
	}
	if (r == WK_ERR_NOTFOUND || r == WK_ERR_EXPIRED) {
		wk_log_auth(WK_LOG_WARN, "agent_enroll",
		    "outcome=deny reason=%s source_ip=%s",
		    r == WK_ERR_EXPIRED ? "expired" : "unknown",
		    req->source_ip != NULL ? req->source_ip : "");
		wk_agent_error(c, 401, "InvalidToken",
		    "unknown, used or expired join token");
		goto out;
	} else if (r != 0) {
		wk_agent_error(c, 500, "InternalError", "store failure");
		goto out;
	}
	if ((r = wk_random_instance_id(in.id)) != 0 ||
	    (r = wk_random_bytes(secret, sizeof(secret))) != 0 ||
	    (r = wk_hex_encode(&secret_hex, secret, sizeof(secret))) != 0 ||
	    (r = wk_agent_sha256_hex(wk_buf_span(&secret_hex),
	    in.agent_secret_hash)) != 0) {
		wk_agent_error(c, 500, "InternalError", wk_strerror(r));
		goto out;
	}
	fill_instance(&in, &reg, address);
	in.create_date = now;
	in.last_seen = now;
	if ((r = wk_store_instance_create(srv->store, &in)) != 0) {
		wk_agent_error(c, 500, "InternalError", "store failure");
		goto out;
	}
	reply = json_pack("{s:s, s:s, s:s, s:s}", "instance_id", in.id,
	    "agent_secret", wk_buf_cstr(&secret_hex), "account_id",
	    srv->account_id, "region", srv->region);
	/* signing_keys and the rotation statements (agent_hub.c) */
	if (reply == NULL || (r = wk_hub_announce(srv, reply)) != 0) {
		wk_agent_error(c, 500, "InternalError", "reply failed");
		goto out;
	}
	wk_log_auth(WK_LOG_INFO, "agent_enroll",
	    "outcome=allow instance=%s hostname=%s address=%s port=%d "
	    "source_ip=%s", in.id, in.hostname, in.address, in.ssh_port,
	    req->source_ip != NULL ? req->source_ip : "");
	wk_agent_json(c, reply);
 out:
	json_decref(reply);
	in.host_keys = NULL;	/* borrowed from reg */
	wk_explicit_bzero(secret, sizeof(secret));
	wk_buf_cleanup_secret(&secret_hex);
	wk_agent_reg_cleanup(&reg);
}

void
wk_agent_update_handle(struct wk_server *srv, struct wk_http_conn *c,
    const struct wk_http_request *req)
{
	struct wk_agent_reg reg;
	struct wk_instance in;
	struct wk_addr_request areq;
	const char *why = NULL;
	json_t *reply = NULL;
	char *saved_keys;
	char address[WK_ADDR_TEXT_MAX], current[sizeof(in.address)];
	char awhy[512];
	int r;

	wk_agent_reg_init(&reg);
	memset(&in, 0, sizeof(in));
	if (wk_agent_authenticate(srv, req, &in) != 0) {
		wk_agent_error(c, 401, "InvalidCredential",
		    "invalid agent credential");
		goto out;
	}
	if ((r = wk_agent_reg_parse(req->body, false, &reg, &why)) != 0) {
		if (r == WK_ERR_NOMEM)
			wk_agent_error(c, 500, "InternalError", "out of memory");
		else
			wk_agent_error(c, 400, "InvalidRequest", why);
		goto out;
	}
	/* A re-registration goes through the same check; the address
	 * approved before (maybe by its join token) stays allowed. */
	snprintf(current, sizeof(current), "%s", in.address);
	memset(&areq, 0, sizeof(areq));
	areq.address = reg.address;
	areq.source_ip = req->source_ip;
	areq.current = current;
	areq.server = &srv->cfg.agent_address_allow;
	if ((r = wk_agent_addr_check(&areq, address, sizeof(address), awhy,
	    sizeof(awhy))) != 0) {
		refuse_address(srv, c, req, "wicket-agent:Update", in.id,
		    reg.address, r, awhy);
		goto out;
	}
	saved_keys = in.host_keys;
	fill_instance(&in, &reg, address);
	r = wk_store_instance_update(srv->store, &in);
	in.host_keys = saved_keys;
	if (r != 0) {
		wk_agent_error(c, 500, "InternalError", "store failure");
		goto out;
	}
	/* signing_keys and the rotation statements (agent_hub.c) */
	if ((reply = json_object()) == NULL ||
	    (r = wk_hub_announce(srv, reply)) != 0) {
		wk_agent_error(c, 500, "InternalError", "reply failed");
		goto out;
	}
	wk_log(WK_LOG_INFO, "agent_update", "instance=%s hostname=%s address=%s",
	    in.id, in.hostname, in.address);
	wk_agent_json(c, reply);
 out:
	json_decref(reply);
	wk_instance_cleanup(&in);
	wk_agent_reg_cleanup(&reg);
}
