/*
 * agent_auth.c - the agent channel's credential check and JSON reply
 * helpers (docs/protocols.md), shared by enrollment (agent_enroll.c) and
 * the long-poll hub (agent_hub.c), below both so the hub never calls
 * back into enrollment.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/server.h"

#define AUTH_SCHEME "Wicket-Agent "

/* ---- replies ---- */

static int
dump_cb(const char *buffer, size_t size, void *data)
{
	return wk_buf_append(data, buffer, size) == 0 ? 0 : -1;
}

void
wk_agent_json(struct wk_http_conn *c, json_t *obj)
{
	struct wk_buf b;

	wk_buf_init(&b, WK_AGENT_BODY_MAX * 4);
	if (obj == NULL || json_dump_callback(obj, dump_cb, &b,
	    JSON_COMPACT) != 0) {
		wk_buf_cleanup(&b);
		wk_agent_error(c, 500, "InternalError", "out of memory");
		return;
	}
	wk_http_respond(c, 200, "application/json", wk_buf_span(&b), NULL);
	wk_buf_cleanup(&b);
}

void
wk_agent_error(struct wk_http_conn *c, unsigned status, const char *code,
    const char *msg)
{
	static const char fallback[] =
	    "{\"error\":\"InternalError\",\"message\":\"out of memory\"}";
	struct wk_buf b;
	json_t *o;

	wk_buf_init(&b, 4096);
	o = json_pack("{s:s, s:s}", "error", code, "message", msg);
	if (o == NULL || json_dump_callback(o, dump_cb, &b, JSON_COMPACT) != 0)
		wk_http_respond(c, 500, "application/json",
		    WK_SPAN_LIT(fallback), NULL);
	else
		wk_http_respond(c, status, "application/json",
		    wk_buf_span(&b), NULL);
	json_decref(o);
	wk_buf_cleanup(&b);
}

/* ---- hashing and the credential ---- */

int
wk_agent_sha256_hex(struct wk_span data, char out[static 65])
{
	uint8_t md[32];
	unsigned int mdlen = 0;
	struct wk_buf hex;
	int r;

	out[0] = '\0';
	if (EVP_Digest(data.p != NULL ? data.p : (const uint8_t *)"", data.len,
	    md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof(md))
		return WK_ERR_CRYPTO;
	wk_buf_init(&hex, 64);
	if ((r = wk_hex_encode(&hex, md, sizeof(md))) == 0)
		memcpy(out, hex.p, 65);
	wk_buf_cleanup(&hex);
	return r;
}

static bool
is_hex(struct wk_span s)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		uint8_t ch = s.p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		    (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

static bool
valid_instance_id(struct wk_span id)
{
	return id.len == 19 && wk_span_starts_with(id, "i-") &&
	    is_hex((struct wk_span){ id.p + 2, id.len - 2 });
}

int
wk_agent_authenticate(struct wk_server *srv, const struct wk_http_request *req,
    struct wk_instance *inst)
{
	struct wk_span v, id, secret;
	char idbuf[20], hash[65];
	int r;

	memset(inst, 0, sizeof(*inst));
	v = wk_http_header(req, "Authorization");
	if (v.len < sizeof(AUTH_SCHEME) - 1 || v.len > 256 ||
	    !wk_span_starts_with(v, AUTH_SCHEME))
		return WK_ERR_AUTH;
	v.p += sizeof(AUTH_SCHEME) - 1;
	v.len -= sizeof(AUTH_SCHEME) - 1;
	if (!wk_span_split(v, ':', &id, &secret) || !valid_instance_id(id) ||
	    secret.len != 2 * WK_AGENT_SECRET_LEN || !is_hex(secret))
		return WK_ERR_AUTH;
	memcpy(idbuf, id.p, id.len);
	idbuf[id.len] = '\0';
	if ((r = wk_agent_sha256_hex(secret, hash)) != 0)
		return r;
	if ((r = wk_store_instance_get(srv->store, idbuf, inst)) != 0) {
		wk_instance_cleanup(inst);
		memset(inst, 0, sizeof(*inst));
		return r == WK_ERR_NOTFOUND ? WK_ERR_AUTH : r;
	}
	if (!wk_span_ct_eq(wk_span_from_cstr(hash),
	    wk_span_from_cstr(inst->agent_secret_hash))) {
		wk_instance_cleanup(inst);
		memset(inst, 0, sizeof(*inst));
		return WK_ERR_AUTH;
	}
	return 0;
}
