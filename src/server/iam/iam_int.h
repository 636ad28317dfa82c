/*
 * iam_int.h - helpers shared by the IAM Query API handlers (iam_*.c):
 * parameter validation with IAM's constraints and AWS's ValidationError
 * text, ARNs, the XML of IAM's result shapes, store-error mapping,
 * pagination. Internal to src/server.
 */
#ifndef WK_SERVER_IAM_INT_H
#define WK_SERVER_IAM_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "server/api/api.h"

#define WK_IAM_BODY_MAX (64 * 1024)
/* Policy documents (131072 characters) travel form-encoded. */
#define WK_IAM_BODY_MAX_POLICY (1024 * 1024)
#define WK_IAM_MAX_LIST 1000	/* list parameters (Name.member.N) */

/* The character classes of IAM's parameter patterns. */
enum wk_iam_pat {
	WK_IAM_PAT_ANY = 0,	/* no pattern */
	WK_IAM_PAT_NAME,	/* [\w+=,.@-]+ */
	WK_IAM_PAT_WORD,	/* [\w]+ (ids, access key ids) */
	WK_IAM_PAT_PATH,	/* (\u002F)|(\u002F[\u0021-\u007F]+\u002F) */
	WK_IAM_PAT_PATH_PREFIX,	/* \u002F[\u0021-\u007F]* */
	WK_IAM_PAT_POLICY_PATH,	/* ((/[A-Za-z0-9\.,\+@=_-]+)*)/ */
	WK_IAM_PAT_DOC,		/* [\u0009\u000A\u000D\u0020-\u00FF]+ */
	WK_IAM_PAT_MARKER,	/* [\u0020-\u00FF]+ */
	WK_IAM_PAT_VERSION,	/* v[1-9][0-9]*(\.[A-Za-z0-9-]*)? */
	WK_IAM_PAT_TAG,		/* [\p{L}\p{Z}\p{N}_.:/=+\-@]* */
};

/* One request parameter and its constraints. */
struct wk_iam_field {
	const char *param;	/* "UserName" (Query name) */
	const char *member;	/* "userName", as AWS's messages name it */
	size_t min;		/* characters */
	size_t max;		/* characters; 0 = no maximum */
	enum wk_iam_pat pat;
	bool required;
};

/* Field definitions used by several handlers. */
extern const struct wk_iam_field wk_iam_f_user_name;		/* 1-64 */
extern const struct wk_iam_field wk_iam_f_user_name_opt;	/* optional */
extern const struct wk_iam_field wk_iam_f_existing_user;	/* 1-128 */
extern const struct wk_iam_field wk_iam_f_existing_user_opt;
extern const struct wk_iam_field wk_iam_f_group_name;
extern const struct wk_iam_field wk_iam_f_policy_name;
extern const struct wk_iam_field wk_iam_f_policy_arn;
extern const struct wk_iam_field wk_iam_f_policy_doc;
extern const struct wk_iam_field wk_iam_f_path;
extern const struct wk_iam_field wk_iam_f_path_prefix;
extern const struct wk_iam_field wk_iam_f_policy_path;
extern const struct wk_iam_field wk_iam_f_access_key_id;
extern const struct wk_iam_field wk_iam_f_version_id;

/*
 * Reads and validates one parameter. *out is NULL when an optional
 * parameter is absent. On a violation sets ValidationError (400) and
 * returns WK_ERR_INVAL.
 */
int wk_iam_param(const struct wk_api_req *req, struct wk_api_resp *resp,
    const struct wk_iam_field *f, const char **out);
/*
 * Refuses members of AWS's model that wicketd does not implement (NULL-
 * terminated list of top-level Query names, e.g. "PermissionsBoundary"):
 * when the request has one (as NAME or NAME.anything), InvalidInput 400
 * naming it, so a caller never believes an ignored member took effect.
 */
int wk_iam_refuse_members(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *const *members);
/* Validates a value already read (e.g. a list member). */
int wk_iam_check(struct wk_api_resp *resp, const struct wk_iam_field *f,
    const char *value);
/* Optional boolean "true"/"false"; *out unchanged when absent. */
int wk_iam_param_bool(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *param, const char *member, bool *out);
/*
 * Collects a list parameter `prefix.member.N` (N = 1, 2, ... without
 * gaps) into *out (array of borrowed pointers, free with wk_free).
 */
int wk_iam_param_list(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *prefix, const char ***out, size_t *n);

/*
 * Reads Tags.member.N.Key/Value (at most 50, IAM's tag constraints) into
 * a new array (wk_free). *n is 0 and *out NULL when none are given.
 */
int wk_iam_param_tags(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct wk_tag **out, size_t *n);

/* ---- ARNs ---- */
/* arn:aws:iam::ACCOUNT:<kind>PATHNAME, kind "user", "group", "policy" */
int wk_iam_arn(const struct wk_api_req *req, const char *kind,
    const char *path, const char *name, char *out, size_t outsz);
/*
 * Checks that `arn` names a policy of this account or an AWS-managed one
 * (arn:aws:iam::aws:policy/...); NoSuchEntity for a well-formed ARN of
 * another account, InvalidInput if malformed.
 * nf_tail: the end of the NoSuchEntity message "Policy ARN <nf_tail>",
 * e.g. "was not found."
 */
int wk_iam_check_policy_arn(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *arn, const char *nf_tail);

/* True for arn:aws:iam::aws:policy/... (read-only here). */
bool wk_iam_is_aws_managed(const char *arn);

/* ---- loading an entity and authorizing the action on it ---- */
/*
 * Loads user `name` (NULL: the caller), authorizes `action` on its ARN
 * (or on the ARN it would have when absent), then NoSuchEntity when it
 * does not exist. 0 only when authorized and found.
 */
int wk_iam_user_authz(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *name, struct wk_user *u);
int wk_iam_group_authz(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *name, struct wk_group *g);
/*
 * Reads the UserName (with user_field: AWS's userNameType or
 * existingUserNameType) or GroupName parameter, loads the entity and
 * authorizes `action` on it; writes its stored name to name.
 */
int wk_iam_load_owner(const struct wk_api_req *req, struct wk_api_resp *resp,
    bool group, const struct wk_iam_field *user_field, const char *action,
    char *name, size_t namesz);
/* For a policy ARN (validated with wk_iam_check_policy_arn first). */
int wk_iam_policy_authz(const struct wk_api_req *req, struct wk_api_resp *resp,
    const char *action, const char *arn, struct wk_managed_policy *p,
    const char *nf_tail);

/*
 * Validates a policy document with the policy engine: syntax and grammar
 * -> MalformedPolicyDocument 400; over max_chars -> LimitExceeded 409
 * with toobig_msg. max_chars 0 = managed policy limit. A valid document
 * with conditions on keys its actions can never have is accepted (as IAM
 * does), and each finding of the policy lint is logged as a warning
 * naming `action` (the call writing the policy).
 */
int wk_iam_check_policy_doc(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *action, const char *doc,
    size_t max_chars, const char *toobig_msg);

/*
 * Maps a store error to IAM's: NOTFOUND -> NoSuchEntity 404,
 * EXISTS -> EntityAlreadyExists 409, CONFLICT -> DeleteConflict 409,
 * LIMIT -> LimitExceeded 409, each with the message given (NULL: a
 * generic one). Other codes are returned unchanged (ServiceFailure).
 */
struct wk_iam_errmsg {
	const char *notfound;
	const char *exists;
	const char *conflict;
	const char *limit;
};
int wk_iam_store_err(struct wk_api_resp *resp, int r,
    const struct wk_iam_errmsg *m);

/* ---- pagination ---- */
struct wk_iam_page {
	const char *marker;	/* as given, NULL when absent */
	size_t max_items;	/* 1..1000, 100 by default */
	size_t start, end;	/* in-memory lists: [start, end) */
	bool truncated;
	char next[32];		/* in-memory lists: the next Marker */
};
/* Reads Marker and MaxItems. */
int wk_iam_page_params(const struct wk_api_req *req, struct wk_api_resp *resp,
    struct wk_iam_page *pg);
/* For a list held in memory: chooses [start, end) of `total` items. */
int wk_iam_page_slice(struct wk_api_resp *resp, struct wk_iam_page *pg,
    size_t total);
/* <IsTruncated>..</IsTruncated> and, when truncated, <Marker>. */
int wk_iam_page_write(struct wk_buf *b, bool truncated, const char *marker);

/* ---- statement positions (iam_stmtpos.c) ---- */
struct wk_iam_pos {
	int line;	/* 1-based */
	int column;	/* 1-based, in bytes */
};
/*
 * The first and last character of statement `index` (0-based; a single
 * Statement object is index 0) in a policy document. NOTFOUND when the
 * text has no such statement.
 */
int wk_iam_statement_position(const char *doc, int index,
    struct wk_iam_pos *start, struct wk_iam_pos *end);

/* ---- the XML of IAM's shapes ---- */
/* tags NULL/0: no <Tags> element */
int wk_iam_xml_user(struct wk_buf *b, const char *tag, const struct wk_user *u,
    const struct wk_tag *tags, size_t ntags);
int wk_iam_xml_group(struct wk_buf *b, const char *tag,
    const struct wk_group *g);
/* full: GetPolicy/CreatePolicy (with Description when set) */
int wk_iam_xml_policy(struct wk_buf *b, const char *tag,
    const struct wk_managed_policy *p, bool full);
/* <tag>url-encoded document</tag>, as IAM returns policy documents */
int wk_iam_xml_doc(struct wk_buf *b, const char *tag, const char *doc);

/* ---- the actions (one const struct each, listed in iam_actions.c) ---- */
extern const struct wk_api_action wk_iam_attach_user_policy;
extern const struct wk_api_action wk_iam_detach_user_policy;
extern const struct wk_api_action wk_iam_list_attached_user_policies;
extern const struct wk_api_action wk_iam_attach_group_policy;
extern const struct wk_api_action wk_iam_detach_group_policy;
extern const struct wk_api_action wk_iam_list_attached_group_policies;
extern const struct wk_api_action wk_iam_create_group;
extern const struct wk_api_action wk_iam_get_group;
extern const struct wk_api_action wk_iam_list_groups;
extern const struct wk_api_action wk_iam_delete_group;
extern const struct wk_api_action wk_iam_add_user_to_group;
extern const struct wk_api_action wk_iam_remove_user_from_group;
extern const struct wk_api_action wk_iam_list_groups_for_user;
extern const struct wk_api_action wk_iam_put_user_policy;
extern const struct wk_api_action wk_iam_get_user_policy;
extern const struct wk_api_action wk_iam_list_user_policies;
extern const struct wk_api_action wk_iam_delete_user_policy;
extern const struct wk_api_action wk_iam_put_group_policy;
extern const struct wk_api_action wk_iam_get_group_policy;
extern const struct wk_api_action wk_iam_list_group_policies;
extern const struct wk_api_action wk_iam_delete_group_policy;
extern const struct wk_api_action wk_iam_create_access_key;
extern const struct wk_api_action wk_iam_list_access_keys;
extern const struct wk_api_action wk_iam_update_access_key;
extern const struct wk_api_action wk_iam_delete_access_key;
extern const struct wk_api_action wk_iam_get_access_key_last_used;
extern const struct wk_api_action wk_iam_create_login_profile;
extern const struct wk_api_action wk_iam_get_login_profile;
extern const struct wk_api_action wk_iam_update_login_profile;
extern const struct wk_api_action wk_iam_delete_login_profile;
extern const struct wk_api_action wk_iam_create_policy;
extern const struct wk_api_action wk_iam_get_policy;
extern const struct wk_api_action wk_iam_list_policies;
extern const struct wk_api_action wk_iam_delete_policy;
extern const struct wk_api_action wk_iam_list_entities_for_policy;
extern const struct wk_api_action wk_iam_create_policy_version;
extern const struct wk_api_action wk_iam_get_policy_version;
extern const struct wk_api_action wk_iam_list_policy_versions;
extern const struct wk_api_action wk_iam_delete_policy_version;
extern const struct wk_api_action wk_iam_set_default_policy_version;
extern const struct wk_api_action wk_iam_simulate_principal_policy;
extern const struct wk_api_action wk_iam_simulate_custom_policy;
extern const struct wk_api_action wk_iam_tag_user;
extern const struct wk_api_action wk_iam_untag_user;
extern const struct wk_api_action wk_iam_list_user_tags;
extern const struct wk_api_action wk_iam_create_user;
extern const struct wk_api_action wk_iam_get_user;
extern const struct wk_api_action wk_iam_list_users;
extern const struct wk_api_action wk_iam_update_user;
extern const struct wk_api_action wk_iam_delete_user;

/*
 * iam_revoke.c: revokes the pushes of user `name`, or of every member of
 * group `name` (docs/revocation.md); `reason` is the IAM action. Failures
 * are logged: the IAM change itself has happened.
 */
void wk_iam_revoke_owner(const struct wk_api_req *req, bool group,
    const char *name, const char *reason);

#endif
