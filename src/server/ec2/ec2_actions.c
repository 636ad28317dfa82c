/*
 * ec2_actions.c - the EC2 Query actions wicketd answers.
 */
#include "server/api/api.h"
#include "server/ec2/ec2.h"

const struct wk_api_action *const wk_ec2_actions[] = {
	&wk_ec2_describe_instances,
	&wk_ec2_create_tags,
	&wk_ec2_delete_tags,
	NULL,
};
