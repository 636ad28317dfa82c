/*
 * test_iam_unsupported.c - members of AWS's IAM model that wicketd does
 * not implement are refused with InvalidInput (400) naming the member,
 * before anything is written; never silently ignored.
 */
#include "test_iam_fixture.h"

#define DOC FX_ALLOW_ALL

static void
test_create_user_boundary(void **state)
{
	struct fx *f = *state;

	CALL_ERR(f, 400, "InvalidInput", "CreateUser", "UserName", "bob",
	    "PermissionsBoundary", "arn:aws:iam::123456789012:policy/b");
	MSG_HAS(f, "PermissionsBoundary");
	CALL_ERR(f, 404, "NoSuchEntity", "GetUser", "UserName", "bob");
	/* a name that only starts like the member is not the member */
	CALL_OK(f, "CreateUser", "UserName", "bob",
	    "PermissionsBoundaryX", "ignored");
}

static void
test_create_policy_tags(void **state)
{
	struct fx *f = *state;

	CALL_ERR(f, 400, "InvalidInput", "CreatePolicy", "PolicyName", "p",
	    "PolicyDocument", DOC, "Tags.member.1.Key", "a",
	    "Tags.member.1.Value", "b");
	MSG_HAS(f, "Tags");
	CALL_ERR(f, 404, "NoSuchEntity", "GetPolicy", "PolicyArn",
	    "arn:aws:iam::123456789012:policy/p");
	CALL_OK(f, "CreatePolicy", "PolicyName", "p", "PolicyDocument", DOC);
}

static void
test_login_profile_session(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_ERR(f, 400, "InvalidInput", "CreateLoginProfile", "UserName",
	    "bob", "Password", "Corr3ct-Horse-Battery",
	    "MaxSigninSessionDuration", "3600");
	MSG_HAS(f, "MaxSigninSessionDuration");
	CALL_ERR(f, 404, "NoSuchEntity", "GetLoginProfile", "UserName",
	    "bob");
	CALL_OK(f, "CreateLoginProfile", "UserName", "bob", "Password",
	    "Corr3ct-Horse-Battery");
	CALL_ERR(f, 400, "InvalidInput", "UpdateLoginProfile", "UserName",
	    "bob", "ResetMaxSigninSessionDuration", "true");
	MSG_HAS(f, "ResetMaxSigninSessionDuration");
}

static void
test_simulate(void **state)
{
	static const char *const both[] = {
		"PermissionsBoundaryPolicyInputList.member.1", "ResourcePolicy",
		"ResourceOwner", "CallerArn", "ResourceHandlingOption",
	};
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof(both) / sizeof(both[0]); i++) {
		CALL_ERR(f, 400, "InvalidInput", "SimulatePrincipalPolicy",
		    "PolicySourceArn", "arn:aws:iam::123456789012:user/admin",
		    "ActionNames.member.1", "iam:GetUser", both[i], "x");
		CALL_ERR(f, 400, "InvalidInput", "SimulateCustomPolicy",
		    "PolicyInputList.member.1", DOC,
		    "ActionNames.member.1", "iam:GetUser", both[i], "x");
	}
	CALL_ERR(f, 400, "InvalidInput", "SimulatePrincipalPolicy",
	    "PolicySourceArn", "arn:aws:iam::123456789012:user/admin",
	    "ActionNames.member.1", "iam:GetUser",
	    "PolicyExclusionList.member.1", "AWSOrganizationsPolicy");
	MSG_HAS(f, "PolicyExclusionList");
	CALL_ERR(f, 400, "InvalidInput", "SimulateCustomPolicy",
	    "PolicyInputList.member.1", DOC, "ActionNames.member.1",
	    "iam:GetUser", "OrderedOrganizationPolicyInputList.member.1", DOC);
	MSG_HAS(f, "OrderedOrganizationPolicyInputList");
	CALL_OK(f, "SimulateCustomPolicy", "PolicyInputList.member.1", DOC,
	    "ActionNames.member.1", "iam:GetUser");
}

static void
test_entities_usage_filter(void **state)
{
	struct fx *f = *state;
	const char *arn = "arn:aws:iam::123456789012:policy/p";

	CALL_OK(f, "CreatePolicy", "PolicyName", "p", "PolicyDocument", DOC);
	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "AttachUserPolicy", "UserName", "bob", "PolicyArn", arn);
	CALL_OK(f, "ListEntitiesForPolicy", "PolicyArn", arn,
	    "PolicyUsageFilter", "PermissionsPolicy");
	HAS(f, "<UserName>bob</UserName>");
	CALL_OK(f, "ListEntitiesForPolicy", "PolicyArn", arn,
	    "PolicyUsageFilter", "PermissionsBoundary");
	HAS_NOT(f, "<UserName>bob</UserName>");
	CALL_ERR(f, 400, "ValidationError", "ListEntitiesForPolicy",
	    "PolicyArn", arn, "PolicyUsageFilter", "Bogus");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_user_boundary,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_policy_tags,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_login_profile_session,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_simulate, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_entities_usage_filter,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
