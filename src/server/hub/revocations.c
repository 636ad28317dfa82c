/*
 * revocations.c - revocations on the agents' long-poll (docs/revocation.md;
 * revoke.c issues them). A revocation is stored (append-only, numbered),
 * audited, and carried to the agents on their long-poll: an agent polls
 * with `revoked=N`, the last revocation id it applied, and every reply
 * carries the live revocations newer than N for its instance (those
 * without an instance are for every agent) and the cursor to ask with
 * next. An agent that was away asks with its old N (or 0 after a restart)
 * and gets what it missed, until a revocation's keep_until.
 *
 * Everything runs on the event-loop thread.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "common/time.h"
#include "server/hub/agent_hub.h"
#include "server/hub/agent_hub_int.h"
#include "server/server.h"

void
wk_hub_revocations_init(struct wk_agent_hub *h)
{
	int64_t max = 0;
	int r;

	h->rev_max = 0;
	if (h->srv == NULL || h->srv->store == NULL)
		return;
	if ((r = wk_store_revocation_max_id(h->srv->store, &max)) != 0) {
		wk_log(WK_LOG_ERROR, "revocations_unavailable", "error=%s "
		    "reason=\"revocations are not delivered to agents\"",
		    wk_strerror(r));
		return;
	}
	h->rev_max = (uint64_t)max;
}

bool
wk_hub_rev_pending(const struct wk_agent_hub *h, const struct wk_hub_agent *a)
{
	return a != NULL && a->rev_aware && a->held_rev < h->rev_max &&
	    wk_wall_now() >= h->rev_retry_at;
}

/* Appends a comma-separated id list as a JSON array; counts the ids. */
static json_t *
ids_json(const char *list, size_t *count)
{
	json_t *arr = json_array(), *s;
	const char *p = list, *comma;
	size_t len;

	if (arr == NULL)
		return NULL;
	while (p != NULL && *p != '\0') {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (len > 0) {
			if ((s = json_stringn(p, len)) == NULL ||
			    json_array_append_new(arr, s) != 0) {
				json_decref(arr);
				return NULL;
			}
			(*count)++;
		}
		p = comma != NULL ? comma + 1 : NULL;
	}
	return arr;
}

static int
set_str(json_t *o, const char *name, const char *v)
{
	if (v[0] == '\0')
		return 0;
	return json_object_set_new(o, name, json_string(v)) == 0 ? 0 :
	    WK_ERR_NOMEM;
}

/* The wire form (docs/protocols.md, "Revocations"). */
static json_t *
rev_json(const struct wk_revocation *v, size_t *nids)
{
	json_t *o, *ids;

	o = json_pack("{s:I, s:I, s:I}", "id", (json_int_t)v->id, "at",
	    (json_int_t)v->at, "keep_until", (json_int_t)v->keep_until);
	if (o == NULL)
		return NULL;
	if (set_str(o, "caller", v->caller_arn) != 0 ||
	    set_str(o, "instance", v->instance_id) != 0 ||
	    set_str(o, "os_user", v->os_user) != 0)
		goto fail;
	if (v->by_request_ids) {
		if ((ids = ids_json(v->request_ids != NULL ? v->request_ids :
		    "", nids)) == NULL ||
		    json_object_set_new(o, "request_ids", ids) != 0)
			goto fail;
	}
	return o;
 fail:
	json_decref(o);
	return NULL;
}

/*
 * Signs a revocation with the current record-signing key, as records are
 * (docs/protocols.md, "Revocations on the poll"): "key_id" and "sig",
 * base64 Ed25519 of "wicket-revocation-v1\n" + the object without them,
 * compact with sorted keys. An agent refuses a revocation whose signature
 * does not verify under a key it pinned.
 */
static int
rev_sign(const struct wk_server *srv, json_t *o)
{
	struct wk_pubkey pub;
	struct wk_buf msg, b64;
	uint8_t sig[WK_ED25519_SIG_LEN];
	char *text;
	int r;

	if (srv->signkey == NULL)
		return WK_ERR_INVAL;
	if ((text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return WK_ERR_NOMEM;
	wk_buf_init(&msg, 256);
	wk_buf_init(&b64, 128);
	r = wk_buf_appendf(&msg, "wicket-revocation-v1\n%s", text);
	free(text);	/* jansson's allocator */
	if (r == 0)
		r = wk_signkey_sign(srv->signkey, wk_span_from_mem(msg.p,
		    msg.len), sig);
	if (r == 0)
		r = wk_base64_encode(&b64, sig, sizeof(sig));
	wk_signkey_public(srv->signkey, &pub);
	if (r == 0 && (json_object_set_new(o, "key_id",
	    json_string(pub.id)) != 0 || json_object_set_new(o, "sig",
	    json_string(wk_buf_cstr(&b64))) != 0))
		r = WK_ERR_NOMEM;
	wk_buf_cleanup(&msg);
	wk_buf_cleanup(&b64);
	return r;
}

int
wk_hub_revocations_reply(struct wk_agent_hub *h, const struct wk_hub_agent *a,
    time_t now, json_t *reply)
{
	struct wk_revocation *v = NULL;
	json_t *arr = NULL, *o;
	uint64_t through;
	size_t n = 0, i, nids = 0;
	int r;

	if (a == NULL || !a->rev_aware)
		return 0;
	through = a->held_rev;
	if ((arr = json_array()) == NULL)
		return WK_ERR_NOMEM;
	if (a->held_rev < h->rev_max) {
		r = wk_store_revocation_list(h->srv->store, (int64_t)a->held_rev,
		    a->id, now, WK_HUB_REVS_PER_REPLY, &v, &n);
		if (r != 0) {
			/* not delivered now: the agent keeps its cursor and
			 * asks again on its next poll */
			wk_log(WK_LOG_ERROR, "revocations_read_failed",
			    "instance=%s error=%s", a->id, wk_strerror(r));
			h->rev_retry_at = now + 5;	/* no busy polling */
			n = 0;
		} else {
			through = h->rev_max;	/* everything up to it seen */
		}
		for (i = 0; i < n; i++) {
			if (i > 0 && nids >= WK_HUB_REV_IDS_PER_REPLY)
				break;
			if ((o = rev_json(&v[i], &nids)) != NULL &&
			    rev_sign(h->srv, o) != 0) {
				json_decref(o);	/* never sent unsigned */
				o = NULL;
			}
			if (o == NULL || json_array_append_new(arr, o) != 0) {
				r = WK_ERR_NOMEM;
				goto out;
			}
		}
		/* cut short (page or id budget): the next poll continues */
		if (i < n || n == WK_HUB_REVS_PER_REPLY)
			through = (uint64_t)v[i - 1].id;
	}
	r = WK_ERR_NOMEM;
	if (json_array_size(arr) > 0 &&
	    json_object_set(reply, "revocations", arr) != 0)
		goto out;
	if (json_object_set_new(reply, "revocation_cursor",
	    json_integer((json_int_t)through)) != 0)
		goto out;
	r = 0;
 out:
	json_decref(arr);
	wk_store_revocations_free(v, n);
	return r;
}
