/*
 * iam_util.c - the helpers of iam_int.h: IAM's parameter constraints and
 * AWS's ValidationError text, ARNs, entity loading + authorization, store
 * error mapping, pagination and the XML of IAM's result shapes.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/log.h"
#include "server/iam/iam_int.h"

#define VALUE_ECHO_MAX 256	/* bytes of a bad value echoed in a message */
#define ITEMS_DEFAULT 100

const struct wk_iam_field wk_iam_f_user_name = {
	"UserName", "userName", 1, 64, WK_IAM_PAT_NAME, true
};
const struct wk_iam_field wk_iam_f_user_name_opt = {
	"UserName", "userName", 1, 64, WK_IAM_PAT_NAME, false
};
const struct wk_iam_field wk_iam_f_existing_user = {
	"UserName", "userName", 1, 128, WK_IAM_PAT_NAME, true
};
const struct wk_iam_field wk_iam_f_existing_user_opt = {
	"UserName", "userName", 1, 128, WK_IAM_PAT_NAME, false
};
const struct wk_iam_field wk_iam_f_group_name = {
	"GroupName", "groupName", 1, 128, WK_IAM_PAT_NAME, true
};
const struct wk_iam_field wk_iam_f_policy_name = {
	"PolicyName", "policyName", 1, 128, WK_IAM_PAT_NAME, true
};
const struct wk_iam_field wk_iam_f_policy_arn = {
	"PolicyArn", "policyArn", 20, 2048, WK_IAM_PAT_ANY, true
};
const struct wk_iam_field wk_iam_f_policy_doc = {
	"PolicyDocument", "policyDocument", 1, 131072, WK_IAM_PAT_DOC, true
};
const struct wk_iam_field wk_iam_f_path = {
	"Path", "path", 1, 512, WK_IAM_PAT_PATH, false
};
const struct wk_iam_field wk_iam_f_path_prefix = {
	"PathPrefix", "pathPrefix", 1, 512, WK_IAM_PAT_PATH_PREFIX, false
};
const struct wk_iam_field wk_iam_f_policy_path = {
	"Path", "path", 1, 512, WK_IAM_PAT_POLICY_PATH, false
};
const struct wk_iam_field wk_iam_f_access_key_id = {
	"AccessKeyId", "accessKeyId", 16, 128, WK_IAM_PAT_WORD, true
};
const struct wk_iam_field wk_iam_f_version_id = {
	"VersionId", "versionId", 0, 0, WK_IAM_PAT_VERSION, true
};

static const char *
pat_text(enum wk_iam_pat pat)
{
	switch (pat) {
	case WK_IAM_PAT_NAME:
		return "[\\w+=,.@-]+";
	case WK_IAM_PAT_WORD:
		return "[\\w]+";
	case WK_IAM_PAT_PATH:
		return "(\\u002F)|(\\u002F[\\u0021-\\u007F]+\\u002F)";
	case WK_IAM_PAT_PATH_PREFIX:
		return "\\u002F[\\u0021-\\u007F]*";
	case WK_IAM_PAT_POLICY_PATH:
		return "((/[A-Za-z0-9\\.,\\+@=_-]+)*)/";
	case WK_IAM_PAT_DOC:
		return "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+";
	case WK_IAM_PAT_MARKER:
		return "[\\u0020-\\u00FF]+";
	case WK_IAM_PAT_VERSION:
		return "v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?";
	case WK_IAM_PAT_TAG:
		return "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*";
	case WK_IAM_PAT_ANY:
		break;
	}
	return "";
}

/*
 * Decodes one UTF-8 code point; false on malformed, overlong or surrogate
 * sequences.
 */
static bool
next_cp(const unsigned char **pp, const unsigned char *end, unsigned long *cp)
{
	const unsigned char *p = *pp;
	unsigned long c, min;
	size_t n, i;

	c = *p++;
	if (c < 0x80) {
		n = 0;
		min = 0;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else
		return false;
	if ((size_t)(end - p) < n)
		return false;
	for (i = 0; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return false;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return false;
	*pp = p + n;
	*cp = c;
	return true;
}

static bool
is_word(unsigned long c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static bool
cp_ok(enum wk_iam_pat pat, unsigned long c)
{
	switch (pat) {
	case WK_IAM_PAT_NAME:
		return is_word(c) ||
		    (c != 0 && strchr("+=,.@-", (int)c) != NULL);
	case WK_IAM_PAT_WORD:
		return is_word(c);
	case WK_IAM_PAT_PATH:
	case WK_IAM_PAT_PATH_PREFIX:
		return c >= 0x21 && c <= 0x7f;
	case WK_IAM_PAT_POLICY_PATH:
		return is_word(c) ||
		    (c != 0 && strchr("/.,+@=-", (int)c) != NULL);
	case WK_IAM_PAT_DOC:
		return c == 0x09 || c == 0x0a || c == 0x0d ||
		    (c >= 0x20 && c <= 0xff);
	case WK_IAM_PAT_MARKER:
		return c >= 0x20 && c <= 0xff;
	case WK_IAM_PAT_VERSION:
		return c < 0x80;
	case WK_IAM_PAT_TAG:
		/* \p{L}, \p{Z}, \p{N}: every non-ASCII letter is let through */
		return is_word(c) || c == ' ' || c >= 0xa0 ||
		    (c != 0 && strchr(".:/=+-@", (int)c) != NULL);
	case WK_IAM_PAT_ANY:
		break;
	}
	return true;
}

/* The whole-value rules of the structured patterns. */
static bool
shape_ok(enum wk_iam_pat pat, const char *v)
{
	size_t len = strlen(v), i;

	switch (pat) {
	case WK_IAM_PAT_PATH:
		return len == 1 ? v[0] == '/' :
		    (len >= 3 && v[0] == '/' && v[len - 1] == '/');
	case WK_IAM_PAT_PATH_PREFIX:
		return len >= 1 && v[0] == '/';
	case WK_IAM_PAT_POLICY_PATH:
		if (len == 0 || v[0] != '/' || v[len - 1] != '/')
			return false;
		for (i = 1; i < len; i++)
			if (v[i] == '/' && v[i - 1] == '/')
				return false;
		return true;
	case WK_IAM_PAT_VERSION:
		if (len < 2 || v[0] != 'v' || v[1] < '1' || v[1] > '9')
			return false;
		for (i = 2; v[i] >= '0' && v[i] <= '9'; i++)
			;
		if (v[i] == '\0')
			return true;
		if (v[i] != '.')
			return false;
		for (i++; v[i] != '\0'; i++)
			if (!is_word(v[i]) && v[i] != '-')
				return false;
		return strchr(v, '_') == NULL;
	case WK_IAM_PAT_NAME:
	case WK_IAM_PAT_WORD:
	case WK_IAM_PAT_DOC:
	case WK_IAM_PAT_MARKER:
		return len >= 1;
	case WK_IAM_PAT_TAG:
	case WK_IAM_PAT_ANY:
		break;
	}
	return true;
}

/* Copies `v` for a message: printable, bounded. */
static void
echo_value(const char *v, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; v[i] != '\0' && o + 4 < outsz && i < VALUE_ECHO_MAX; i++) {
		unsigned char c = (unsigned char)v[i];

		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (v[i] != '\0' && o + 4 < outsz) {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = '\0';
}

static int
validation(struct wk_api_resp *resp, const struct wk_iam_field *f,
    const char *value, const char *constraint)
{
	char echo[VALUE_ECHO_MAX + 8];

	echo_value(value, echo, sizeof(echo));
	return wk_api_error(resp, 400, "ValidationError",
	    "1 validation error detected: Value '%s' at '%s' failed to "
	    "satisfy constraint: Member must %s", echo, f->member, constraint);
}

int
wk_iam_check(struct wk_api_resp *resp, const struct wk_iam_field *f,
    const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	const unsigned char *end = p + strlen(value);
	unsigned long cp;
	size_t nchars = 0;
	bool pat_bad = false;
	char msg[160];

	while (p < end) {
		if (!next_cp(&p, end, &cp)) {
			pat_bad = true;
			break;
		}
		if (!cp_ok(f->pat, cp))
			pat_bad = true;
		nchars++;
	}
	if (nchars < f->min) {
		snprintf(msg, sizeof(msg),
		    "have length greater than or equal to %zu", f->min);
		return validation(resp, f, value, msg);
	}
	if (f->max != 0 && nchars > f->max) {
		snprintf(msg, sizeof(msg),
		    "have length less than or equal to %zu", f->max);
		return validation(resp, f, value, msg);
	}
	if (f->pat != WK_IAM_PAT_ANY && (pat_bad || !shape_ok(f->pat, value))) {
		snprintf(msg, sizeof(msg),
		    "satisfy regular expression pattern: %s", pat_text(f->pat));
		return validation(resp, f, value, msg);
	}
	return 0;
}

int
wk_iam_param(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_iam_field *f, const char **out)
{
	const char *v;
	int r;

	*out = NULL;
	v = req->params != NULL ? wk_params_get(req->params, f->param) : NULL;
	if (v == NULL) {
		if (!f->required)
			return 0;
		return wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value null at '%s' failed "
		    "to satisfy constraint: Member must not be null",
		    f->member);
	}
	if ((r = wk_iam_check(resp, f, v)) != 0)
		return r;
	*out = v;
	return 0;
}

int
wk_iam_refuse_members(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *const *members)
{
	size_t i, k, len;

	if (req->params == NULL)
		return 0;
	for (i = 0; i < req->params->n; i++) {
		const char *name = req->params->v[i].name;

		for (k = 0; members[k] != NULL; k++) {
			len = strlen(members[k]);
			if (strncmp(name, members[k], len) == 0 &&
			    (name[len] == '\0' || name[len] == '.'))
				return wk_api_error(resp, 400, "InvalidInput",
				    "The member %s is not supported by wicket "
				    "(see docs/aws-compat.md).", members[k]);
		}
	}
	return 0;
}

int
wk_iam_param_bool(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *param, const char *member, bool *out)
{
	const char *v;

	v = req->params != NULL ? wk_params_get(req->params, param) : NULL;
	if (v == NULL)
		return 0;
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else {
		char echo[VALUE_ECHO_MAX + 8];

		echo_value(v, echo, sizeof(echo));
		return wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value '%s' at '%s' failed "
		    "to satisfy constraint: Member must be a boolean", echo,
		    member);
	}
	return 0;
}

int
wk_iam_param_list(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *prefix, const char ***out, size_t *n)
{
	const char **v = NULL, **nv;
	const char *val;
	char name[256];
	size_t i, cap = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; req->params != NULL; i++) {
		if ((size_t)snprintf(name, sizeof(name), "%s.member.%zu",
		    prefix, i + 1) >= sizeof(name)) {
			r = WK_ERR_INTERNAL;
			goto out;
		}
		if ((val = wk_params_get(req->params, name)) == NULL)
			break;
		if (i >= WK_IAM_MAX_LIST) {
			r = wk_api_error(resp, 400, "ValidationError",
			    "1 validation error detected: Value at '%s' "
			    "failed to satisfy constraint: Member must have "
			    "length less than or equal to %d", prefix,
			    WK_IAM_MAX_LIST);
			goto out;
		}
		if (i == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			nv = wk_reallocarray(v, cap, sizeof(*v));
			if (nv == NULL) {
				r = WK_ERR_NOMEM;
				goto out;
			}
			v = nv;
		}
		v[i] = val;
	}
	*out = v;
	*n = i;
	v = NULL;
out:
	wk_free(v);
	return r;
}

int
wk_iam_arn(const struct wk_api_req *req, const char *kind, const char *path,
    const char *name, char *out, size_t outsz)
{
	int n;

	n = snprintf(out, outsz, "arn:aws:iam::%s:%s%s%s",
	    req->srv->account_id, kind, path != NULL ? path : "/", name);
	if (n < 0 || (size_t)n >= outsz)
		return WK_ERR_TOOBIG;
	return 0;
}

int
wk_iam_check_policy_arn(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *arn, const char *nf_tail)
{
	const char *p, *acct;
	size_t alen;
	char echo[VALUE_ECHO_MAX + 8];

	echo_value(arn, echo, sizeof(echo));
	if (strncmp(arn, "arn:", 4) != 0 ||
	    (p = strchr(arn + 4, ':')) == NULL ||
	    strncmp(p, ":iam::", 6) != 0)
		return wk_api_error(resp, 400, "InvalidInput",
		    "ARN %s is not valid.", echo);
	acct = p + 6;
	if ((p = strchr(acct, ':')) == NULL)
		return wk_api_error(resp, 400, "InvalidInput",
		    "ARN %s is not valid.", echo);
	alen = (size_t)(p - acct);
	if (strncmp(p + 1, "policy/", 7) != 0 || p[8] == '\0')
		return wk_api_error(resp, 400, "InvalidInput",
		    "ARN %s is not valid.", echo);
	/* This account's policies, and AWS-managed ones ("aws"). */
	if (strncmp(arn, "arn:aws:", 8) != 0 ||
	    !((alen == strlen(req->srv->account_id) &&
	    strncmp(acct, req->srv->account_id, alen) == 0) ||
	    (alen == 3 && strncmp(acct, "aws", 3) == 0)))
		return wk_api_error(resp, 404, "NoSuchEntity", "Policy %s %s",
		    echo, nf_tail);
	return 0;
}

bool
wk_iam_is_aws_managed(const char *arn)
{
	return strncmp(arn, "arn:aws:iam::aws:", 17) == 0;
}

int
wk_iam_user_authz(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *name, struct wk_user *u)
{
	char arn[2048];
	bool found;
	int r;

	if (name == NULL)
		name = req->caller->user.name;
	memset(u, 0, sizeof(*u));
	r = wk_store_user_get(req->srv->store, name, u);
	if (r != 0 && r != WK_ERR_NOTFOUND)
		return r;
	found = r == 0;
	if (found)
		snprintf(arn, sizeof(arn), "%s", u->arn);
	else if ((r = wk_iam_arn(req, "user", "/", name, arn,
	    sizeof(arn))) != 0)
		return r;
	if ((r = wk_api_authorize(req, resp, action, arn, NULL, NULL,
	    NULL)) != 0)
		return r;
	if (!found)
		return wk_api_error(resp, 404, "NoSuchEntity",
		    "The user with name %s cannot be found.", name);
	return 0;
}

int
wk_iam_group_authz(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *name, struct wk_group *g)
{
	char arn[2048];
	bool found;
	int r;

	memset(g, 0, sizeof(*g));
	r = wk_store_group_get(req->srv->store, name, g);
	if (r != 0 && r != WK_ERR_NOTFOUND)
		return r;
	found = r == 0;
	if (found)
		snprintf(arn, sizeof(arn), "%s", g->arn);
	else if ((r = wk_iam_arn(req, "group", "/", name, arn,
	    sizeof(arn))) != 0)
		return r;
	if ((r = wk_api_authorize(req, resp, action, arn, NULL, NULL,
	    NULL)) != 0)
		return r;
	if (!found)
		return wk_api_error(resp, 404, "NoSuchEntity",
		    "The group with name %s cannot be found.", name);
	return 0;
}

int
wk_iam_policy_authz(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *arn, struct wk_managed_policy *p,
    const char *nf_tail)
{
	bool found;
	int r;

	memset(p, 0, sizeof(*p));
	r = wk_store_policy_get(req->srv->store, arn, p);
	if (r != 0 && r != WK_ERR_NOTFOUND)
		return r;
	found = r == 0;
	if ((r = wk_api_authorize(req, resp, action, arn, NULL, NULL,
	    NULL)) != 0)
		return r;
	if (!found)
		return wk_api_error(resp, 404, "NoSuchEntity", "Policy %s %s",
		    arn, nf_tail);
	return 0;
}

/* Copies s with anything but printable ASCII other than '"' as '?'. */
static void
log_safe(char *out, size_t outsz, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outsz; i++)
		out[i] = (s[i] > ' ' && s[i] < 0x7f && s[i] != '"') ? s[i] :
		    '?';
	out[i] = '\0';
}

#define LINT_LOG_MAX 16		/* warning lines per document */

/*
 * IAM accepts a condition on a key the action can never have, and so do
 * we; but the operator hears of it (IAM Access Analyzer's checks): one
 * warning line per finding, at most LINT_LOG_MAX, then a count.
 */
static void
lint_log(const struct wk_api_req *req, const char *action,
    const struct wk_policy *pol)
{
	struct wk_lint_finding f[LINT_LOG_MAX];
	char key[260], pact[132];
	size_t n = 0, i;

	if (wk_policy_lint(pol, f, LINT_LOG_MAX, &n) != 0 || n == 0)
		return;
	for (i = 0; i < n && i < LINT_LOG_MAX; i++) {
		log_safe(key, sizeof(key), f[i].key);
		log_safe(pact, sizeof(pact), f[i].action);
		wk_log(WK_LOG_WARN, "policy_lint", "request_id=%s caller=%s "
		    "action=%s statement=%d policy_action=%s key=%s "
		    "why=\"%s\"", req->request_id != NULL ? req->request_id :
		    "-", req->caller != NULL ? req->caller->user.arn : "-",
		    action, f[i].statement, pact, key, wk_lint_why(f[i].why));
	}
	if (n > LINT_LOG_MAX)
		wk_log(WK_LOG_WARN, "policy_lint", "request_id=%s action=%s "
		    "findings=%zu (first %d logged)", req->request_id != NULL ?
		    req->request_id : "-", action, n, LINT_LOG_MAX);
}

int
wk_iam_check_policy_doc(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *action, const char *doc,
    size_t max_chars, const char *toobig_msg)
{
	struct wk_policy *pol = NULL;
	char err[512];
	int r;

	err[0] = '\0';
	r = wk_policy_parse(wk_span_from_cstr(doc), max_chars, &pol, err,
	    sizeof(err));
	if (r == 0)
		lint_log(req, action, pol);
	wk_policy_free(pol);
	if (r == WK_ERR_TOOBIG)
		return wk_api_error(resp, 409, "LimitExceeded", "%s",
		    toobig_msg);
	if (r == WK_ERR_INVAL)
		return wk_api_error(resp, 400, "MalformedPolicyDocument",
		    "%s", err[0] != '\0' ? err : "Syntax errors in policy.");
	return r;
}

int
wk_iam_store_err(struct wk_api_resp *resp, int r,
    const struct wk_iam_errmsg *m)
{
	switch (r) {
	case WK_ERR_NOTFOUND:
		return wk_api_error(resp, 404, "NoSuchEntity", "%s",
		    m != NULL && m->notfound != NULL ? m->notfound :
		    "The entity cannot be found.");
	case WK_ERR_EXISTS:
		return wk_api_error(resp, 409, "EntityAlreadyExists", "%s",
		    m != NULL && m->exists != NULL ? m->exists :
		    "The entity already exists.");
	case WK_ERR_CONFLICT:
		return wk_api_error(resp, 409, "DeleteConflict", "%s",
		    m != NULL && m->conflict != NULL ? m->conflict :
		    "Cannot delete entity, must remove dependent entities "
		    "first.");
	case WK_ERR_LIMIT:
		return wk_api_error(resp, 409, "LimitExceeded", "%s",
		    m != NULL && m->limit != NULL ? m->limit :
		    "Cannot exceed quota.");
	default:
		return r;
	}
}

int
wk_iam_page_params(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct wk_iam_page *pg)
{
	static const struct wk_iam_field marker = {
		"Marker", "marker", 1, 320, WK_IAM_PAT_MARKER, false
	};
	const char *v;
	uint64_t n;
	char echo[VALUE_ECHO_MAX + 8];
	int r;

	memset(pg, 0, sizeof(*pg));
	pg->max_items = ITEMS_DEFAULT;
	if ((r = wk_iam_param(req, resp, &marker, &pg->marker)) != 0)
		return r;
	v = req->params != NULL ? wk_params_get(req->params, "MaxItems") :
	    NULL;
	if (v == NULL)
		return 0;
	echo_value(v, echo, sizeof(echo));
	if (wk_cstr_to_u64(v, UINT64_MAX, &n) != 0)
		return wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value '%s' at 'maxItems' "
		    "failed to satisfy constraint: Member must be an integer",
		    echo);
	if (n < 1)
		return wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value '%s' at 'maxItems' "
		    "failed to satisfy constraint: Member must have value "
		    "greater than or equal to 1", echo);
	if (n > 1000)
		return wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value '%s' at 'maxItems' "
		    "failed to satisfy constraint: Member must have value "
		    "less than or equal to 1000", echo);
	pg->max_items = (size_t)n;
	return 0;
}

int
wk_iam_page_slice(struct wk_api_resp *resp, struct wk_iam_page *pg,
    size_t total)
{
	uint64_t start = 0;

	if (pg->marker != NULL &&
	    wk_cstr_to_u64(pg->marker, total, &start) != 0)
		return wk_api_error(resp, 400, "InvalidInput",
		    "Invalid Marker.");
	pg->start = (size_t)start;
	pg->end = total - pg->start > pg->max_items ?
	    pg->start + pg->max_items : total;
	pg->truncated = pg->end < total;
	snprintf(pg->next, sizeof(pg->next), "%zu", pg->end);
	return 0;
}

int
wk_iam_page_write(struct wk_buf *b, bool truncated, const char *marker)
{
	int r;

	if ((r = wk_xml_bool(b, "IsTruncated", truncated)) != 0)
		return r;
	if (truncated && marker != NULL)
		r = wk_xml_text(b, "Marker", marker);
	return r;
}

int
wk_iam_xml_user(struct wk_buf *b, const char *tag, const struct wk_user *u,
    const struct wk_tag *tags, size_t ntags)
{
	size_t i;
	int r;

	if ((r = wk_xml_open(b, tag)) != 0 ||
	    (r = wk_xml_text(b, "Path", u->path)) != 0 ||
	    (r = wk_xml_text(b, "UserName", u->name)) != 0 ||
	    (r = wk_xml_text(b, "UserId", u->id)) != 0 ||
	    (r = wk_xml_text(b, "Arn", u->arn)) != 0 ||
	    (r = wk_xml_time(b, "CreateDate", u->create_date)) != 0)
		return r;
	if (u->password_last_used != 0 &&
	    (r = wk_xml_time(b, "PasswordLastUsed",
	    u->password_last_used)) != 0)
		return r;
	if (ntags > 0) {
		if ((r = wk_xml_open(b, "Tags")) != 0)
			return r;
		for (i = 0; i < ntags; i++) {
			if ((r = wk_xml_open(b, "member")) != 0 ||
			    (r = wk_xml_text(b, "Key", tags[i].key)) != 0 ||
			    (r = wk_xml_text(b, "Value",
			    tags[i].value)) != 0 ||
			    (r = wk_xml_close(b, "member")) != 0)
				return r;
		}
		if ((r = wk_xml_close(b, "Tags")) != 0)
			return r;
	}
	return wk_xml_close(b, tag);
}

int
wk_iam_xml_group(struct wk_buf *b, const char *tag, const struct wk_group *g)
{
	int r;

	if ((r = wk_xml_open(b, tag)) != 0 ||
	    (r = wk_xml_text(b, "Path", g->path)) != 0 ||
	    (r = wk_xml_text(b, "GroupName", g->name)) != 0 ||
	    (r = wk_xml_text(b, "GroupId", g->id)) != 0 ||
	    (r = wk_xml_text(b, "Arn", g->arn)) != 0 ||
	    (r = wk_xml_time(b, "CreateDate", g->create_date)) != 0)
		return r;
	return wk_xml_close(b, tag);
}

int
wk_iam_xml_policy(struct wk_buf *b, const char *tag,
    const struct wk_managed_policy *p, bool full)
{
	int r;

	if ((r = wk_xml_open(b, tag)) != 0 ||
	    (r = wk_xml_text(b, "PolicyName", p->name)) != 0 ||
	    (r = wk_xml_text(b, "PolicyId", p->id)) != 0 ||
	    (r = wk_xml_text(b, "Arn", p->arn)) != 0 ||
	    (r = wk_xml_text(b, "Path", p->path)) != 0 ||
	    (r = wk_xml_text(b, "DefaultVersionId",
	    p->default_version)) != 0 ||
	    (r = wk_xml_int(b, "AttachmentCount", p->attachment_count)) != 0 ||
	    (r = wk_xml_int(b, "PermissionsBoundaryUsageCount", 0)) != 0 ||
	    (r = wk_xml_bool(b, "IsAttachable", true)) != 0)
		return r;
	if (full && p->description[0] != '\0' &&
	    (r = wk_xml_text(b, "Description", p->description)) != 0)
		return r;
	if ((r = wk_xml_time(b, "CreateDate", p->create_date)) != 0 ||
	    (r = wk_xml_time(b, "UpdateDate", p->update_date)) != 0)
		return r;
	return wk_xml_close(b, tag);
}

int
wk_iam_xml_doc(struct wk_buf *b, const char *tag, const char *doc)
{
	struct wk_buf enc;
	int r;

	wk_buf_init(&enc, 4 * 1024 * 1024);
	if ((r = wk_uri_encode(&enc, wk_span_from_cstr(doc), true)) != 0)
		goto out;
	r = wk_xml_text(b, tag, wk_buf_cstr(&enc));
out:
	wk_buf_cleanup(&enc);
	return r;
}

int
wk_iam_load_owner(const struct wk_api_req *req, struct wk_api_resp *resp,
    bool group, const struct wk_iam_field *user_field, const char *action,
    char *name, size_t namesz)
{
	struct wk_user u;
	struct wk_group g;
	const char *v;
	int r;

	if (group) {
		if ((r = wk_iam_param(req, resp, &wk_iam_f_group_name,
		    &v)) != 0 ||
		    (r = wk_iam_group_authz(req, resp, action, v, &g)) != 0)
			return r;
		snprintf(name, namesz, "%s", g.name);
	} else {
		if ((r = wk_iam_param(req, resp, user_field, &v)) != 0 ||
		    (r = wk_iam_user_authz(req, resp, action, v, &u)) != 0)
			return r;
		snprintf(name, namesz, "%s", u.name);
	}
	return 0;
}
