/*
 * ec2.h - the EC2 API (ec2_describe_instances.c, ec2_tags.c,
 * wicket_describe_instances.c) and what the key push, the console and
 * ListAuditEvents share with it: the instance views, their ARN and
 * condition keys, and the field validators (ec2_valid.c).
 */
#ifndef WK_SERVER_EC2IC_INT_H
#define WK_SERVER_EC2IC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
