/*
 * revoke.c - a revocation from wicketd (docs/protocols.md, "Revocations"):
 * its strict parser and what it matches, a held record or a session of
 * the registry. Applying them is revoke_apply.c's job.
 *
 * Revocations arrive only on the long-poll reply, over the connection the
 * agent verified against its enrollment trust (tls.c) with its own
 * credential: a peer that is not wicketd cannot put one there. The parser
 * still refuses anything not exactly in the documented shape, so that a
 * server bug can never widen a revocation into "everything".
 */
#include "agent/agent.h"
#include "agent/sessions.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"
#include "crypto/keyrec.h"

#define TIME_MAX 253402300799LL	/* 9999-12-31T23:59:59Z */

static bool
chars_in(const char *s, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return false;
	return true;
}

#define DIGITS "0123456789"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static bool
request_id_ok(const char *s, size_t len)
{
	return len >= 1 && len <= 63 &&
	    chars_in(s, len, UPPER LOWER DIGITS "._-");
}

static bool
caller_ok(const char *s, size_t len)
{
	if (len == 0 || len > 511)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static bool
instance_ok(const char *s, size_t len)
{
	return len >= 3 && len <= 32 && strncmp(s, "i-", 2) == 0 &&
	    chars_in(s + 2, len - 2, DIGITS "abcdef");
}

static bool
time_ok(const json_t *v, int64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > TIME_MAX)
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

static int
fail(struct wk_agent_rev *out, const char **why, const char *reason)
{
	wk_agent_rev_cleanup(out);
	*why = reason;
	return WK_ERR_INVAL;
}

static int
take_ids(const json_t *arr, struct wk_agent_rev *out, const char **why)
{
	const json_t *v;
	size_t i, len;

	if (!json_is_array(arr))
		return fail(out, why, "request_ids is not an array");
	if (json_array_size(arr) > WK_AGENT_REV_MAX_IDS)
		return fail(out, why, "too many request_ids");
	out->by_ids = true;
	if (json_array_size(arr) == 0)
		return 0;	/* matches nothing */
	out->ids = wk_calloc(json_array_size(arr), sizeof(*out->ids));
	if (out->ids == NULL)
		return fail(out, why, "out of memory");
	json_array_foreach(arr, i, v) {
		len = json_string_length(v);
		if (!json_is_string(v) ||
		    !request_id_ok(json_string_value(v), len))
			return fail(out, why, "bad request id");
		memcpy(out->ids[i], json_string_value(v), len);
		out->ids[i][len] = '\0';
		out->nids++;
	}
	return 0;
}

int
wk_agent_rev_parse(const json_t *o, struct wk_agent_rev *out,
    const char **why)
{
	const char *key, *s;
	json_t *v;
	size_t len;
	bool has_id = false, has_at = false, has_keep = false;
	int r;

	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (!json_is_object(o))
		return fail(out, why, "not an object");
	json_object_foreach((json_t *)(uintptr_t)o, key, v) {
		s = json_string_value(v);
		len = json_string_length(v);
		if (strcmp(key, "id") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1)
				return fail(out, why, "bad id");
			out->id = (uint64_t)json_integer_value(v);
			has_id = true;
		} else if (strcmp(key, "at") == 0) {
			if (!time_ok(v, &out->at))
				return fail(out, why, "bad at");
			has_at = true;
		} else if (strcmp(key, "keep_until") == 0) {
			if (!time_ok(v, &out->keep_until))
				return fail(out, why, "bad keep_until");
			has_keep = true;
		} else if (strcmp(key, "caller") == 0) {
			if (s == NULL || !caller_ok(s, len))
				return fail(out, why, "bad caller");
			memcpy(out->caller, s, len + 1);
		} else if (strcmp(key, "instance") == 0) {
			if (s == NULL || !instance_ok(s, len))
				return fail(out, why, "bad instance");
			memcpy(out->instance, s, len + 1);
		} else if (strcmp(key, "os_user") == 0) {
			if (s == NULL || strlen(s) != len ||
			    !wk_sock_user_ok((const uint8_t *)s, len))
				return fail(out, why, "bad os_user");
			memcpy(out->os_user, s, len + 1);
		} else if (strcmp(key, "key_id") == 0 ||
		    strcmp(key, "sig") == 0) {
			if (s == NULL)
				return fail(out, why, "bad signature member");
		} else if (strcmp(key, "request_ids") == 0) {
			if ((r = take_ids(v, out, why)) != 0)
				return r;
		} else {
			return fail(out, why, "unknown member");
		}
	}
	if (!has_id || !has_at || !has_keep)
		return fail(out, why, "id, at or keep_until missing");
	if (out->keep_until < out->at)
		return fail(out, why, "keep_until before at");
	/* never "everything": something must narrow it */
	if (out->caller[0] == '\0' && out->instance[0] == '\0' &&
	    !out->by_ids)
		return fail(out, why, "no selector");
	return 0;
}

void
wk_agent_rev_cleanup(struct wk_agent_rev *rv)
{
	if (rv == NULL)
		return;
	wk_free(rv->ids);
	rv->ids = NULL;
	rv->nids = 0;
}

static bool
has_id(const struct wk_agent_rev *rv, const char *request_id)
{
	for (size_t i = 0; i < rv->nids; i++)
		if (strcmp(rv->ids[i], request_id) == 0)
			return true;
	return false;
}

/* The selector part shared by records and sessions. */
static bool
selects(const struct wk_agent_rev *rv, const char *caller,
    const char *instance, const char *os_user, const char *request_id)
{
	if (rv->caller[0] != '\0' && strcmp(rv->caller, caller) != 0)
		return false;
	if (rv->instance[0] != '\0' && strcmp(rv->instance, instance) != 0)
		return false;
	if (rv->os_user[0] != '\0' && strcmp(rv->os_user, os_user) != 0)
		return false;
	if (rv->by_ids && !has_id(rv, request_id))
		return false;
	return true;
}

bool
wk_agent_rev_match_record(const struct wk_agent_rev *rv,
    const struct wk_keyrec *rec)
{
	if (!selects(rv, rec->caller_arn, rec->instance_id, rec->os_user,
	    rec->request_id))
		return false;
	return rv->by_ids || rec->issued <= rv->at;
}

bool
wk_agent_rev_match_session(const struct wk_agent_rev *rv,
    const struct wk_agent_session *s, bool issued_known, int64_t issued)
{
	if (!selects(rv, s->caller_arn, s->instance_id, s->os_user,
	    s->request_id))
		return false;
	if (rv->by_ids)
		return true;
	return (issued_known ? issued : s->opened_at) <= rv->at;
}

int
wk_agent_rev_verify(const json_t *o, const struct wk_pubkey *pinned,
    size_t npinned, const char **why)
{
	const char *kid, *sig;
	struct wk_buf raw, msg;
	json_t *copy;
	char *text;
	int r;

	*why = NULL;
	kid = json_string_value(json_object_get(o, "key_id"));
	sig = json_string_value(json_object_get(o, "sig"));
	if (!json_is_object(o) || kid == NULL || sig == NULL) {
		*why = "unsigned";
		return WK_ERR_AUTH;
	}
	if ((copy = json_deep_copy(o)) == NULL) {
		*why = "out of memory";
		return WK_ERR_NOMEM;
	}
	(void)json_object_del(copy, "key_id");
	(void)json_object_del(copy, "sig");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (text == NULL) {
		*why = "out of memory";
		return WK_ERR_NOMEM;
	}
	wk_buf_init(&msg, 256);
	wk_buf_init(&raw, 128);
	r = wk_buf_appendf(&msg, "wicket-revocation-v1\n%s", text);
	free(text);	/* jansson's allocator */
	if (r == 0 && (wk_base64_decode(wk_span_from_mem(sig, strlen(sig)),
	    &raw) != 0 || raw.len != WK_ED25519_SIG_LEN))
		r = WK_ERR_AUTH;
	if (r == 0)
		r = wk_pubkey_verify_pinned(pinned, npinned, kid,
		    wk_span_from_mem(msg.p, msg.len), raw.p, raw.len);
	if (r != 0)
		*why = r == WK_ERR_NOTFOUND ? "signed by a key not pinned" :
		    "bad signature";
	wk_buf_cleanup(&msg);
	wk_buf_cleanup(&raw);
	return r == 0 ? 0 : WK_ERR_AUTH;
}
