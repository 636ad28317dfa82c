/*
 * policy.h - the IAM policy language: grammar (checked on every write) and
 * evaluation of identity-based policies in one account, as AWS documents it.
 *
 * Evaluation: every statement of every policy given is matched against the
 * request; an explicit Deny wins over any Allow; no matching Allow is an
 * implicit deny.
 *
 * Semantics follow the IAM User Guide: actions match ASCII
 * case-insensitively, resources case-sensitively and ARN segment by
 * segment; several values of one condition key are ORed (NOR for negated
 * operators); a condition key absent from the request makes the condition
 * false, except negated operators (true), ...IfExists (true), Null,
 * ForAllValues (true) and ForAnyValue (false; both ignore IfExists).
 * Policy variables (2012-10-17 only) are substituted in Resource/NotResource
 * and in String and Arn condition values; substituted text is literal; a
 * variable whose key is absent (and has no default) makes that one value
 * match nothing: a positive operator finds no match in it, a negated one
 * holds against it, and as a NotResource entry it excludes nothing (IAM
 * User Guide, "Policy variables with no value").
 */
#ifndef WK_IAM_POLICY_H
#define WK_IAM_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

/* IAM's limits (characters, whitespace not counted, as IAM counts). */
#define WK_POLICY_MAX_MANAGED 6144
#define WK_POLICY_MAX_INLINE_USER 2048
#define WK_POLICY_MAX_INLINE_GROUP 5120
#define WK_POLICY_MAX_JSON_DEPTH 16

struct wk_policy;	/* a parsed, validated policy document (immutable) */

/*
 * Parses and validates a policy document. On WK_ERR_INVAL, `err` holds
 * IAM's MalformedPolicyDocument message (e.g. "Syntax errors in policy.",
 * "Policy document should not specify a principal.",
 * "The policy failed legacy parsing", "Invalid Version...").
 * max_chars is the size limit to enforce (WK_ERR_TOOBIG -> LimitExceeded);
 * 0 means WK_POLICY_MAX_MANAGED.
 */
int wk_policy_parse(struct wk_span json, size_t max_chars,
    struct wk_policy **out, char *err, size_t errlen);
void wk_policy_free(struct wk_policy *p);	/* NULL-safe */
/* IAM's size count for a document: characters excluding whitespace. */
size_t wk_policy_size(struct wk_span json);

/*
 * The request context: condition keys with one or more string values.
 * Keys are matched case-insensitively. Typed operators (Numeric, Date, Bool,
 * IpAddress, Arn, Binary) interpret the strings.
 */
struct wk_ctx;
int wk_ctx_new(struct wk_ctx **out);
void wk_ctx_free(struct wk_ctx *c);	/* NULL-safe */
/* Adds a value; call again with the same key for a multi-valued key.
 * WK_ERR_INVAL (empty key), WK_ERR_TOOBIG (key > 256, value > 8192 bytes),
 * WK_ERR_LIMIT (> 256 keys or > 256 values for a key), WK_ERR_NOMEM. */
int wk_ctx_add(struct wk_ctx *c, const char *key, const char *value);
/* Number of values for key (0 when absent); value i via *out. */
size_t wk_ctx_count(const struct wk_ctx *c, const char *key);
const char *wk_ctx_get(const struct wk_ctx *c, const char *key, size_t i);
/* The i-th key of c (lower case, in insertion order), NULL when i is past
 * the last key: with wk_ctx_count/wk_ctx_get, walks a whole context. */
const char *wk_ctx_key(const struct wk_ctx *c, size_t i);
/*
 * Appends every value of every key of src to dst (a key dst already has
 * gets src's values after its own). src NULL: nothing to do.
 * WK_ERR_INVAL (dst NULL, or dst == src), WK_ERR_LIMIT (the result would
 * exceed the key or per-key value ceiling; dst is then unchanged),
 * WK_ERR_NOMEM (dst may then hold part of src: discard it).
 */
int wk_ctx_merge(struct wk_ctx *dst, const struct wk_ctx *src);

struct wk_authz_request {
	const char *action;	/* "ec2-instance-connect:SendSSHPublicKey" */
	const char *resource;	/* "arn:aws:ec2:us-east-1:123:instance/i-..." */
	const struct wk_ctx *ctx;	/* aws:username etc.; NULL: empty */
};

/* One policy in the set being evaluated, with a name for reporting. */
struct wk_policy_ref {
	const struct wk_policy *policy;
	const char *source;	/* policy ARN, or "user/NAME/inline/PNAME" */
};

enum wk_decision {
	WK_DECISION_IMPLICIT_DENY = 0,
	WK_DECISION_ALLOW = 1,
	WK_DECISION_EXPLICIT_DENY = 2,
};

struct wk_decision_detail {
	enum wk_decision decision;
	/* The deciding statement (the Deny, or the first Allow); none for an
	 * implicit deny: source NULL, statement -1. */
	const char *source;
	int statement;		/* index in the policy's Statement array */
	char sid[128];		/* "" when the statement has no Sid */
	/*
	 * Allowed only because of aws:SourceIp: every Allow statement that
	 * matched has an IpAddress condition on aws:SourceIp, or a Deny
	 * statement for this action and resource has a NotIpAddress
	 * condition on aws:SourceIp (a network guardrail that did not fire
	 * for this caller's address). The push path then binds the key to
	 * the caller's address (OpenSSH from=), so the policy's network
	 * bound holds at login too.
	 */
	bool source_ip_bound;
};

/* Never fails for a well-formed request; evaluation allocates nothing
 * except for policy-variable substitution longer than 1 KiB (NOMEM
 * possible; the decision is then an implicit deny). WK_ERR_INVAL when
 * action or resource is NULL. Policies with a NULL policy are skipped. */
int wk_policy_evaluate(const struct wk_policy_ref *policies, size_t n,
    const struct wk_authz_request *req, struct wk_decision_detail *out);

/*
 * Whether some Allow statement names `action` (in Action, or by not being
 * in its NotAction), resources and conditions aside: false means the
 * policies allow the action on no resource at all. For list actions that
 * answer only the entries the caller may see (docs/sessions.md).
 */
bool wk_policy_may_allow(const struct wk_policy_ref *policies, size_t n,
    const char *action);

/* "allowed", "explicitDeny", "implicitDeny" */
const char *wk_decision_name(enum wk_decision d);

/*
 * ---- actions and their condition keys (actions.c) ----
 * One row per action wicketd authorizes: the condition keys AWS's Service
 * Authorization Reference lists for it (its own and its resource type's)
 * that wicketd supplies, those it lists but wicketd can never supply, and
 * the kind of resource the action targets. Key lists are space-separated;
 * an entry ending in '/' names a family ("aws:RequestTag/" covers
 * aws:RequestTag/Env). The global aws:* keys apply to every action and are
 * not repeated in rows.
 */
enum wk_res_kind {
	WK_RES_NONE = 0,	/* "*" or a listing pattern */
	WK_RES_USER,		/* arn:aws:iam::ACCOUNT:user/PATH/NAME */
	WK_RES_GROUP,
	WK_RES_POLICY,
	WK_RES_INSTANCE,	/* arn:aws:ec2:REGION:ACCOUNT:instance/ID */
};

struct wk_action_keys {
	const char *action;	/* "iam:AttachUserPolicy" */
	const char *keys;	/* supplied when the request/resource has them */
	const char *absent;	/* listed by AWS, never supplied by wicketd */
	enum wk_res_kind res;
};

/* The table, terminated by a row whose action is NULL. */
extern const struct wk_action_keys wk_action_keys_table[];
/* The row of an action (ASCII case-insensitive), NULL when none. */
const struct wk_action_keys *wk_action_keys_find(const char *action);
/* Whether a row's supplied keys name key (families by prefix). */
bool wk_action_has_key(const struct wk_action_keys *a, const char *key);
/* Whether a space-separated key list names key. */
bool wk_keylist_has(const char *list, const char *key);

/* Ordered best first: the lint reports the best over a wildcard's actions. */
enum wk_key_status {
	WK_KEY_SUPPLIED = 0,	/* global, or in the action's row */
	WK_KEY_GLOBAL_ABSENT,	/* a global key wicketd never has */
	WK_KEY_NEVER_SUPPLIED,	/* AWS lists it; wicketd has no value */
	WK_KEY_NOT_FOR_ACTION,	/* the action can never have it */
};
/* The status of key for the action of row a (NULL: globals only). */
enum wk_key_status wk_condkey_status(const struct wk_action_keys *a,
    const char *key);

/* ---- the policy lint (lint.c) ---- */
struct wk_lint_finding {
	int statement;		/* index in the Statement array */
	char action[128];	/* the Action entry, "NotAction" or "*" */
	char key[257];		/* the condition key, lower case */
	enum wk_key_status why;
};
/*
 * Finds conditions on keys the statement's actions can never have: for
 * each Action entry (wildcards expanded over the table; an entry naming no
 * action wicketd serves is skipped), a key no named action has. Stores up
 * to max findings in out; *n receives how many there are in all.
 */
int wk_policy_lint(const struct wk_policy *p, struct wk_lint_finding *out,
    size_t max, size_t *n);
/* One line on why a key cannot be present. */
const char *wk_lint_why(enum wk_key_status s);

#endif
