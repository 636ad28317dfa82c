/*
 * store_copy.c - every entity of one store into another, through the
 * store's own operations only (so it works between any two backends):
 * settings, managed policies with their versions (same version ids),
 * users with tags, keys, login profiles and inline policies, groups with
 * members and inline policies, attachments, instances with tags, unused
 * join tokens (by hash), the audit log in order (with the login columns;
 * the sessions open now come with their Login event) and the revocations
 * in order (new ids, same order). Console sessions are not copied (the
 * users sign in again on the copy). Used by `wicketd store copy`.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "server/wicketd.h"

#define FAIL(what, r) do {						\
	snprintf(why, whysz, "copying %s: %s", (what), wk_strerror(r));	\
	goto out;							\
} while (0)

/* A version number copied through: placeholders fill the gaps and are
 * deleted at once, so the copy's ids match the source's. */
static const char PLACEHOLDER[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[]}";

static int
version_num(const char *id, int64_t *out)
{
	int64_t v = 0;

	if (id[0] != 'v' || id[1] < '1' || id[1] > '9')
		return WK_ERR_STORE;
	for (const char *c = id + 1; *c != '\0'; c++) {
		if (*c < '0' || *c > '9' || v > 100000000)
			return WK_ERR_STORE;
		v = v * 10 + (*c - '0');
	}
	*out = v;
	return 0;
}

static int
copy_versions(struct wk_store *src, struct wk_store *dst,
    const struct wk_managed_policy *p)
{
	struct wk_policy_version *v = NULL;
	const char *docs[6] = { NULL };
	int64_t num, max = 0;
	char vid[8];
	size_t n = 0;
	int r;

	if ((r = wk_store_policy_version_list(src, p->arn, &v, &n)) != 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if ((r = version_num(v[i].version_id, &num)) != 0)
			goto out;
		if (num > max)
			max = num;
	}
	/* v1 from policy_create: the real v1 or a placeholder */
	for (int64_t k = 1; k <= max; k++) {
		const char *doc = NULL;

		for (size_t i = 0; i < n; i++) {
			int64_t m;

			if (version_num(v[i].version_id, &m) ==
			    0 && m == k)
				doc = v[i].document;
		}
		if (k == 1) {
			docs[0] = doc;
			if ((r = wk_store_policy_create(dst, p, doc != NULL ?
			    doc : PLACEHOLDER)) != 0)
				goto out;
			continue;
		}
		if ((r = wk_store_policy_version_create(dst, p->arn,
		    doc != NULL ? doc : PLACEHOLDER, doc != NULL, vid)) != 0)
			goto out;
		if (doc == NULL && (r = wk_store_policy_version_delete(dst,
		    p->arn, vid)) != 0)
			goto out;
		if (k > 1 && docs[0] == NULL && doc != NULL) {
			/* the placeholder v1 is no longer the default */
			if ((r = wk_store_policy_version_delete(dst, p->arn,
			    "v1")) != 0)
				goto out;
			docs[0] = doc;
		}
	}
	r = wk_store_policy_version_set_default(dst, p->arn,
	    p->default_version);
 out:
	wk_policy_version_list_free(v, n);
	return r;
}

static int
copy_meta(struct wk_store *src, struct wk_store *dst)
{
	static const char *const keys[] = { "account_id", "region" };
	char *v = NULL;
	int r = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		r = wk_store_meta_get(src, keys[i], &v);
		if (r == WK_ERR_NOTFOUND)
			continue;
		if (r == 0)
			r = wk_store_meta_set(dst, keys[i], v);
		wk_free(v);
		v = NULL;
		if (r != 0)
			return r;
	}
	return 0;
}

static int
copy_policies(struct wk_store *src, struct wk_store *dst)
{
	struct wk_managed_policy *p = NULL;
	char *marker = NULL, *next = NULL;
	size_t n = 0;
	int r;

	do {
		if ((r = wk_store_policy_list(src, NULL, false, marker, 1000,
		    &p, &n, &next)) != 0)
			break;
		for (size_t i = 0; i < n && r == 0; i++)
			r = copy_versions(src, dst, &p[i]);
		wk_store_free(p);
		p = NULL;
		wk_store_free(marker);
		marker = next;
		next = NULL;
	} while (r == 0 && marker != NULL);
	wk_store_free(marker);
	return r;
}

static int
copy_tags_user(struct wk_store *src, struct wk_store *dst, const char *name)
{
	struct wk_tag *tags = NULL;
	size_t n = 0;
	int r;

	if ((r = wk_store_user_tags_list(src, name, &tags, &n)) == 0 && n > 0)
		r = wk_store_user_tags_set(dst, name, tags, n);
	wk_store_free(tags);
	return r;
}

static int
copy_user_policies(struct wk_store *src, struct wk_store *dst,
    const char *user, bool group)
{
	struct wk_inline_policy ip;
	char **names = NULL;
	size_t n = 0;
	int r;

	r = group ? wk_store_group_policy_list(src, user, &names, &n) :
	    wk_store_user_policy_list(src, user, &names, &n);
	for (size_t i = 0; i < n && r == 0; i++) {
		memset(&ip, 0, sizeof(ip));
		r = group ? wk_store_group_policy_get(src, user, names[i], &ip) :
		    wk_store_user_policy_get(src, user, names[i], &ip);
		if (r == 0)
			r = group ? wk_store_group_policy_put(dst, user,
			    ip.name, ip.document) : wk_store_user_policy_put(dst,
			    user, ip.name, ip.document);
		wk_inline_policy_cleanup(&ip);
	}
	wk_store_strv_free(names, n);
	return r;
}

static int
copy_attached(struct wk_store *src, struct wk_store *dst, const char *who,
    bool group)
{
	struct wk_managed_policy *p = NULL;
	size_t n = 0;
	int r;

	r = group ? wk_store_attached_group_list(src, who, &p, &n) :
	    wk_store_attached_user_list(src, who, &p, &n);
	for (size_t i = 0; i < n && r == 0; i++)
		r = group ? wk_store_attach_group(dst, who, p[i].arn) :
		    wk_store_attach_user(dst, who, p[i].arn);
	wk_store_free(p);
	return r;
}

static int
copy_keys(struct wk_store *src, struct wk_store *dst, const char *user)
{
	struct wk_access_key *k = NULL, full;
	size_t n = 0;
	int r;

	if ((r = wk_store_key_list(src, user, &k, &n)) != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		if ((r = wk_store_key_get(src, k[i].id, &full)) == 0)
			r = wk_store_key_create(dst, &full);
		wk_explicit_bzero(&full, sizeof(full));
	}
	wk_store_free(k);
	return r;
}

static int
copy_one_user(struct wk_store *src, struct wk_store *dst,
    const struct wk_user *u)
{
	struct wk_login_profile lp;
	int r;

	if ((r = wk_store_user_create(dst, u)) != 0 ||
	    (r = copy_tags_user(src, dst, u->name)) != 0 ||
	    (r = copy_keys(src, dst, u->name)) != 0 ||
	    (r = copy_user_policies(src, dst, u->name, false)) != 0 ||
	    (r = copy_attached(src, dst, u->name, false)) != 0)
		return r;
	memset(&lp, 0, sizeof(lp));
	r = wk_store_login_profile_get(src, u->name, &lp);
	if (r == 0)
		r = wk_store_login_profile_put(dst, &lp, true);
	else if (r == WK_ERR_NOTFOUND)
		r = 0;
	wk_explicit_bzero(&lp, sizeof(lp));
	return r;
}

static int
copy_users(struct wk_store *src, struct wk_store *dst)
{
	struct wk_user *u = NULL;
	char *marker = NULL, *next = NULL;
	size_t n = 0;
	int r;

	do {
		if ((r = wk_store_user_list(src, NULL, marker, 1000, &u, &n,
		    &next)) != 0)
			break;
		for (size_t i = 0; i < n && r == 0; i++)
			r = copy_one_user(src, dst, &u[i]);
		wk_store_free(u);
		u = NULL;
		wk_store_free(marker);
		marker = next;
		next = NULL;
	} while (r == 0 && marker != NULL);
	wk_store_free(marker);
	return r;
}

static int
copy_one_group(struct wk_store *src, struct wk_store *dst,
    const struct wk_group *g)
{
	struct wk_user *m = NULL;
	size_t n = 0;
	int r;

	if ((r = wk_store_group_create(dst, g)) != 0 ||
	    (r = copy_user_policies(src, dst, g->name, true)) != 0 ||
	    (r = copy_attached(src, dst, g->name, true)) != 0 ||
	    (r = wk_store_group_members(src, g->name, &m, &n)) != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		r = wk_store_group_add_user(dst, g->name, m[i].name);
	wk_store_free(m);
	return r;
}

static int
copy_groups(struct wk_store *src, struct wk_store *dst)
{
	struct wk_group *g = NULL;
	char *marker = NULL, *next = NULL;
	size_t n = 0;
	int r;

	do {
		if ((r = wk_store_group_list(src, NULL, marker, 1000, &g, &n,
		    &next)) != 0)
			break;
		for (size_t i = 0; i < n && r == 0; i++)
			r = copy_one_group(src, dst, &g[i]);
		wk_store_free(g);
		g = NULL;
		wk_store_free(marker);
		marker = next;
		next = NULL;
	} while (r == 0 && marker != NULL);
	wk_store_free(marker);
	return r;
}

static int
copy_instances(struct wk_store *src, struct wk_store *dst)
{
	struct wk_instance *in = NULL;
	struct wk_tag *tags;
	size_t n = 0, nt;
	int r;

	if ((r = wk_store_instance_list(src, &in, &n)) != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		if ((r = wk_store_instance_create(dst, &in[i])) != 0)
			break;
		tags = NULL;
		nt = 0;
		if ((r = wk_store_instance_tags_list(src, in[i].id, &tags,
		    &nt)) == 0 && nt > 0)
			r = wk_store_instance_tags_set(dst, in[i].id, tags, nt);
		wk_store_free(tags);
	}
	wk_instance_list_free(in, n);
	return r;
}

/* Unused tokens (used ones answer as unknown ones do: not copied). */
static int
copy_tokens(struct wk_store *src, struct wk_store *dst)
{
	struct wk_token_row *tk = NULL;
	size_t n = 0;
	int r;

	if ((r = wk_store_token_list_unused(src, &tk, &n)) != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++)
		r = wk_store_token_create(dst, tk[i].hash, tk[i].expires,
		    tk[i].address_allow);
	wk_store_free(tk);
	return r;
}

/* The sessions open now, on every instance (each instance's list is
 * bounded by the store's list ceiling). */
static int
open_sessions(struct wk_store *src, struct wk_session **out, size_t *n)
{
	struct wk_instance *in = NULL;
	struct wk_session *all = NULL, *page = NULL, *grown;
	struct wk_session_filter f;
	size_t nin = 0, np = 0, cnt = 0;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = wk_store_instance_list(src, &in, &nin)) != 0)
		return r;
	for (size_t i = 0; i < nin && r == 0; i++) {
		memset(&f, 0, sizeof(f));
		f.instance_id = in[i].id;
		f.max_items = 1000;
		if ((r = wk_store_session_list(src, &f, &page, &np)) != 0)
			break;
		if (np > 0 && (grown = wk_reallocarray(all, cnt + np,
		    sizeof(*all))) == NULL)
			r = WK_ERR_NOMEM;
		else if (np > 0) {
			all = grown;
			memcpy(all + cnt, page, np * sizeof(*page));
			cnt += np;
		}
		wk_store_free(page);
		page = NULL;
	}
	wk_instance_list_free(in, nin);
	if (r != 0) {
		wk_free(all);
		return r;
	}
	*out = all;
	*n = cnt;
	return 0;
}

/* The open session a Login event opened, if it is still open. */
static const struct wk_session *
opened_by(const struct wk_audit_event *ev, const struct wk_session *open,
    size_t nopen)
{
	if (strcmp(ev->action, "wicket:Login") != 0 || ev->session_id[0] == '\0')
		return NULL;
	for (size_t i = 0; i < nopen; i++)
		if (strcmp(open[i].instance_id, ev->instance_id) == 0 &&
		    strcmp(open[i].session_id, ev->session_id) == 0)
			return &open[i];
	return NULL;
}

/*
 * Writes the log oldest first in batches; the Login of a session still
 * open is written with its session (wk_store_session_report), so the copy
 * lists the same open sessions and their Logout closes them there.
 */
static int
write_audit(struct wk_store *src, struct wk_store *dst,
    struct wk_audit_event *all, size_t cnt)
{
	struct wk_session *open = NULL;
	const struct wk_session *ses;
	size_t nopen = 0, start = 0, i;
	int r;

	if ((r = open_sessions(src, &open, &nopen)) != 0)
		return r;
	for (i = 0; i <= cnt && r == 0; i++) {
		ses = i < cnt ? opened_by(&all[i], open, nopen) : NULL;
		if (i < cnt && ses == NULL && i - start < 1000)
			continue;
		if (i > start)
			r = wk_store_audit_append_batch(dst, all + start,
			    i - start);
		start = i;
		if (r == 0 && ses != NULL) {
			r = wk_store_session_report(dst, &all[i], true, ses);
			start = i + 1;
		}
	}
	wk_free(open);
	return r;
}

/* Reads the whole log newest first, writes it oldest first. */
static int
copy_audit(struct wk_store *src, struct wk_store *dst)
{
	struct wk_audit_event *all = NULL, *page = NULL, *grown;
	struct wk_audit_filter f;
	size_t n = 0, cnt = 0;
	int r = 0;

	memset(&f, 0, sizeof(f));
	f.max_items = 1000;
	for (;;) {
		if ((r = wk_store_audit_query(src, &f, &page, &n)) != 0)
			goto out;
		if (n == 0)
			break;
		if ((grown = wk_reallocarray(all, cnt + n,
		    sizeof(*all))) == NULL) {
			r = WK_ERR_NOMEM;
			goto out;
		}
		all = grown;
		memcpy(all + cnt, page, n * sizeof(*page));
		cnt += n;
		f.before_id = page[n - 1].id;
		wk_store_free(page);
		page = NULL;
	}
	for (size_t i = 0; i < cnt / 2; i++) {
		struct wk_audit_event tmp = all[i];

		all[i] = all[cnt - 1 - i];
		all[cnt - 1 - i] = tmp;
	}
	r = write_audit(src, dst, all, cnt);
 out:
	wk_store_free(page);
	wk_free(all);
	return r;
}

/*
 * Revocations in id order, expired ones too (they detail the audit log's
 * RevokeSessions events): "kept after" -1 lists every one.
 */
static int
copy_revocations(struct wk_store *src, struct wk_store *dst)
{
	struct wk_revocation *v = NULL;
	int64_t after = 0;
	size_t n = 0;
	int r;

	for (;;) {
		if ((r = wk_store_revocation_list(src, after, NULL, (time_t)-1,
		    1000, &v, &n)) != 0 || n == 0)
			break;
		for (size_t i = 0; i < n && r == 0; i++) {
			after = v[i].id;
			r = wk_store_revocation_add(dst, &v[i]);
		}
		wk_store_revocations_free(v, n);
		v = NULL;
		if (r != 0)
			break;
	}
	wk_store_revocations_free(v, n);
	return r;
}

int
wk_store_copy_all(struct wk_store *src, struct wk_store *dst, char *why,
    size_t whysz)
{
	struct wk_user *u = NULL;
	char *next = NULL;
	size_t n = 0;
	int r;

	if ((r = wk_store_user_list(dst, NULL, NULL, 1, &u, &n, &next)) != 0)
		FAIL("(reading the destination)", r);
	wk_store_free(u);
	wk_store_free(next);
	if (n > 0) {
		snprintf(why, whysz, "the destination already holds users: "
		    "copy only into an empty database");
		return WK_ERR_EXISTS;
	}
	if ((r = copy_meta(src, dst)) != 0)
		FAIL("settings", r);
	if ((r = copy_policies(src, dst)) != 0)
		FAIL("managed policies", r);
	if ((r = copy_users(src, dst)) != 0)
		FAIL("users", r);
	if ((r = copy_groups(src, dst)) != 0)
		FAIL("groups", r);
	if ((r = copy_instances(src, dst)) != 0)
		FAIL("instances", r);
	if ((r = copy_tokens(src, dst)) != 0)
		FAIL("join tokens", r);
	if ((r = copy_audit(src, dst)) != 0)
		FAIL("the audit log and open sessions", r);
	if ((r = copy_revocations(src, dst)) != 0)
		FAIL("revocations", r);
 out:
	return r;
}
