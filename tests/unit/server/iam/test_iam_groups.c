/*
 * test_iam_groups.c - groups, membership, group policies, login profiles
 * and user tags.
 */
#include "test_iam_fixture.h"

#define ARN_P "arn:aws:iam::123456789012:policy/"
#define DOC_SSH "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":" \
	"\"Allow\",\"Action\":\"ec2-instance-connect:SendSSHPublicKey\"," \
	"\"Resource\":\"*\"}]}"

static void
test_groups(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateGroup", "GroupName", "ops", "Path", "/t/");
	HAS(f, "<Group><Path>/t/</Path><GroupName>ops</GroupName><GroupId>"
	    "AGPA");
	HAS(f, "<Arn>arn:aws:iam::123456789012:group/t/ops</Arn>"
	    "<CreateDate>");
	CALL_ERR(f, 409, "EntityAlreadyExists", "CreateGroup", "GroupName",
	    "OPS");
	assert_string_equal(f->resp.error_message,
	    "Group with name OPS already exists.");
	CALL_ERR(f, 400, "ValidationError", "CreateGroup", "GroupName",
	    "o p");
	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "AddUserToGroup", "GroupName", "ops", "UserName", "bob");
	CALL_ERR(f, 404, "NoSuchEntity", "AddUserToGroup", "GroupName",
	    "ops", "UserName", "ghost");
	CALL_ERR(f, 404, "NoSuchEntity", "AddUserToGroup", "GroupName",
	    "nope", "UserName", "bob");
	assert_string_equal(f->resp.error_message,
	    "The group with name nope cannot be found.");
	CALL_OK(f, "GetGroup", "GroupName", "ops");
	HAS(f, "<Group><Path>/t/</Path><GroupName>ops</GroupName>");
	HAS(f, "</Group><Users><member><Path>/</Path><UserName>bob</UserName>");
	HAS(f, "</Users><IsTruncated>false</IsTruncated>");
	CALL_OK(f, "ListGroups");
	HAS(f, "<Groups><member><Path>/t/</Path><GroupName>ops</GroupName>");
	CALL_OK(f, "ListGroups", "PathPrefix", "/x/");
	HAS(f, "<Groups></Groups>");
	CALL_OK(f, "ListGroupsForUser", "UserName", "bob");
	HAS(f, "<GroupName>ops</GroupName>");
	CALL_ERR(f, 409, "DeleteConflict", "DeleteGroup", "GroupName", "ops");
	assert_string_equal(f->resp.error_message,
	    "Cannot delete entity, must remove users from group first.");
	CALL_ERR(f, 409, "DeleteConflict", "DeleteUser", "UserName", "bob");
	CALL_OK(f, "RemoveUserFromGroup", "GroupName", "ops", "UserName",
	    "bob");
	CALL_OK(f, "ListGroupsForUser", "UserName", "bob");
	HAS(f, "<Groups></Groups>");

	/* group policies */
	CALL_OK(f, "CreatePolicy", "PolicyName", "ssh", "PolicyDocument",
	    DOC_SSH);
	CALL_OK(f, "AttachGroupPolicy", "GroupName", "ops", "PolicyArn",
	    ARN_P "ssh");
	CALL_OK(f, "ListAttachedGroupPolicies", "GroupName", "ops");
	HAS(f, "<PolicyName>ssh</PolicyName>");
	CALL_OK(f, "ListEntitiesForPolicy", "PolicyArn", ARN_P "ssh");
	HAS(f, "<PolicyGroups><member><GroupName>ops</GroupName><GroupId>"
	    "AGPA");
	CALL_ERR(f, 409, "DeleteConflict", "DeleteGroup", "GroupName", "ops");
	CALL_OK(f, "DetachGroupPolicy", "GroupName", "ops", "PolicyArn",
	    ARN_P "ssh");
	CALL_OK(f, "PutGroupPolicy", "GroupName", "ops", "PolicyName", "in",
	    "PolicyDocument", DOC_SSH);
	CALL_OK(f, "GetGroupPolicy", "GroupName", "ops", "PolicyName", "in");
	HAS(f, "<GroupName>ops</GroupName><PolicyName>in</PolicyName>"
	    "<PolicyDocument>%7B");
	CALL_OK(f, "ListGroupPolicies", "GroupName", "ops");
	HAS(f, "<PolicyNames><member>in</member></PolicyNames>");
	CALL_ERR(f, 404, "NoSuchEntity", "GetGroupPolicy", "GroupName",
	    "ops", "PolicyName", "nope");
	assert_string_equal(f->resp.error_message,
	    "The group policy with name nope cannot be found.");
	CALL_ERR(f, 409, "DeleteConflict", "DeleteGroup", "GroupName", "ops");
	CALL_OK(f, "DeleteGroupPolicy", "GroupName", "ops", "PolicyName",
	    "in");
	CALL_OK(f, "DeleteGroup", "GroupName", "ops");
	CALL_ERR(f, 404, "NoSuchEntity", "GetGroup", "GroupName", "ops");
}

static void
test_login_profile(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_ERR(f, 400, "PasswordPolicyViolation", "CreateLoginProfile",
	    "UserName", "bob", "Password", "short");
	CALL_ERR(f, 400, "PasswordPolicyViolation", "CreateLoginProfile",
	    "UserName", "bob", "Password", "alllowercaseletters");
	/* the password is never echoed */
	CALL_ERR(f, 400, "ValidationError", "CreateLoginProfile",
	    "UserName", "bob", "Password", "Secret\x01Pass9");
	assert_null(strstr(f->resp.error_message, "Secret"));
	CALL_ERR(f, 404, "NoSuchEntity", "GetLoginProfile", "UserName",
	    "bob");
	assert_string_equal(f->resp.error_message,
	    "Login Profile for User bob cannot be found.");
#ifndef WK_HAVE_ARGON2
	/* built without libargon2: passwords cannot be set, nothing stored */
	CALL_ERR(f, 500, "ServiceFailure", "CreateLoginProfile", "UserName",
	    "bob", "Password", "Corr3ct-Horse");
	CALL_ERR(f, 404, "NoSuchEntity", "GetLoginProfile", "UserName",
	    "bob");
	return;
#endif
	CALL_OK(f, "CreateLoginProfile", "UserName", "bob", "Password",
	    "Corr3ct-Horse", "PasswordResetRequired", "true");
	HAS(f, "<LoginProfile><UserName>bob</UserName><CreateDate>");
	HAS(f, "<PasswordResetRequired>true</PasswordResetRequired>"
	    "</LoginProfile>");
	HAS_NOT(f, "Corr3ct");
	CALL_ERR(f, 409, "EntityAlreadyExists", "CreateLoginProfile",
	    "UserName", "bob", "Password", "Corr3ct-Horse");
	CALL_OK(f, "GetLoginProfile", "UserName", "bob");
	HAS(f, "<PasswordResetRequired>true</PasswordResetRequired>");
	HAS_NOT(f, "argon2");
	CALL_OK(f, "UpdateLoginProfile", "UserName", "bob",
	    "PasswordResetRequired", "false");
	CALL_OK(f, "GetLoginProfile", "UserName", "bob");
	HAS(f, "<PasswordResetRequired>false</PasswordResetRequired>");
	CALL_ERR(f, 409, "DeleteConflict", "DeleteUser", "UserName", "bob");
	assert_string_equal(f->resp.error_message,
	    "Cannot delete entity, must delete login profile first.");
	CALL_OK(f, "DeleteLoginProfile", "UserName", "bob");
	CALL_ERR(f, 404, "NoSuchEntity", "DeleteLoginProfile", "UserName",
	    "bob");
	CALL_OK(f, "DeleteUser", "UserName", "bob");
}

static void
test_tags(void **state)
{
	struct fx *f = *state;
	char k[16];
	int i;

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "TagUser", "UserName", "bob", "Tags.member.1.Key", "team",
	    "Tags.member.1.Value", "ops", "Tags.member.2.Key", "env",
	    "Tags.member.2.Value", "");
	CALL_OK(f, "ListUserTags", "UserName", "bob");
	HAS(f, "<Key>team</Key><Value>ops</Value>");
	HAS(f, "<Key>env</Key><Value></Value>");
	HAS(f, "<IsTruncated>false</IsTruncated>");
	CALL_ERR(f, 400, "InvalidInput", "TagUser", "UserName", "bob",
	    "Tags.member.1.Key", "a", "Tags.member.1.Value", "1",
	    "Tags.member.2.Key", "A", "Tags.member.2.Value", "2");
	CALL_ERR(f, 400, "ValidationError", "TagUser", "UserName", "bob");
	CALL_ERR(f, 404, "NoSuchEntity", "TagUser", "UserName", "ghost",
	    "Tags.member.1.Key", "a", "Tags.member.1.Value", "1");
	CALL_OK(f, "UntagUser", "UserName", "bob", "TagKeys.member.1",
	    "team");
	CALL_OK(f, "ListUserTags", "UserName", "bob");
	HAS_NOT(f, "team");
	HAS(f, "<Key>env</Key>");
	/* 50 tags at most */
	for (i = 0; i < 49; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		CALL_OK(f, "TagUser", "UserName", "bob", "Tags.member.1.Key",
		    k, "Tags.member.1.Value", "v");
	}
	CALL_ERR(f, 409, "LimitExceeded", "TagUser", "UserName", "bob",
	    "Tags.member.1.Key", "one-too-many", "Tags.member.1.Value", "v");
	/* re-tagging an existing key is fine */
	CALL_OK(f, "TagUser", "UserName", "bob", "Tags.member.1.Key", "k0",
	    "Tags.member.1.Value", "w");
	CALL_OK(f, "ListUserTags", "UserName", "bob", "MaxItems", "10");
	HAS(f, "<IsTruncated>true</IsTruncated><Marker>10</Marker>");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_groups, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_login_profile, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_tags, fx_setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
