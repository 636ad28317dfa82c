/*
 * test_iam_simulate.c - SimulatePrincipalPolicy and SimulateCustomPolicy.
 */
#include "test_iam_fixture.h"

#define USER_ARN "arn:aws:iam::123456789012:user/bob"
#define INST "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"
#define DOC_OSUSER "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":" \
	"\"ssh\",\"Effect\":\"Allow\",\"Action\":" \
	"\"ec2-instance-connect:SendSSHPublicKey\",\"Resource\":\"*\"," \
	"\"Condition\":{\"StringEquals\":{\"ec2:osuser\":\"ubuntu\"}}}]}"
#define DOC_DENY_ROOT "{\"Version\":\"2012-10-17\",\"Statement\":[{" \
	"\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"," \
	"\"Condition\":{\"StringEquals\":{\"ec2:osuser\":\"root\"}}}]}"

static void
test_principal(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "PutUserPolicy", "UserName", "bob", "PolicyName", "ssh",
	    "PolicyDocument", DOC_OSUSER);
	CALL_OK(f, "SimulatePrincipalPolicy", "PolicySourceArn", USER_ARN,
	    "ActionNames.member.1", "ec2-instance-connect:SendSSHPublicKey",
	    "ResourceArns.member.1", INST,
	    "ContextEntries.member.1.ContextKeyName", "ec2:osuser",
	    "ContextEntries.member.1.ContextKeyValues.member.1", "ubuntu",
	    "ContextEntries.member.1.ContextKeyType", "string");
	HAS(f, "<EvaluationResults><member><EvalActionName>"
	    "ec2-instance-connect:SendSSHPublicKey</EvalActionName>"
	    "<EvalResourceName>" INST "</EvalResourceName><EvalDecision>"
	    "allowed</EvalDecision><MatchedStatements><member>"
	    "<SourcePolicyId>ssh</SourcePolicyId><SourcePolicyType>user"
	    "</SourcePolicyType><StartPosition><Line>1</Line><Column>38"
	    "</Column></StartPosition><EndPosition><Line>1</Line><Column>");
	HAS(f, "</Column></EndPosition></member></MatchedStatements>");
	HAS(f, "<IsTruncated>false</IsTruncated>");
	CALL_OK(f, "SimulatePrincipalPolicy", "PolicySourceArn", USER_ARN,
	    "ActionNames.member.1", "ec2-instance-connect:SendSSHPublicKey",
	    "ActionNames.member.2", "iam:CreateUser",
	    "ContextEntries.member.1.ContextKeyName", "ec2:osuser",
	    "ContextEntries.member.1.ContextKeyValues.member.1", "root",
	    "ContextEntries.member.1.ContextKeyType", "string");
	HAS(f, "<EvalResourceName>*</EvalResourceName><EvalDecision>"
	    "implicitDeny</EvalDecision><MatchedStatements>"
	    "</MatchedStatements>");
	HAS(f, "<EvalActionName>iam:CreateUser</EvalActionName>");
	HAS_NOT(f, "allowed");
	/* PolicyInputList is added to the user's policies */
	CALL_OK(f, "SimulatePrincipalPolicy", "PolicySourceArn", USER_ARN,
	    "ActionNames.member.1", "ec2-instance-connect:SendSSHPublicKey",
	    "PolicyInputList.member.1", DOC_DENY_ROOT,
	    "ContextEntries.member.1.ContextKeyName", "ec2:osuser",
	    "ContextEntries.member.1.ContextKeyValues.member.1", "root",
	    "ContextEntries.member.1.ContextKeyValues.member.2", "ubuntu",
	    "ContextEntries.member.1.ContextKeyType", "stringList");
	HAS(f, "<EvalDecision>explicitDeny</EvalDecision>");
	HAS(f, "<SourcePolicyId>PolicyInputList.1</SourcePolicyId>");
	/* pagination over action x resource */
	CALL_OK(f, "SimulatePrincipalPolicy", "PolicySourceArn", USER_ARN,
	    "ActionNames.member.1", "s3:GetObject", "ActionNames.member.2",
	    "s3:PutObject", "MaxItems", "1");
	HAS(f, "<EvalActionName>s3:GetObject</EvalActionName>");
	HAS(f, "<IsTruncated>true</IsTruncated><Marker>1</Marker>");
	CALL_OK(f, "SimulatePrincipalPolicy", "PolicySourceArn", USER_ARN,
	    "ActionNames.member.1", "s3:GetObject", "ActionNames.member.2",
	    "s3:PutObject", "MaxItems", "1", "Marker", "1");
	HAS(f, "<EvalActionName>s3:PutObject</EvalActionName>");
	HAS(f, "<IsTruncated>false</IsTruncated>");
}

/* The condition keys a statement naming the action needs, when absent. */
static void
test_missing_context(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "PutUserPolicy", "UserName", "bob", "PolicyName", "ssh",
	    "PolicyDocument", DOC_OSUSER);
	CALL_OK(f, "SimulatePrincipalPolicy", "PolicySourceArn", USER_ARN,
	    "ActionNames.member.1", "ec2-instance-connect:SendSSHPublicKey",
	    "ActionNames.member.2", "iam:GetUser",
	    "PolicyInputList.member.1", DOC_DENY_ROOT);
	HAS(f, "<EvalDecision>implicitDeny</EvalDecision><MatchedStatements>"
	    "</MatchedStatements><MissingContextValues><member>ec2:osuser"
	    "</member></MissingContextValues></member>");
	/* listed once although two statements name it (case-insensitively) */
	HAS_NOT(f, "</member><member>ec2:osuser");
	/* iam:GetUser: only the Deny on "*" names it */
	HAS(f, "<EvalActionName>iam:GetUser</EvalActionName>");
	/* supplied (any case): not missing */
	CALL_OK(f, "SimulatePrincipalPolicy", "PolicySourceArn", USER_ARN,
	    "ActionNames.member.1", "ec2-instance-connect:SendSSHPublicKey",
	    "ContextEntries.member.1.ContextKeyName", "EC2:OsUser",
	    "ContextEntries.member.1.ContextKeyValues.member.1", "ubuntu");
	HAS(f, "<EvalDecision>allowed</EvalDecision>");
	HAS(f, "<MissingContextValues></MissingContextValues>");
	/* a statement for other actions contributes nothing */
	CALL_OK(f, "SimulateCustomPolicy", "PolicyInputList.member.1",
	    DOC_OSUSER, "ActionNames.member.1", "s3:GetObject");
	HAS(f, "<MissingContextValues></MissingContextValues>");
	HAS_NOT(f, "ec2:osuser");
	/* NotAction: keys count for the actions it does not list */
	CALL_OK(f, "SimulateCustomPolicy", "PolicyInputList.member.1",
	    "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":"
	    "\"Allow\",\"NotAction\":\"S3:*\",\"Resource\":\"*\","
	    "\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"true\"},"
	    "\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/8\"}}}}",
	    "ActionNames.member.1", "s3:GetObject", "ActionNames.member.2",
	    "ec2:DescribeInstances");
	HAS(f, "<EvalActionName>s3:GetObject</EvalActionName><EvalResourceName>"
	    "*</EvalResourceName><EvalDecision>implicitDeny</EvalDecision>"
	    "<MatchedStatements></MatchedStatements><MissingContextValues>"
	    "</MissingContextValues>");
	HAS(f, "<MissingContextValues><member>aws:SecureTransport</member>"
	    "<member>aws:SourceIp</member></MissingContextValues>");
}

static void
test_principal_bad(void **state)
{
	struct fx *f = *state;

	CALL_ERR(f, 404, "NoSuchEntity", "SimulatePrincipalPolicy",
	    "PolicySourceArn", USER_ARN, "ActionNames.member.1", "s3:Get");
	CALL_ERR(f, 400, "InvalidInput", "SimulatePrincipalPolicy",
	    "PolicySourceArn", "arn:aws:iam::999999999999:user/bob",
	    "ActionNames.member.1", "s3:Get");
	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_ERR(f, 400, "ValidationError", "SimulatePrincipalPolicy",
	    "PolicySourceArn", USER_ARN);
	CALL_ERR(f, 400, "ValidationError", "SimulatePrincipalPolicy",
	    "PolicySourceArn", USER_ARN, "ActionNames.member.1", "s3");
	CALL_ERR(f, 400, "ValidationError", "SimulatePrincipalPolicy",
	    "PolicySourceArn", USER_ARN, "ActionNames.member.1", "s3:Get",
	    "ContextEntries.member.1.ContextKeyName", "ec2:osuser",
	    "ContextEntries.member.1.ContextKeyType", "strung");
	CALL_ERR(f, 400, "InvalidInput", "SimulatePrincipalPolicy",
	    "PolicySourceArn", USER_ARN, "ActionNames.member.1", "s3:Get",
	    "PolicyInputList.member.1", "{nope");
	f->caller = &f->nobody;
	CALL_ERR(f, 403, "AccessDenied", "SimulatePrincipalPolicy",
	    "PolicySourceArn", USER_ARN, "ActionNames.member.1", "s3:Get");
}

static void
test_custom(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "SimulateCustomPolicy", "PolicyInputList.member.1",
	    DOC_OSUSER, "ActionNames.member.1",
	    "ec2-instance-connect:SendSSHPublicKey",
	    "ContextEntries.member.1.ContextKeyName", "ec2:osuser",
	    "ContextEntries.member.1.ContextKeyValues.member.1", "ubuntu");
	HAS(f, "<EvalDecision>allowed</EvalDecision>");
	HAS(f, "<SourcePolicyId>PolicyInputList.1</SourcePolicyId>"
	    "<SourcePolicyType>none</SourcePolicyType>");
	CALL_ERR(f, 400, "ValidationError", "SimulateCustomPolicy",
	    "ActionNames.member.1", "s3:GetObject");
}

static void
test_statement_position(void **state)
{
	struct wk_iam_pos a, b;
	const char *doc = "{\n  \"Version\": \"2012-10-17\",\n"
	    "  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": "
	    "\"a:b\", \"Resource\": \"*\"},\n    {\n      \"Sid\": "
	    "\"x]}\\\"\",\n      \"Effect\": \"Deny\"\n    }\n  ]\n}\n";

	(void)state;
	assert_int_equal(wk_iam_statement_position(doc, 0, &a, &b), 0);
	assert_int_equal(a.line, 4);
	assert_int_equal(a.column, 5);
	assert_int_equal(b.line, 4);
	assert_int_equal(b.column, 57);
	/* brackets and escaped quotes inside strings do not count */
	assert_int_equal(wk_iam_statement_position(doc, 1, &a, &b), 0);
	assert_int_equal(a.line, 5);
	assert_int_equal(a.column, 5);
	assert_int_equal(b.line, 8);
	assert_int_equal(b.column, 5);
	assert_int_equal(wk_iam_statement_position(doc, 2, &a, &b),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_iam_statement_position(doc, -1, &a, &b),
	    WK_ERR_NOTFOUND);
	/* a single Statement object, after other members */
	assert_int_equal(wk_iam_statement_position("{\"Id\":[1,{\"a\":2}],"
	    "\"Version\":true,\"Statement\":{\"Effect\":\"Allow\"}}", 0,
	    &a, &b), 0);
	assert_int_equal(a.column, 46);
	assert_int_equal(b.column, 63);
	/* broken or truncated text: not found, never a crash */
	assert_int_equal(wk_iam_statement_position("", 0, &a, &b),
	    WK_ERR_NOTFOUND);
	assert_int_equal(wk_iam_statement_position("{\"Statement\":[{\"a\":",
	    0, &a, &b), WK_ERR_NOTFOUND);
	assert_int_equal(wk_iam_statement_position("{\"Statement\":\"x\"}",
	    0, &a, &b), WK_ERR_NOTFOUND);
	assert_int_equal(wk_iam_statement_position("{\"S\":\"x\\", 0, &a,
	    &b), WK_ERR_NOTFOUND);
	assert_int_equal(wk_iam_statement_position("[{}]", 0, &a, &b),
	    WK_ERR_NOTFOUND);
}

/* Failing the Nth allocation makes a call fail cleanly, never crash/leak. */
static void
test_alloc_failures(void **state)
{
	struct fx *f = *state;
	long n;
	int r;

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "PutUserPolicy", "UserName", "bob", "PolicyName", "ssh",
	    "PolicyDocument", DOC_OSUSER);
	for (n = 0; n < 400; n++) {
		wk_alloc_fail_after(n);
		r = call(f, "SimulatePrincipalPolicy", "PolicySourceArn",
		    USER_ARN, "ActionNames.member.1", "s3:GetObject",
		    "ActionNames.member.2", "ec2-instance-connect:Send",
		    "PolicyInputList.member.1", DOC_DENY_ROOT,
		    "ContextEntries.member.1.ContextKeyName", "ec2:osuser",
		    "ContextEntries.member.1.ContextKeyValues.member.1",
		    "root", NULL);
		wk_alloc_fail_after(-1);
		if (r == 0)
			break;
	}
	assert_int_equal(r, 0);
	HAS(f, "<EvalDecision>explicitDeny</EvalDecision>");
	for (n = 0; n < 400; n++) {
		wk_alloc_fail_after(n);
		r = call(f, "GetPolicyVersion", "PolicyArn",
		    "arn:aws:iam::123456789012:policy/none", "VersionId", "v1",
		    NULL);
		wk_alloc_fail_after(-1);
		if (r != 0 && strcmp(f->resp.error_code, "NoSuchEntity") == 0)
			break;
	}
	assert_string_equal(f->resp.error_code, "NoSuchEntity");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_principal, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_context,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_principal_bad, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_custom, fx_setup,
		    fx_teardown),
		cmocka_unit_test(test_statement_position),
		cmocka_unit_test_setup_teardown(test_alloc_failures, fx_setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
