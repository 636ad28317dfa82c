/*
 * test_iam_users.c - CreateUser, GetUser, ListUsers, UpdateUser,
 * DeleteUser, and the parameter validation they share.
 */
#include "test_iam_fixture.h"

static void
test_create_get(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateUser", "UserName", "MyWorkshopUser");
	HAS(f, "<User><Path>/</Path><UserName>MyWorkshopUser</UserName>"
	    "<UserId>AIDA");
	HAS(f, "<Arn>arn:aws:iam::123456789012:user/MyWorkshopUser</Arn>"
	    "<CreateDate>");
	HAS(f, "Z</CreateDate></User>");
	CALL_OK(f, "GetUser", "UserName", "MyWorkshopUser");
	HAS(f, "<UserName>MyWorkshopUser</UserName>");
	HAS_NOT(f, "<Tags>");
	/* names are unique case-insensitively */
	CALL_ERR(f, 409, "EntityAlreadyExists", "CreateUser", "UserName",
	    "myworkshopuser");
	assert_string_equal(f->resp.error_message,
	    "User with name myworkshopuser already exists.");
}

static void
test_create_with_path_and_tags(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateUser", "UserName", "bob", "Path", "/eng/ops/",
	    "Tags.member.1.Key", "team", "Tags.member.1.Value", "ops");
	HAS(f, "<Path>/eng/ops/</Path>");
	HAS(f, "<Arn>arn:aws:iam::123456789012:user/eng/ops/bob</Arn>");
	HAS(f, "<Tags><member><Key>team</Key><Value>ops</Value></member>"
	    "</Tags>");
	CALL_OK(f, "GetUser", "UserName", "bob");
	HAS(f, "<Key>team</Key>");
}

static void
test_get_caller(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "GetUser");
	HAS(f, "<UserName>admin</UserName>");
	HAS(f, "<Arn>arn:aws:iam::123456789012:user/admin</Arn>");
}

static void
test_get_unknown(void **state)
{
	struct fx *f = *state;

	CALL_ERR(f, 404, "NoSuchEntity", "GetUser", "UserName", "ghost");
	assert_string_equal(f->resp.error_message,
	    "The user with name ghost cannot be found.");
}

static void
test_bad_names(void **state)
{
	struct fx *f = *state;
	char long_name[70];

	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName",
	    "bad name");
	assert_string_equal(f->resp.error_message, "1 validation error "
	    "detected: Value 'bad name' at 'userName' failed to satisfy "
	    "constraint: Member must satisfy regular expression pattern: "
	    "[\\w+=,.@-]+");
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName",
	    long_name);
	MSG_HAS(f, "Member must have length less than or equal to 64");
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName", "");
	MSG_HAS(f, "Member must have length greater than or equal to 1");
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "Path", "/");
	assert_string_equal(f->resp.error_message, "1 validation error "
	    "detected: Value null at 'userName' failed to satisfy "
	    "constraint: Member must not be null");
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName", "x\xc3",
	    "Path", "/");
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName", "caf\xc3"
	    "\xa9");
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName", "x",
	    "Path", "eng/");
	MSG_HAS(f, "at 'path'");
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName", "x",
	    "Path", "/eng");
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName", "x",
	    "Path", "//");
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName", "x",
	    "Tags.member.1.Key", "a*b", "Tags.member.1.Value", "v");
	CALL_ERR(f, 400, "InvalidInput", "CreateUser", "UserName", "x",
	    "Tags.member.1.Key", "aws:x", "Tags.member.1.Value", "v");
	/* control characters are not echoed raw */
	CALL_ERR(f, 400, "ValidationError", "CreateUser", "UserName",
	    "a\x01" "b");
	MSG_HAS(f, "'a?b'");
	/* nothing was created */
	CALL_OK(f, "ListUsers");
	HAS_NOT(f, "<UserName>x</UserName>");
	HAS_NOT(f, "bad name");
}

static void
test_list_pagination(void **state)
{
	struct fx *f = *state;
	char marker[400];
	const char *m, *e;

	CALL_OK(f, "CreateUser", "UserName", "u1", "Path", "/p/");
	CALL_OK(f, "CreateUser", "UserName", "u2", "Path", "/p/");
	CALL_OK(f, "CreateUser", "UserName", "u3", "Path", "/p/");
	CALL_OK(f, "ListUsers", "PathPrefix", "/p/");
	HAS(f, "<UserName>u1</UserName>");
	HAS(f, "<UserName>u3</UserName>");
	HAS_NOT(f, "<UserName>admin</UserName>");
	HAS(f, "<IsTruncated>false</IsTruncated>");
	CALL_OK(f, "ListUsers", "PathPrefix", "/p/", "MaxItems", "2");
	HAS(f, "<IsTruncated>true</IsTruncated><Marker>");
	assert_non_null(m = strstr(xml(f), "<Marker>"));
	m += strlen("<Marker>");
	assert_non_null(e = strstr(m, "</Marker>"));
	snprintf(marker, sizeof(marker), "%.*s", (int)(e - m), m);
	CALL_OK(f, "ListUsers", "PathPrefix", "/p/", "MaxItems", "2",
	    "Marker", marker);
	HAS(f, "<IsTruncated>false</IsTruncated>");
	HAS(f, "<UserName>u3</UserName>");
	HAS_NOT(f, "<UserName>u1</UserName>");
	CALL_ERR(f, 400, "ValidationError", "ListUsers", "MaxItems", "0");
	MSG_HAS(f, "greater than or equal to 1");
	CALL_ERR(f, 400, "ValidationError", "ListUsers", "MaxItems", "1001");
	CALL_ERR(f, 400, "ValidationError", "ListUsers", "MaxItems", "-1");
	CALL_ERR(f, 400, "ValidationError", "ListUsers", "MaxItems", "ten");
	CALL_ERR(f, 400, "ValidationError", "ListUsers", "PathPrefix", "p");
}

static void
test_update(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateUser", "UserName", "old");
	CALL_OK(f, "CreateUser", "UserName", "taken");
	CALL_ERR(f, 409, "EntityAlreadyExists", "UpdateUser", "UserName",
	    "old", "NewUserName", "taken");
	CALL_ERR(f, 404, "NoSuchEntity", "UpdateUser", "UserName", "ghost",
	    "NewUserName", "x");
	CALL_ERR(f, 400, "ValidationError", "UpdateUser", "UserName", "old",
	    "NewUserName", "a b");
	CALL_OK(f, "UpdateUser", "UserName", "old", "NewUserName", "new",
	    "NewPath", "/x/");
	assert_string_equal(xml(f), "");
	CALL_OK(f, "GetUser", "UserName", "new");
	HAS(f, "<Arn>arn:aws:iam::123456789012:user/x/new</Arn>");
	CALL_ERR(f, 404, "NoSuchEntity", "GetUser", "UserName", "old");
}

static void
test_delete(void **state)
{
	struct fx *f = *state;
	const char *p, *e;
	char id[64];

	CALL_OK(f, "CreateUser", "UserName", "gone");
	CALL_OK(f, "CreateAccessKey", "UserName", "gone");
	assert_non_null(p = strstr(xml(f), "<AccessKeyId>"));
	p += strlen("<AccessKeyId>");
	assert_non_null(e = strchr(p, '<'));
	snprintf(id, sizeof(id), "%.*s", (int)(e - p), p);
	CALL_ERR(f, 409, "DeleteConflict", "DeleteUser", "UserName", "gone");
	assert_string_equal(f->resp.error_message,
	    "Cannot delete entity, must delete access keys first.");
	CALL_OK(f, "DeleteAccessKey", "UserName", "gone", "AccessKeyId", id);
	CALL_OK(f, "DeleteUser", "UserName", "gone");
	CALL_ERR(f, 404, "NoSuchEntity", "DeleteUser", "UserName", "gone");
	CALL_ERR(f, 404, "NoSuchEntity", "GetUser", "UserName", "gone");
}

static void
test_denied(void **state)
{
	struct fx *f = *state;

	f->caller = &f->nobody;
	CALL_ERR(f, 403, "AccessDenied", "CreateUser", "UserName", "sneaky");
	MSG_HAS(f, "iam:CreateUser");
	/* denied before revealing whether the user exists */
	CALL_ERR(f, 403, "AccessDenied", "GetUser", "UserName", "ghost");
	CALL_ERR(f, 403, "AccessDenied", "DeleteUser", "UserName", "admin");
	CALL_ERR(f, 403, "AccessDenied", "ListUsers");
	f->caller = &f->admin;
	CALL_ERR(f, 404, "NoSuchEntity", "GetUser", "UserName", "sneaky");
	CALL_OK(f, "GetUser", "UserName", "admin");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_get, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_with_path_and_tags,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_get_caller, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_get_unknown, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_list_pagination, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_update, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_delete, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_denied, fx_setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
