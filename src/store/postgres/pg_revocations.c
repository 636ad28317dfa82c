/*
 * pg_revocations.c - revocations (append-only, read by id: agents ask
 * for those newer than the last one they applied) and the one audit query
 * revocation needs: the key pushes made with an access key.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "store/postgres/pg_int.h"

#define TERMINATED(f) (strnlen((f), sizeof(f)) < sizeof(f))
#define REQUEST_IDS_MAX (WK_REVOKE_MAX_REQUEST_IDS * 64)

static const char SQL_REV_INSERT[] =
    "INSERT INTO revocations (time_ms, at, keep_until, caller_arn,"
    " access_key_id, instance_id, os_user, request_ids, by_request_ids,"
    " by_arn, by_access_key_id, by_request_id, reason)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    " RETURNING id";

int
wk_pg_revocation_add(struct wk_store *st, struct wk_revocation *rev)
{
	struct wk_pg *s = wk_pgs(st);
	const char *ids;
	int r;

	if (rev == NULL)
		return WK_ERR_INVAL;
	ids = rev->request_ids != NULL ? rev->request_ids : "";
	if (!TERMINATED(rev->caller_arn) || !TERMINATED(rev->access_key_id) ||
	    !TERMINATED(rev->instance_id) || !TERMINATED(rev->os_user) ||
	    !TERMINATED(rev->by_arn) || !TERMINATED(rev->by_access_key_id) ||
	    !TERMINATED(rev->by_request_id) || !TERMINATED(rev->reason) ||
	    rev->at < 0 || rev->keep_until < rev->at)
		return WK_ERR_INVAL;
	if (strlen(ids) > REQUEST_IDS_MAX)
		return WK_ERR_TOOBIG;
	/*
	 * Under the store-wide transaction lock: ids are committed in the
	 * order they are drawn, so an agent reading "after id N" on any
	 * replica never skips one committed late.
	 */
	if ((r = wk_pg_begin(s)) != 0)
		return r;
	r = wk_pg_int(s, "revocation_add", SQL_REV_INSERT, &rev->id,
	    "iiitttttitttt", rev->time_ms, rev->at, rev->keep_until,
	    rev->caller_arn, rev->access_key_id, rev->instance_id,
	    rev->os_user, ids, (int64_t)rev->by_request_ids, rev->by_arn,
	    rev->by_access_key_id, rev->by_request_id, rev->reason);
	r = wk_pg_end(s, r);
	if (r != 0)
		rev->id = 0;
	return r;
}

#define REV_COLS \
	"id, time_ms, at, keep_until, caller_arn, access_key_id, instance_id," \
	" os_user, request_ids, by_request_ids, by_arn, by_access_key_id," \
	" by_request_id, reason"

static const char SQL_REV_LIST_ALL[] =
    "SELECT " REV_COLS " FROM revocations WHERE id > $1 AND keep_until > $2"
    " AND $3 IS NULL ORDER BY id LIMIT $4";
static const char SQL_REV_LIST_INSTANCE[] =
    "SELECT " REV_COLS " FROM revocations WHERE id > $1 AND keep_until > $2"
    " AND (instance_id = '' OR instance_id = $3) ORDER BY id LIMIT $4";

static int
rev_row(struct wk_pg *s, struct wk_pg_stmt *stmt, struct wk_revocation *v)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->id = wk_pg_col_int64(stmt, 0);
	v->time_ms = wk_pg_col_int64(stmt, 1);
	v->at = wk_pg_col_int64(stmt, 2);
	v->keep_until = wk_pg_col_int64(stmt, 3);
	v->by_request_ids = wk_pg_col_int64(stmt, 9) != 0;
	if ((r = wk_pg_col_copy(s, stmt, 4, v->caller_arn,
	    sizeof(v->caller_arn))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 5, v->access_key_id,
	    sizeof(v->access_key_id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 6, v->instance_id,
	    sizeof(v->instance_id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 7, v->os_user,
	    sizeof(v->os_user))) != 0 ||
	    (r = wk_pg_col_strdup(stmt, 8, &v->request_ids)) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 10, v->by_arn,
	    sizeof(v->by_arn))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 11, v->by_access_key_id,
	    sizeof(v->by_access_key_id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 12, v->by_request_id,
	    sizeof(v->by_request_id))) != 0 ||
	    (r = wk_pg_col_copy(s, stmt, 13, v->reason,
	    sizeof(v->reason))) != 0)
		return r;
	return 0;
}

static int
rev_rows(struct wk_pg *s, struct wk_pg_stmt *stmt, struct wk_revocation **out,
    size_t *n)
{
	struct wk_revocation *v = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	while ((r = wk_pg_step(s, stmt, "revocation_list")) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0)
			break;
		r = rev_row(s, stmt, &v[cnt]);
		cnt++;	/* freed below even when half-filled */
		if (r != 0)
			break;
	}
	wk_pg_done(stmt);
	if (r != 0) {
		wk_store_revocations_free(v, cnt);
		return r;
	}
	*out = v;
	*n = cnt;
	return 0;
}

static const char SQL_REV_BY_REQUEST[] =
    "SELECT " REV_COLS " FROM revocations WHERE by_request_id = $1"
    " ORDER BY id LIMIT 100";

int
wk_pg_revocation_by_request(struct wk_store *st, const char *by_request_id,
    struct wk_revocation **out, size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = wk_store_check_str(by_request_id, 63)) != 0)
		return r;
	if ((r = wk_pg_prepare(s, SQL_REV_BY_REQUEST, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "t", by_request_id)) != 0) {
		wk_pg_done(stmt);
		return r;
	}
	return rev_rows(s, stmt, out, n);
}

int
wk_pg_revocation_list(struct wk_store *st, int64_t after_id,
    const char *instance_id, time_t now, size_t max,
    struct wk_revocation **out, size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	struct wk_revocation *v = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if (after_id < 0 || max == 0 || max > 1000 ||
	    (r = wk_store_check_opt(instance_id, 32)) != 0)
		return WK_ERR_INVAL;
	if ((r = wk_pg_prepare(s, instance_id != NULL ?
	    SQL_REV_LIST_INSTANCE : SQL_REV_LIST_ALL, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "iiti", after_id, (int64_t)now,
	    instance_id, (int64_t)max)) != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, "revocation_list")) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0)
			break;
		r = rev_row(s, stmt, &v[cnt]);
		cnt++;	/* freed below even when half-filled */
		if (r != 0)
			break;
	}
	if (r != 0)
		goto out;
	*out = v;
	*n = cnt;
	v = NULL;
 out:
	wk_pg_done(stmt);
	wk_store_revocations_free(v, cnt);
	return r;
}

int
wk_pg_revocation_max_id(struct wk_store *st, int64_t *out)
{
	return wk_pg_int(wk_pgs(st), "revocation_max_id",
	    "SELECT coalesce(max(id), 0) FROM revocations", out, "");
}

static const char SQL_KEY_REQUESTS[] =
    "SELECT request_id FROM audit WHERE access_key_id = $1 AND action = $2"
    " AND decision = 'Allow' AND time_ms >= $3 ORDER BY id DESC LIMIT $4";

int
wk_pg_audit_key_requests(struct wk_store *st, const char *akid,
    const char *action, int64_t since_ms, size_t max, char ***out,
    size_t *n)
{
	struct wk_pg *s = wk_pgs(st);
	struct wk_pg_stmt *stmt = NULL;
	char **v = NULL;
	size_t cap = 0, cnt = 0;
	int r;

	if (out == NULL || n == NULL)
		return WK_ERR_INVAL;
	*out = NULL;
	*n = 0;
	if ((r = wk_store_check_str(akid, 32)) != 0 ||
	    (r = wk_store_check_str(action, 127)) != 0)
		return r;
	if (since_ms < 0 || max == 0 || max > 1000)
		return WK_ERR_INVAL;
	if ((r = wk_pg_prepare(s, SQL_KEY_REQUESTS, &stmt)) != 0 ||
	    (r = wk_pg_bind(s, stmt, "ttii", akid, action, since_ms,
	    (int64_t)max)) != 0)
		goto out;
	while ((r = wk_pg_step(s, stmt, "audit_key_requests")) == 1) {
		if ((r = wk_pg_grow((void **)&v, &cap, cnt, sizeof(*v))) != 0 ||
		    (r = wk_pg_col_strdup(stmt, 0, &v[cnt])) != 0)
			break;
		cnt++;
	}
	if (r != 0)
		goto out;
	*out = v;
	*n = cnt;
	v = NULL;
 out:
	wk_pg_done(stmt);
	wk_store_strv_free(v, cnt);
	return r;
}
