/*
 * iam_login.c - console passwords: CreateLoginProfile, GetLoginProfile,
 * UpdateLoginProfile, DeleteLoginProfile. Passwords are stored as encoded
 * Argon2id hashes (libargon2), checked against IAM's default password
 * policy first.
 */
#ifdef WK_HAVE_ARGON2
#include <argon2.h>
#endif
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rand.h"
#include "server/console/console.h"
#include "server/iam/iam_int.h"

/* OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. */
#define PW_T_COST 2
#define PW_M_COST_KIB 19456
#define PW_PARALLELISM 1
#define PW_SALT_LEN 16
#define PW_HASH_LEN 32
#define PW_MAX 128

/*
 * libargon2 is used when the build links it and defines WK_HAVE_ARGON2
 * (CMake: pkg_check_modules(ARGON2 ... libargon2), PkgConfig::ARGON2 and
 * the definition on wk_server). Without it, console passwords cannot be
 * set: CreateLoginProfile/UpdateLoginProfile answer ServiceFailure.
 */

static int
hash_password(struct wk_api_resp *resp, const char *pw, char *out,
    size_t outsz)
{
#ifdef WK_HAVE_ARGON2
	uint8_t salt[PW_SALT_LEN];
	int r;

	(void)resp;
	if ((r = wk_random_bytes(salt, sizeof(salt))) != 0)
		return r;
	if (argon2id_hash_encoded(PW_T_COST, PW_M_COST_KIB, PW_PARALLELISM,
	    pw, strlen(pw), salt, sizeof(salt), PW_HASH_LEN, out,
	    outsz) != ARGON2_OK)
		return WK_ERR_CRYPTO;
	return 0;
#else
	(void)pw;
	(void)out;
	(void)outsz;
	return wk_api_error(resp, 500, "ServiceFailure", "Console passwords "
	    "are not available: this wicketd was built without libargon2.");
#endif
}

/*
 * The password parameter: IAM's pattern and length (the value is never
 * echoed), then the default password policy: 8 characters or more and
 * three of upper case, lower case, digits and symbols.
 */
static int
check_password(struct wk_api_resp *resp, const char *pw, const char *user)
{
	const unsigned char *p;
	size_t len = 0;
	int upper = 0, lower = 0, digit = 0, other = 0;

	for (p = (const unsigned char *)pw; *p != '\0'; p++, len++) {
		if (!(*p == '\t' || *p == '\n' || *p == '\r' || *p >= 0x20))
			return wk_api_error(resp, 400, "ValidationError",
			    "1 validation error detected: Value at 'password' "
			    "failed to satisfy constraint: Member must satisfy "
			    "regular expression pattern: "
			    "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
		if (*p >= 'A' && *p <= 'Z')
			upper = 1;
		else if (*p >= 'a' && *p <= 'z')
			lower = 1;
		else if (*p >= '0' && *p <= '9')
			digit = 1;
		else
			other = 1;
	}
	if (len < 1 || len > PW_MAX)
		return wk_api_error(resp, 400, "ValidationError",
		    "1 validation error detected: Value at 'password' failed "
		    "to satisfy constraint: Member must have length %s",
		    len < 1 ? "greater than or equal to 1" :
		    "less than or equal to 128");
	if (len < 8 || upper + lower + digit + other < 3 ||
	    strcmp(pw, user) == 0)
		return wk_api_error(resp, 400, "PasswordPolicyViolation",
		    "Password should have a minimum length of 8 and contain "
		    "three of: upper case letters, lower case letters, "
		    "numbers, symbols.");
	return 0;
}

static int
write_profile(struct wk_buf *b, const struct wk_login_profile *lp)
{
	int r;

	if ((r = wk_xml_open(b, "LoginProfile")) != 0 ||
	    (r = wk_xml_text(b, "UserName", lp->user_name)) != 0 ||
	    (r = wk_xml_time(b, "CreateDate", lp->create_date)) != 0 ||
	    (r = wk_xml_bool(b, "PasswordResetRequired",
	    lp->reset_required)) != 0)
		return r;
	return wk_xml_close(b, "LoginProfile");
}

static int
profile_err(struct wk_api_resp *resp, int r, const char *user)
{
	char nf[160], ex[160];

	snprintf(nf, sizeof(nf), "Login Profile for User %s cannot be found.",
	    user);
	snprintf(ex, sizeof(ex), "Login Profile for user %s already exists.",
	    user);
	return wk_iam_store_err(resp, r,
	    &(struct wk_iam_errmsg){ .notfound = nf, .exists = ex });
}

/* Session-duration limits for console sign-in: not implemented here. */
static const char *const unsupported[] = { "MaxSigninSessionDuration",
	"ResetMaxSigninSessionDuration", NULL };

static int
create_login_profile(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	static const struct wk_iam_field f_pw = {
		"Password", "password", 0, 0, WK_IAM_PAT_ANY, true
	};
	struct wk_login_profile lp;
	struct wk_user u;
	const char *name, *pw;
	bool reset = false;
	int r;

	memset(&lp, 0, sizeof(lp));
	if ((r = wk_iam_refuse_members(req, resp, unsupported)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_user_name, &name)) != 0 ||
	    (r = wk_iam_param(req, resp, &f_pw, &pw)) != 0 ||
	    (r = wk_iam_param_bool(req, resp, "PasswordResetRequired",
	    "passwordResetRequired", &reset)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:CreateLoginProfile", name,
	    &u)) != 0 ||
	    (r = check_password(resp, pw, u.name)) != 0)
		goto out;
	snprintf(lp.user_name, sizeof(lp.user_name), "%s", u.name);
	lp.reset_required = reset;
	lp.create_date = req->now;
	if ((r = hash_password(resp, pw, lp.password_hash,
	    sizeof(lp.password_hash))) != 0)
		goto out;
	if ((r = wk_store_login_profile_put(req->srv->store, &lp,
	    true)) != 0) {
		r = profile_err(resp, r, u.name);
		goto out;
	}
	/* a new password: no console session of before lives on */
	wk_console_end_user(req->srv->store, u.id);
	r = write_profile(&resp->xml, &lp);
out:
	wk_explicit_bzero(&lp, sizeof(lp));
	return r;
}

static int
get_login_profile(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_login_profile lp;
	struct wk_user u;
	const char *name;
	int r;

	memset(&lp, 0, sizeof(lp));
	if ((r = wk_iam_param(req, resp, &wk_iam_f_user_name, &name)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:GetLoginProfile", name,
	    &u)) != 0)
		goto out;
	if ((r = wk_store_login_profile_get(req->srv->store, u.name,
	    &lp)) != 0) {
		r = profile_err(resp, r, u.name);
		goto out;
	}
	r = write_profile(&resp->xml, &lp);
out:
	wk_explicit_bzero(&lp, sizeof(lp));
	return r;
}

static int
update_login_profile(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	static const struct wk_iam_field f_pw = {
		"Password", "password", 0, 0, WK_IAM_PAT_ANY, false
	};
	struct wk_login_profile lp;
	struct wk_user u;
	const char *name, *pw;
	bool reset;
	int r;

	memset(&lp, 0, sizeof(lp));
	if ((r = wk_iam_refuse_members(req, resp, unsupported)) != 0 ||
	    (r = wk_iam_param(req, resp, &wk_iam_f_user_name, &name)) != 0 ||
	    (r = wk_iam_param(req, resp, &f_pw, &pw)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:UpdateLoginProfile", name,
	    &u)) != 0)
		goto out;
	if ((r = wk_store_login_profile_get(req->srv->store, u.name,
	    &lp)) != 0) {
		r = profile_err(resp, r, u.name);
		goto out;
	}
	reset = lp.reset_required;
	if ((r = wk_iam_param_bool(req, resp, "PasswordResetRequired",
	    "passwordResetRequired", &reset)) != 0)
		goto out;
	lp.reset_required = reset;
	if (pw != NULL) {
		if ((r = check_password(resp, pw, u.name)) != 0 ||
		    (r = hash_password(resp, pw, lp.password_hash,
		    sizeof(lp.password_hash))) != 0)
			goto out;
	}
	if ((r = wk_store_login_profile_put(req->srv->store, &lp,
	    false)) != 0)
		r = profile_err(resp, r, u.name);
	else if (pw != NULL)
		wk_console_end_user(req->srv->store,
		    u.id);	/* the password changed */
out:
	wk_explicit_bzero(&lp, sizeof(lp));
	return r;
}

static int
delete_login_profile(const struct wk_api_req *req, struct wk_api_resp *resp)
{
	struct wk_user u;
	const char *name;
	int r;

	if ((r = wk_iam_param(req, resp, &wk_iam_f_user_name, &name)) != 0 ||
	    (r = wk_iam_user_authz(req, resp, "iam:DeleteLoginProfile", name,
	    &u)) != 0)
		return r;
	if ((r = wk_store_login_profile_delete(req->srv->store, u.name)) != 0)
		r = profile_err(resp, r, u.name);
	else
		wk_console_end_user(req->srv->store, u.id);
	return r;
}

const struct wk_api_action wk_iam_create_login_profile = {
	.name = "CreateLoginProfile", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = create_login_profile,
};
const struct wk_api_action wk_iam_get_login_profile = {
	.name = "GetLoginProfile", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = get_login_profile,
};
const struct wk_api_action wk_iam_update_login_profile = {
	.name = "UpdateLoginProfile", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = update_login_profile,
};
const struct wk_api_action wk_iam_delete_login_profile = {
	.name = "DeleteLoginProfile", .protocol = WK_PROTO_QUERY_IAM,
	.body_max = WK_IAM_BODY_MAX, .handle = delete_login_profile,
};
