/*
 * authz_ctx.c - wk_authz_context: the principal's keys; and
 * wk_authz_request_context: the request context of one
 * action, built from the condition-key table (iam/policy.h), the
 * principal, the request's parameters and the target resource. Every real
 * call (wk_api_authorize) and both simulators build their context here, so
 * a key the table lists is never missing when the request or the resource
 * has it, and a simulation decides as the call would.
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/time.h"
#include "iam/policy.h"
#include "server/api/api.h"
#include "server/auth/authz.h"
#include "store/store.h"

#define TAGS_PARAM_MAX 1000	/* Tag.N / Tags.member.N read at most */

int
wk_authz_context(struct wk_store *st, const struct wk_authz_principal *p,
    const struct wk_ctx *extra, const char *const *extra_keys,
    size_t nextra_keys, struct wk_ctx **out)
{
	struct wk_ctx *ctx = NULL;
	struct wk_tag *tags = NULL;
	size_t ntags = 0;
	char when[21], epoch[32], key[160];
	int r;

	*out = NULL;
	if ((r = wk_ctx_new(&ctx)) != 0)
		return r;
	wk_time_iso8601(p->now, when);
	snprintf(epoch, sizeof(epoch), "%lld", (long long)p->now);
	if (!p->principal_only &&
	    ((r = wk_ctx_add(ctx, "aws:CurrentTime", when)) != 0 ||
	    (r = wk_ctx_add(ctx, "aws:EpochTime", epoch)) != 0 ||
	    (r = wk_ctx_add(ctx, "aws:SecureTransport", p->secure ? "true" :
	    "false")) != 0))
		goto out;
	if ((r = wk_ctx_add(ctx, "aws:username", p->user->name)) != 0 ||
	    (r = wk_ctx_add(ctx, "aws:userid", p->user->id)) != 0 ||
	    (r = wk_ctx_add(ctx, "aws:PrincipalArn", p->user->arn)) != 0 ||
	    (r = wk_ctx_add(ctx, "aws:PrincipalType", "User")) != 0)
		goto out;
	if (!p->principal_only && p->source_ip != NULL &&
	    p->source_ip[0] != '\0' &&
	    (r = wk_ctx_add(ctx, "aws:SourceIp", p->source_ip)) != 0)
		goto out;
	if (p->account_id != NULL && p->account_id[0] != '\0' &&
	    (r = wk_ctx_add(ctx, "aws:PrincipalAccount", p->account_id)) != 0)
		goto out;
	if (p->region != NULL && p->region[0] != '\0' &&
	    (r = wk_ctx_add(ctx, "aws:RequestedRegion", p->region)) != 0)
		goto out;
	if ((r = wk_readcache_user_tags(st, p->user->name, &tags,
	    &ntags)) != 0 && r != WK_ERR_NOTFOUND)
		goto out;
	for (size_t i = 0; i < ntags; i++) {
		snprintf(key, sizeof(key), "aws:PrincipalTag/%s", tags[i].key);
		if ((r = wk_ctx_add(ctx, key, tags[i].value)) != 0)
			goto out;
	}
	if (extra != NULL && extra_keys != NULL) {
		for (size_t k = 0; k < nextra_keys; k++) {
			size_t cnt = wk_ctx_count(extra, extra_keys[k]);

			for (size_t i = 0; i < cnt; i++)
				if ((r = wk_ctx_add(ctx, extra_keys[k],
				    wk_ctx_get(extra, extra_keys[k], i))) != 0)
					goto out;
		}
	} else if (extra != NULL && (r = wk_ctx_merge(ctx, extra)) != 0) {
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	r = 0;
 out:
	wk_store_free(tags);
	wk_ctx_free(ctx);
	return r;
}

/* Adds key=value when the row lists the key. */
static int
add_listed(struct wk_ctx *ctx, const struct wk_action_keys *row,
    const char *key, const char *value)
{
	if (!wk_action_has_key(row, key))
		return 0;
	return wk_ctx_add(ctx, key, value);
}

/* Adds "<family><name>" = value when the row lists the family. */
static int
add_family(struct wk_ctx *ctx, const struct wk_action_keys *row,
    const char *family, const char *name, const char *value)
{
	char key[300];
	int n;

	n = snprintf(key, sizeof(key), "%s%s", family, name);
	if (n < 0 || (size_t)n >= sizeof(key))
		return WK_ERR_TOOBIG;
	return add_listed(ctx, row, key, value);
}

/*
 * aws:RequestTag/K and aws:TagKeys from the request's tags. IAM:
 * Tags.member.N.Key/Value and TagKeys.member.N (UntagUser); EC2:
 * Tag.N.Key/Value (a key without a value: "" for CreateTags, as stored;
 * no aws:RequestTag for DeleteTags, which then matches any value).
 */
static int
request_tags(struct wk_ctx *ctx, const struct wk_action_keys *row,
    const struct wk_params *params, bool ec2)
{
	char kname[64], vname[64];
	const char *k, *v;
	bool create = strcmp(row->action, "ec2:CreateTags") == 0;
	size_t i;
	int r;

	for (i = 1; i <= TAGS_PARAM_MAX; i++) {
		if (ec2) {
			snprintf(kname, sizeof(kname), "Tag.%zu.Key", i);
			snprintf(vname, sizeof(vname), "Tag.%zu.Value", i);
		} else {
			snprintf(kname, sizeof(kname), "Tags.member.%zu.Key",
			    i);
			snprintf(vname, sizeof(vname),
			    "Tags.member.%zu.Value", i);
		}
		if ((k = wk_params_get(params, kname)) == NULL)
			break;
		v = wk_params_get(params, vname);
		if (v == NULL && ec2 && create)
			v = "";
		if ((r = add_listed(ctx, row, "aws:TagKeys", k)) != 0 ||
		    (v != NULL && (r = add_family(ctx, row, "aws:RequestTag/",
		    k, v)) != 0))
			return r;
	}
	if (ec2)
		return 0;
	for (i = 1; i <= TAGS_PARAM_MAX; i++) {
		snprintf(kname, sizeof(kname), "TagKeys.member.%zu", i);
		if ((k = wk_params_get(params, kname)) == NULL)
			break;
		if ((r = add_listed(ctx, row, "aws:TagKeys", k)) != 0)
			return r;
	}
	return 0;
}

static int
request_keys(struct wk_ctx *ctx, const struct wk_action_keys *row,
    const struct wk_params *params)
{
	const char *v;
	int r;

	if (params == NULL)
		return 0;
	/* (a family is listed when any key of it is: "x" stands for one) */
	if ((wk_action_has_key(row, "aws:TagKeys") ||
	    wk_action_has_key(row, "aws:RequestTag/x")) &&
	    (r = request_tags(ctx, row, params,
	    strncmp(row->action, "ec2:", 4) == 0)) != 0)
		return r;
	if (wk_action_has_key(row, "iam:PolicyARN") &&
	    (v = wk_params_get(params, "PolicyArn")) != NULL &&
	    (r = wk_ctx_add(ctx, "iam:PolicyARN", v)) != 0)
		return r;
	return 0;
}

/* The tail of arn after "<head>ACCOUNT:<kind>/", or NULL. */
static const char *
arn_tail(const char *arn, const char *head, const char *account,
    const char *kind)
{
	size_t hl = strlen(head), al = strlen(account), kl = strlen(kind);

	if (strncmp(arn, head, hl) != 0 ||
	    strncmp(arn + hl, account, al) != 0 || arn[hl + al] != ':' ||
	    strncmp(arn + hl + al + 1, kind, kl) != 0)
		return NULL;
	return arn + hl + al + 1 + kl;
}

/* aws:ResourceTag/K and iam:ResourceTag/K of an existing user. */
static int
user_keys(struct wk_store *st, struct wk_ctx *ctx,
    const struct wk_action_keys *row, const char *arn, const char *account)
{
	struct wk_tag *tags = NULL;
	struct wk_user u;
	const char *tail, *name;
	size_t n = 0, i;
	int r;

	if ((tail = arn_tail(arn, "arn:aws:iam::", account, "user/")) ==
	    NULL)
		return 0;
	name = strrchr(tail, '/') != NULL ? strrchr(tail, '/') + 1 : tail;
	if (*name == '\0' || strlen(name) >= sizeof(u.name))
		return 0;
	memset(&u, 0, sizeof(u));
	r = wk_readcache_user_get(st, name, &u);
	if (r == WK_ERR_NOTFOUND || (r == 0 && strcmp(u.arn, arn) != 0))
		return 0;	/* no such user: no resource keys */
	if (r != 0)
		return r;
	if ((r = wk_readcache_user_tags(st, u.name, &tags, &n)) != 0) {
		if (r == WK_ERR_NOTFOUND)
			r = 0;
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((r = add_family(ctx, row, "aws:ResourceTag/", tags[i].key,
		    tags[i].value)) != 0 ||
		    (r = add_family(ctx, row, "iam:ResourceTag/", tags[i].key,
		    tags[i].value)) != 0)
			goto out;
out:
	wk_store_free(tags);
	return r;
}

/*
 * ec2:ResourceTag/K, aws:ResourceTag/K, ec2:InstanceID of an instance.
 * With all_keys (DeleteTags naming no tag, which deletes every tag), each
 * tag's key is also a value of aws:TagKeys: the keys the request removes,
 * so a ForAllValues guardrail on aws:TagKeys sees them.
 */
static int
instance_keys(struct wk_store *st, struct wk_ctx *ctx,
    const struct wk_action_keys *row, const char *arn, const char *account,
    const char *region, bool all_keys)
{
	struct wk_tag *tags = NULL;
	char head[80];
	const char *id;
	size_t n = 0, i;
	int r;

	snprintf(head, sizeof(head), "arn:aws:ec2:%s:", region);
	if ((id = arn_tail(arn, head, account, "instance/")) == NULL ||
	    *id == '\0')
		return 0;
	/* The tag list is also the existence check (NOTFOUND: no such
	 * instance, no resource keys): one query on the push's hot path. */
	if ((r = wk_readcache_instance_tags(st, id, &tags, &n)) != 0)
		return r == WK_ERR_NOTFOUND ? 0 : r;
	if ((r = add_listed(ctx, row, "ec2:InstanceID", id)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = add_family(ctx, row, "ec2:ResourceTag/", tags[i].key,
		    tags[i].value)) != 0 ||
		    (r = add_family(ctx, row, "aws:ResourceTag/", tags[i].key,
		    tags[i].value)) != 0 ||
		    (all_keys && (r = add_listed(ctx, row, "aws:TagKeys",
		    tags[i].key)) != 0))
			goto out;
out:
	wk_store_free(tags);
	return r;
}

/* DeleteTags without Tag.N deletes every tag of the resource. */
static bool
deletes_all_tags(const struct wk_action_keys *row,
    const struct wk_params *params)
{
	return strcmp(row->action, "ec2:DeleteTags") == 0 &&
	    (params == NULL || wk_params_get(params, "Tag.1.Key") == NULL);
}

/* dst := src without the keys override has, then override's keys. */
static int
apply_override(const struct wk_ctx *src, const struct wk_ctx *override,
    struct wk_ctx **out)
{
	struct wk_ctx *ctx = NULL;
	const char *key;
	size_t i, j, n;
	int r;

	*out = NULL;
	if ((r = wk_ctx_new(&ctx)) != 0)
		return r;
	for (i = 0; (key = wk_ctx_key(src, i)) != NULL; i++) {
		if (wk_ctx_count(override, key) > 0)
			continue;
		n = wk_ctx_count(src, key);
		for (j = 0; j < n; j++)
			if ((r = wk_ctx_add(ctx, key, wk_ctx_get(src, key,
			    j))) != 0)
				goto out;
	}
	if ((r = wk_ctx_merge(ctx, override)) != 0)
		goto out;
	*out = ctx;
	ctx = NULL;
out:
	wk_ctx_free(ctx);
	return r;
}

int
wk_authz_request_context(struct wk_store *st, const struct wk_authz_input *in,
    struct wk_ctx **out)
{
	const struct wk_action_keys *row;
	const char *account, *region, *res;
	struct wk_ctx *ctx = NULL, *fin = NULL;
	int r;

	*out = NULL;
	if (in == NULL || in->action == NULL)
		return WK_ERR_INVAL;
	account = in->account_id != NULL ? in->account_id : "";
	region = in->region != NULL ? in->region : "";
	res = in->resource != NULL ? in->resource : "*";
	row = wk_action_keys_find(in->action);
	if (in->principal != NULL) {
		if ((r = wk_authz_context(st, in->principal, NULL, NULL, 0,
		    &ctx)) != 0)
			goto out;
	} else if ((r = wk_ctx_new(&ctx)) != 0) {
		goto out;
	}
	if (row != NULL) {
		if ((r = request_keys(ctx, row, in->params)) != 0)
			goto out;
		if (row->res == WK_RES_USER && account[0] != '\0' &&
		    (r = user_keys(st, ctx, row, res, account)) != 0)
			goto out;
		if (row->res == WK_RES_INSTANCE && account[0] != '\0' &&
		    region[0] != '\0' && (r = instance_keys(st, ctx, row, res,
		    account, region, deletes_all_tags(row, in->params))) != 0)
			goto out;
		if (region[0] != '\0' &&
		    (r = add_listed(ctx, row, "ec2:Region", region)) != 0)
			goto out;
	}
	if (in->extra != NULL && (r = wk_ctx_merge(ctx, in->extra)) != 0)
		goto out;
	if (in->override != NULL) {
		if ((r = apply_override(ctx, in->override, &fin)) != 0)
			goto out;
		wk_ctx_free(ctx);
		ctx = fin;
	}
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	wk_ctx_free(ctx);
	return r;
}
