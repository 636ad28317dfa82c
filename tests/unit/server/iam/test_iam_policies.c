/*
 * test_iam_policies.c - managed policies, versions, attachments and
 * inline policies.
 */
#include "test_iam_fixture.h"

#define ARN_P "arn:aws:iam::123456789012:policy/"
#define DOC_SSH "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":" \
	"\"Allow\",\"Action\":\"ec2-instance-connect:SendSSHPublicKey\"," \
	"\"Resource\":\"*\"}]}"
#define DOC_DENY "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":" \
	"\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}"

/* A valid document of about `chars` non-whitespace characters. */
static char *
big_doc(size_t chars)
{
	struct wk_buf b;
	size_t i;

	wk_buf_init(&b, 1 << 20);
	assert_int_equal(wk_buf_append_str(&b, "{\"Version\":\"2012-10-17\","
	    "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\","
	    "\"Resource\":[\"arn:aws:s3:::x\""), 0);
	for (i = 0; b.len < chars; i++)
		assert_int_equal(wk_buf_appendf(&b,
		    ",\"arn:aws:s3:::bucket-%zu/*\"", i), 0);
	assert_int_equal(wk_buf_append_str(&b, "]}]}"), 0);
	return wk_buf_steal(&b);
}

static void
test_create_get(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreatePolicy", "PolicyName", "ssh", "PolicyDocument",
	    DOC_SSH, "Description", "lets people in");
	HAS(f, "<Policy><PolicyName>ssh</PolicyName><PolicyId>ANPA");
	HAS(f, "<Arn>" ARN_P "ssh</Arn><Path>/</Path><DefaultVersionId>v1"
	    "</DefaultVersionId><AttachmentCount>0</AttachmentCount>"
	    "<PermissionsBoundaryUsageCount>0</PermissionsBoundaryUsageCount>"
	    "<IsAttachable>true</IsAttachable><Description>lets people in"
	    "</Description><CreateDate>");
	HAS(f, "</CreateDate><UpdateDate>");
	CALL_OK(f, "GetPolicy", "PolicyArn", ARN_P "ssh");
	HAS(f, "<PolicyName>ssh</PolicyName>");
	HAS(f, "<Description>lets people in</Description>");
	CALL_ERR(f, 409, "EntityAlreadyExists", "CreatePolicy", "PolicyName",
	    "SSH", "PolicyDocument", DOC_SSH);
	CALL_ERR(f, 404, "NoSuchEntity", "GetPolicy", "PolicyArn",
	    ARN_P "nope");
	assert_string_equal(f->resp.error_message,
	    "Policy " ARN_P "nope was not found.");
	CALL_ERR(f, 400, "InvalidInput", "GetPolicy", "PolicyArn",
	    "not-an-arn-but-long-enough");
	CALL_ERR(f, 404, "NoSuchEntity", "GetPolicy", "PolicyArn",
	    "arn:aws:iam::999999999999:policy/ssh");
	CALL_ERR(f, 400, "ValidationError", "GetPolicy", "PolicyArn", "arn:");
	CALL_OK(f, "CreatePolicy", "PolicyName", "deep", "Path", "/a/b/",
	    "PolicyDocument", DOC_SSH);
	HAS(f, "<Arn>" ARN_P "a/b/deep</Arn><Path>/a/b/</Path>");
	HAS_NOT(f, "<Description>");
}

static void
test_create_bad(void **state)
{
	struct fx *f = *state;
	char *doc;

	CALL_ERR(f, 400, "MalformedPolicyDocument", "CreatePolicy",
	    "PolicyName", "p", "PolicyDocument", "{not json");
	assert_true(f->resp.error_message[0] != '\0');
	CALL_ERR(f, 400, "MalformedPolicyDocument", "CreatePolicy",
	    "PolicyName", "p", "PolicyDocument", "{\"Version\":\"2012-10-17\","
	    "\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
	    "\"Action\":\"*\",\"Resource\":\"*\"}]}");
	doc = big_doc(7000);
	CALL_ERR(f, 409, "LimitExceeded", "CreatePolicy", "PolicyName", "p",
	    "PolicyDocument", doc);
	assert_string_equal(f->resp.error_message,
	    "Cannot exceed quota for PolicySize: 6144");
	free(doc);
	CALL_ERR(f, 400, "ValidationError", "CreatePolicy", "PolicyName",
	    "p q", "PolicyDocument", DOC_SSH);
	CALL_ERR(f, 400, "ValidationError", "CreatePolicy", "PolicyName",
	    "p", "PolicyDocument", DOC_SSH, "Path", "/a//b/");
	CALL_ERR(f, 400, "ValidationError", "CreatePolicy", "PolicyName",
	    "p", "PolicyDocument", "\x01");
	CALL_ERR(f, 400, "ValidationError", "CreatePolicy", "PolicyName",
	    "p");
	f->caller = &f->nobody;
	CALL_ERR(f, 403, "AccessDenied", "CreatePolicy", "PolicyName", "p",
	    "PolicyDocument", DOC_SSH);
	f->caller = &f->admin;
	CALL_OK(f, "ListPolicies", "Scope", "Local");
	HAS(f, "<Policies></Policies>");
}

static void
test_attach(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "CreatePolicy", "PolicyName", "ssh", "PolicyDocument",
	    DOC_SSH);
	CALL_ERR(f, 404, "NoSuchEntity", "AttachUserPolicy", "UserName",
	    "bob", "PolicyArn", ARN_P "nope");
	assert_string_equal(f->resp.error_message, "Policy " ARN_P "nope "
	    "does not exist or is not attachable.");
	CALL_ERR(f, 404, "NoSuchEntity", "AttachUserPolicy", "UserName",
	    "ghost", "PolicyArn", ARN_P "ssh");
	CALL_ERR(f, 400, "InvalidInput", "AttachUserPolicy", "UserName",
	    "bob", "PolicyArn", "arn:aws:s3:::some-bucket-name");
	CALL_OK(f, "AttachUserPolicy", "UserName", "bob", "PolicyArn",
	    ARN_P "ssh");
	assert_string_equal(xml(f), "");
	CALL_OK(f, "AttachUserPolicy", "UserName", "bob", "PolicyArn",
	    ARN_P "ssh");
	CALL_OK(f, "ListAttachedUserPolicies", "UserName", "bob");
	HAS(f, "<AttachedPolicies><member><PolicyName>ssh</PolicyName>"
	    "<PolicyArn>" ARN_P "ssh</PolicyArn></member></AttachedPolicies>"
	    "<IsTruncated>false</IsTruncated>");
	CALL_OK(f, "ListAttachedUserPolicies", "UserName", "bob",
	    "PathPrefix", "/other/");
	HAS(f, "<AttachedPolicies></AttachedPolicies>");
	CALL_OK(f, "GetPolicy", "PolicyArn", ARN_P "ssh");
	HAS(f, "<AttachmentCount>1</AttachmentCount>");
	CALL_OK(f, "ListPolicies", "OnlyAttached", "true");
	HAS(f, "<PolicyName>ssh</PolicyName>");
	CALL_OK(f, "ListEntitiesForPolicy", "PolicyArn", ARN_P "ssh");
	HAS(f, "<PolicyGroups></PolicyGroups><PolicyUsers><member><UserName>"
	    "bob</UserName><UserId>AIDA");
	HAS(f, "<PolicyRoles></PolicyRoles>");
	CALL_ERR(f, 409, "DeleteConflict", "DeletePolicy", "PolicyArn",
	    ARN_P "ssh");
	assert_string_equal(f->resp.error_message,
	    "Cannot delete a policy attached to entities.");
	CALL_ERR(f, 409, "DeleteConflict", "DeleteUser", "UserName", "bob");
	assert_string_equal(f->resp.error_message,
	    "Cannot delete entity, must detach all policies first.");
	CALL_OK(f, "DetachUserPolicy", "UserName", "bob", "PolicyArn",
	    ARN_P "ssh");
	CALL_ERR(f, 404, "NoSuchEntity", "DetachUserPolicy", "UserName",
	    "bob", "PolicyArn", ARN_P "ssh");
	CALL_OK(f, "DeletePolicy", "PolicyArn", ARN_P "ssh");
	CALL_ERR(f, 404, "NoSuchEntity", "GetPolicy", "PolicyArn",
	    ARN_P "ssh");
	CALL_OK(f, "DeleteUser", "UserName", "bob");
}

static void
test_versions(void **state)
{
	struct fx *f = *state;
	int i;

	CALL_OK(f, "CreatePolicy", "PolicyName", "p", "PolicyDocument",
	    DOC_SSH);
	CALL_OK(f, "GetPolicyVersion", "PolicyArn", ARN_P "p", "VersionId",
	    "v1");
	/* the document comes back URL-encoded, as IAM returns it */
	HAS(f, "<PolicyVersion><Document>%7B%22Version%22%3A%222012-10-17%22");
	HAS(f, "<VersionId>v1</VersionId><IsDefaultVersion>true"
	    "</IsDefaultVersion><CreateDate>");
	CALL_OK(f, "CreatePolicyVersion", "PolicyArn", ARN_P "p",
	    "PolicyDocument", DOC_DENY, "SetAsDefault", "true");
	HAS(f, "<PolicyVersion><VersionId>v2</VersionId><IsDefaultVersion>"
	    "true</IsDefaultVersion><CreateDate>");
	CALL_OK(f, "GetPolicy", "PolicyArn", ARN_P "p");
	HAS(f, "<DefaultVersionId>v2</DefaultVersionId>");
	CALL_ERR(f, 409, "DeleteConflict", "DeletePolicyVersion",
	    "PolicyArn", ARN_P "p", "VersionId", "v2");
	CALL_ERR(f, 409, "DeleteConflict", "DeletePolicy", "PolicyArn",
	    ARN_P "p");
	CALL_OK(f, "SetDefaultPolicyVersion", "PolicyArn", ARN_P "p",
	    "VersionId", "v1");
	CALL_OK(f, "ListPolicyVersions", "PolicyArn", ARN_P "p");
	HAS(f, "<Versions><member><VersionId>");
	HAS_NOT(f, "<Document>");
	for (i = 0; i < 3; i++)
		CALL_OK(f, "CreatePolicyVersion", "PolicyArn", ARN_P "p",
		    "PolicyDocument", DOC_SSH);
	CALL_ERR(f, 409, "LimitExceeded", "CreatePolicyVersion", "PolicyArn",
	    ARN_P "p", "PolicyDocument", DOC_SSH);
	CALL_ERR(f, 400, "MalformedPolicyDocument", "CreatePolicyVersion",
	    "PolicyArn", ARN_P "p", "PolicyDocument", "[]");
	CALL_ERR(f, 400, "ValidationError", "GetPolicyVersion", "PolicyArn",
	    ARN_P "p", "VersionId", "1");
	CALL_ERR(f, 400, "ValidationError", "GetPolicyVersion", "PolicyArn",
	    ARN_P "p", "VersionId", "v0");
	CALL_ERR(f, 404, "NoSuchEntity", "GetPolicyVersion", "PolicyArn",
	    ARN_P "p", "VersionId", "v9");
	CALL_OK(f, "DeletePolicyVersion", "PolicyArn", ARN_P "p",
	    "VersionId", "v2");
	CALL_ERR(f, 404, "NoSuchEntity", "GetPolicyVersion", "PolicyArn",
	    ARN_P "p", "VersionId", "v2");
}

static void
test_inline(void **state)
{
	struct fx *f = *state;
	char *doc;

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "PutUserPolicy", "UserName", "bob", "PolicyName", "ssh",
	    "PolicyDocument", DOC_SSH);
	assert_string_equal(xml(f), "");
	CALL_OK(f, "GetUserPolicy", "UserName", "bob", "PolicyName", "ssh");
	HAS(f, "<UserName>bob</UserName><PolicyName>ssh</PolicyName>"
	    "<PolicyDocument>%7B%22Version%22");
	CALL_OK(f, "ListUserPolicies", "UserName", "bob");
	HAS(f, "<PolicyNames><member>ssh</member></PolicyNames>"
	    "<IsTruncated>false</IsTruncated>");
	CALL_ERR(f, 404, "NoSuchEntity", "GetUserPolicy", "UserName", "bob",
	    "PolicyName", "nope");
	assert_string_equal(f->resp.error_message,
	    "The user policy with name nope cannot be found.");
	CALL_ERR(f, 400, "MalformedPolicyDocument", "PutUserPolicy",
	    "UserName", "bob", "PolicyName", "x", "PolicyDocument", "{");
	doc = big_doc(2100);
	CALL_ERR(f, 409, "LimitExceeded", "PutUserPolicy", "UserName", "bob",
	    "PolicyName", "x", "PolicyDocument", doc);
	assert_string_equal(f->resp.error_message,
	    "Maximum policy size of 2048 bytes exceeded for user bob");
	free(doc);
	CALL_ERR(f, 404, "NoSuchEntity", "PutUserPolicy", "UserName",
	    "ghost", "PolicyName", "x", "PolicyDocument", DOC_SSH);
	CALL_ERR(f, 409, "DeleteConflict", "DeleteUser", "UserName", "bob");
	assert_string_equal(f->resp.error_message,
	    "Cannot delete entity, must delete policies first.");
	CALL_OK(f, "DeleteUserPolicy", "UserName", "bob", "PolicyName",
	    "ssh");
	CALL_ERR(f, 404, "NoSuchEntity", "DeleteUserPolicy", "UserName",
	    "bob", "PolicyName", "ssh");
	CALL_OK(f, "ListUserPolicies", "UserName", "bob");
	HAS(f, "<PolicyNames></PolicyNames>");
	CALL_OK(f, "DeleteUser", "UserName", "bob");
}

static void
test_inline_deny_takes_effect(void **state)
{
	struct fx *f = *state;

	/* an explicit deny put on the caller stops the next call */
	CALL_OK(f, "PutUserPolicy", "UserName", "admin", "PolicyName", "no",
	    "PolicyDocument", DOC_DENY);
	CALL_ERR(f, 403, "AccessDenied", "ListUsers");
	MSG_HAS(f, "explicit deny");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_get, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_bad, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_attach, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_versions, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_inline, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_inline_deny_takes_effect,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
