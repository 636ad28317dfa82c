/*
 * ec2.h - the EC2 API (ec2_describe_instances.c, ec2_tags.c,
 * wicket_describe_instances.c) and what the key push, the console and
 * ListAuditEvents share with it: the instance views, their ARN and
 * condition keys, the field validators (ec2_valid.c), DescribeInstances'
 * filters (ec2_filters.c) and its NextToken (ec2_token.c).
 */
#ifndef WK_SERVER_EC2IC_INT_H
#define WK_SERVER_EC2IC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "iam/policy.h"
#include "server/api/api.h"
#include "store/store.h"

extern const struct wk_api_action wk_ec2_describe_instances;
extern const struct wk_api_action wk_ec2_create_tags;
extern const struct wk_api_action wk_ec2_delete_tags;
extern const struct wk_api_action wk_wicket_describe_instances;

/* ---- SendSSHPublicKey's field constraints (AWS's API model) ---- */
/* InstanceId: 10..32, ^i-[a-f0-9]+$ */
bool wk_ec2ic_valid_instance_id(const char *s);
/* InstanceOSUser: 1..32, ^[A-Za-z_][A-Za-z0-9\@\._-]{0,30}[A-Za-z0-9\$_-]?$ */
bool wk_ec2ic_valid_os_user(const char *s);
/* AvailabilityZone: 6..32, ^(\w+-){2,3}\d+\w+$ */
bool wk_ec2ic_valid_az(const char *s);
/* True when az names an Availability Zone of `region` ("us-east-1a"). */
bool wk_ec2ic_az_in_region(const char *az, const char *region);

/* ---- the registry as callers may see it ---- */
struct wk_instance_view {
	struct wk_instance inst;
	struct wk_tag *tags;
	size_t ntags;
	bool online;
};

/* "arn:aws:ec2:REGION:ACCOUNT:instance/ID" */
/*
 * An instance's registered host keys ("type base64\n" lines, as sshd's
 * *.pub) as a JSON list of strings: WicketService.DescribeInstances and
 * SendSSHPublicKey's WicketInstance member give them the same way.
 */
json_t *wk_ec2_host_keys_json(const char *keys);

int wk_ec2_instance_arn(const struct wk_server *srv, const char *id,
    char *out, size_t outsz);
/*
 * The push request's own condition keys: ec2:osuser when os_user is not
 * NULL. The instance's keys (ec2:ResourceTag/K, aws:ResourceTag/K) are
 * added by wk_api_authorize from the store. *out is freed by the caller.
 */
int wk_ec2_instance_ctx(const char *os_user, struct wk_ctx **out);

#define WK_DESCRIBE_MAX_IDS 1000
/*
 * The instances the caller may describe (`action` on each instance's ARN).
 * With ids (nids > 0): exactly those, in order; a malformed id is
 * InvalidInstanceID.Malformed, an unknown one InvalidInstanceID.NotFound,
 * one the caller may not describe deny_code (NULL: the protocol's
 * access-denied error) (all set on
 * resp, WK_ERR_INVAL/WK_ERR_DENIED returned). Without ids: every
 * instance the caller may describe (the others are silently left out).
 */
int wk_ec2_instances_visible(const struct wk_api_req *req,
    struct wk_api_resp *resp, const char *action, const char *deny_code,
    const char *const *ids, size_t nids, struct wk_instance_view **out,
    size_t *n);
void wk_ec2_instance_views_free(struct wk_instance_view *v, size_t n);
void wk_ec2_instance_views_free_one(struct wk_instance_view *v);

/* ---- DescribeInstances (ec2_describe_instances.c) ---- */
#define WK_EC2_DESCRIBE_ACTION "ec2:DescribeInstances"
#define WK_EC2_MAX_RESULTS_MIN 5
#define WK_EC2_MAX_RESULTS_MAX 1000
/* A page without MaxResults (the CLI's and SDKs' paginators follow the
 * NextToken): the reply stays far below the HTTP reply cap. */
#define WK_EC2_PAGE_DEFAULT 1000

/*
 * DescribeInstances is not resource-level on AWS: it is decided once, on
 * "*" (a statement naming an instance ARN does not grant it). 0 when
 * allowed; WK_ERR_DENIED with the protocol's access-denied error set.
 */
int wk_ec2_describe_authorize(const struct wk_api_req *req,
    struct wk_api_resp *resp);

/* InvalidParameterValue past WK_DESCRIBE_MAX_IDS ids,
 * InvalidInstanceID.Malformed for a malformed one (set on resp). */
int wk_ec2_ids_check(struct wk_api_resp *resp, const char *const *ids,
    size_t nids);

struct wk_ec2_filters;
struct wk_ec2_describe_query {
	const char *const *ids;	/* nids > 0: exactly these (NotFound) */
	size_t nids;
	const struct wk_ec2_filters *filters;	/* NULL: none */
	const char *after;	/* NULL, or continue after this id */
	size_t limit;		/* 0: no limit (with ids) */
};
/*
 * DescribeInstances' instances, after wk_ec2_describe_authorize: by id
 * (InvalidInstanceID.Malformed / .NotFound on resp) or the whole registry
 * in id order from q->after, the filters applied, at most q->limit;
 * *more says further matching instances remain (the page's last id is
 * where the next starts).
 */
int wk_ec2_describe_list(const struct wk_api_req *req,
    struct wk_api_resp *resp, const struct wk_ec2_describe_query *q,
    struct wk_instance_view **out, size_t *n, bool *more);

/* What filters compare and the reply shows: one instance as EC2 sees it. */
struct wk_ec2_instance_fields {
	const char *instance_id;
	const char *state_name;		/* "running": one truth, see docs */
	int state_code;			/* 16 */
	const char *private_ip;		/* "" when none */
	const char *ip;			/* "" when none */
	const char *private_dns_name;
	const char *dns_name;		/* "" when none */
	const char *az;
	const struct wk_tag *tags;
	size_t ntags;
};
/*
 * An instance's Availability Zone: every instance is in zone "a" of
 * wicketd's region (Placement.AvailabilityZone; SendSSHPublicKey refuses
 * any other AvailabilityZone).
 */
void wk_ec2_instance_az(const struct wk_server *srv, char *out,
    size_t outsz);
/* Fills f from v; az (>= 48 bytes) holds the zone's text. */
void wk_ec2_fields_of(const struct wk_server *srv,
    const struct wk_instance_view *v, char *az, size_t azsz,
    struct wk_ec2_instance_fields *f);

/* ---- DescribeInstances filters (ec2_filters.c) ---- */
#define WK_EC2_FILTERS_MAX 50		/* Filter.N, N = 1..50 */
#define WK_EC2_FILTER_VALUES_MAX 200	/* Filter.N.Value.M, M = 1..200 */
#define WK_EC2_FILTER_VALUE_MAX 1024	/* bytes of one value */
#define WK_EC2_FILTER_NAME_MAX 160	/* bytes of a name ("tag:" + key) */

enum wk_ec2_filter_kind {
	WK_EC2_F_INSTANCE_ID,
	WK_EC2_F_STATE_NAME,
	WK_EC2_F_TAG,			/* tag:KEY */
	WK_EC2_F_TAG_KEY,
	WK_EC2_F_TAG_VALUE,
	WK_EC2_F_PRIVATE_IP,
	WK_EC2_F_IP,
	WK_EC2_F_DNS_NAME,
	WK_EC2_F_PRIVATE_DNS_NAME,
	WK_EC2_F_AZ,
};

struct wk_ec2_filter {
	enum wk_ec2_filter_kind kind;
	const char *name;		/* as given (borrowed from the params) */
	const char *tag_key;		/* tag:KEY: KEY (inside name) */
	const char **values;		/* borrowed strings, owned array */
	size_t nvalues;
};

struct wk_ec2_filters {
	struct wk_ec2_filter *v;
	size_t n;
};

/*
 * Reads Filter.N.Name / Filter.N.Value.M (as the CLI and the SDKs send
 * them) from params. Errors (WK_ERR_INVAL; `why` holds the message of an
 * InvalidParameterValue): an unknown filter name ("The filter 'x' is
 * invalid", as AWS), a filter without a name or without values, N or M
 * out of range or malformed, an over-long value. WK_ERR_NOMEM. On error
 * out is empty. The strings stay owned by params.
 */
int wk_ec2_filters_parse(const struct wk_params *params,
    struct wk_ec2_filters *out, char *why, size_t whysz);
void wk_ec2_filters_free(struct wk_ec2_filters *f);	/* reusable */
/* AWS's semantics: a filter's values OR-ed, the filters AND-ed. */
bool wk_ec2_filters_match(const struct wk_ec2_filters *f,
    const struct wk_ec2_instance_fields *in);
/* SHA-256 over the filters, as parsed (what a NextToken is bound to);
 * 0 or WK_ERR_NOMEM. */
int wk_ec2_filters_digest(const struct wk_ec2_filters *f,
    uint8_t out[static 32]);
/*
 * Case-sensitive match of s against pattern: '*' any run of characters,
 * '?' exactly one (UTF-8) character, '\' makes the next one literal.
 * Linear in practice (one backtrack point), never recursive.
 */
bool wk_ec2_wildcard_match(const char *pattern, const char *s);

/* ---- NextToken (ec2_token.c) ---- */
#define WK_EC2_TOKEN_TTL (24 * 3600)	/* seconds a NextToken stays good */
#define WK_EC2_TOKEN_KEY_LEN 32
#define WK_EC2_TOKEN_TEXT_MAX 160	/* bytes of a token, with NUL */

/*
 * The server's token key (HMAC-SHA-256), made on first use and kept in
 * the store (meta "ec2_token_key"), so tokens survive a restart.
 */
int wk_ec2_token_key(struct wk_store *st,
    uint8_t key[static WK_EC2_TOKEN_KEY_LEN]);
/*
 * A NextToken saying "continue after instance last_id", good until
 * now + WK_EC2_TOKEN_TTL, MAC'd over the caller's user id and the filters'
 * digest: it is refused for any other caller or filters. Opaque text.
 */
int wk_ec2_token_make(const uint8_t key[static WK_EC2_TOKEN_KEY_LEN],
    const char *caller_id, const uint8_t filters[static 32],
    const char *last_id, time_t now, char *out, size_t outsz);
/*
 * Checks a token and writes the instance id to continue after to
 * last_id. WK_ERR_INVAL for anything not made by make() with this key,
 * caller and filters (tampered, foreign, malformed), WK_ERR_EXPIRED late.
 */
int wk_ec2_token_open(const uint8_t key[static WK_EC2_TOKEN_KEY_LEN],
    const char *caller_id, const uint8_t filters[static 32],
    const char *token, time_t now, char last_id[static 20]);

#endif
