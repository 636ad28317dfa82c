/*
 * test_iam_keys.c - CreateAccessKey, ListAccessKeys, UpdateAccessKey,
 * DeleteAccessKey, GetAccessKeyLastUsed.
 */
#include "test_iam_fixture.h"

/* Copies the text of the first <tag> after `from` into out. */
static void
extract(const char *from, const char *tag, char *out, size_t outsz)
{
	char open[64];
	const char *p, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	assert_non_null(p = strstr(from, open));
	p += strlen(open);
	assert_non_null(e = strchr(p, '<'));
	assert_true((size_t)(e - p) < outsz);
	snprintf(out, outsz, "%.*s", (int)(e - p), p);
}

static void
test_create(void **state)
{
	struct fx *f = *state;
	char id[64], secret[128];
	size_t i;

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "CreateAccessKey", "UserName", "bob");
	HAS(f, "<AccessKey><UserName>bob</UserName><AccessKeyId>AKIA");
	HAS(f, "<Status>Active</Status><SecretAccessKey>");
	HAS(f, "</SecretAccessKey><CreateDate>");
	extract(xml(f), "AccessKeyId", id, sizeof(id));
	extract(xml(f), "SecretAccessKey", secret, sizeof(secret));
	assert_int_equal(strlen(id), 20);
	for (i = 4; i < 20; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
		    id[i]));
	assert_int_equal(strlen(secret), 40);
	CALL_OK(f, "ListAccessKeys", "UserName", "bob");
	HAS(f, "<AccessKeyMetadata><member><UserName>bob</UserName>");
	HAS(f, id);
	HAS_NOT(f, "Secret");
	HAS_NOT(f, secret);
	HAS(f, "<IsTruncated>false</IsTruncated>");
}

static void
test_caller_default_and_limit(void **state)
{
	struct fx *f = *state;

	CALL_OK(f, "CreateAccessKey");
	HAS(f, "<UserName>admin</UserName>");
	CALL_OK(f, "CreateAccessKey");
	CALL_ERR(f, 409, "LimitExceeded", "CreateAccessKey");
	assert_string_equal(f->resp.error_message,
	    "Cannot exceed quota for AccessKeysPerUser: 2");
	CALL_OK(f, "ListAccessKeys", "MaxItems", "1");
	HAS(f, "<IsTruncated>true</IsTruncated><Marker>1</Marker>");
	CALL_OK(f, "ListAccessKeys", "MaxItems", "1", "Marker", "1");
	HAS(f, "<IsTruncated>false</IsTruncated>");
	HAS(f, "<AccessKeyId>AKIA");
	CALL_ERR(f, 400, "InvalidInput", "ListAccessKeys", "Marker", "9");
	CALL_ERR(f, 404, "NoSuchEntity", "CreateAccessKey", "UserName",
	    "ghost");
	CALL_ERR(f, 404, "NoSuchEntity", "ListAccessKeys", "UserName",
	    "ghost");
}

static void
test_update_delete(void **state)
{
	struct fx *f = *state;
	char id[64];

	CALL_OK(f, "CreateUser", "UserName", "bob");
	CALL_OK(f, "CreateAccessKey", "UserName", "bob");
	extract(xml(f), "AccessKeyId", id, sizeof(id));
	CALL_ERR(f, 400, "ValidationError", "UpdateAccessKey", "UserName",
	    "bob", "AccessKeyId", id, "Status", "Paused");
	MSG_HAS(f, "[Active, Inactive]");
	CALL_ERR(f, 400, "ValidationError", "UpdateAccessKey", "UserName",
	    "bob", "AccessKeyId", "AKIA-bad-key-id-xyz", "Status", "Active");
	CALL_ERR(f, 400, "ValidationError", "UpdateAccessKey", "UserName",
	    "bob", "AccessKeyId", "AKIASHORT", "Status", "Active");
	CALL_ERR(f, 404, "NoSuchEntity", "UpdateAccessKey", "UserName",
	    "bob", "AccessKeyId", "AKIAAAAAAAAAAAAAAAAA", "Status",
	    "Inactive");
	assert_string_equal(f->resp.error_message, "The Access Key with id "
	    "AKIAAAAAAAAAAAAAAAAA cannot be found.");
	/* another user's key is not found through this user */
	CALL_ERR(f, 404, "NoSuchEntity", "UpdateAccessKey", "AccessKeyId", id,
	    "Status", "Inactive");
	CALL_OK(f, "UpdateAccessKey", "UserName", "bob", "AccessKeyId", id,
	    "Status", "Inactive");
	CALL_OK(f, "ListAccessKeys", "UserName", "bob");
	HAS(f, "<Status>Inactive</Status>");
	CALL_OK(f, "GetAccessKeyLastUsed", "AccessKeyId", id);
	HAS(f, "<UserName>bob</UserName><AccessKeyLastUsed>"
	    "<ServiceName>N/A</ServiceName><Region>N/A</Region>"
	    "</AccessKeyLastUsed>");
	CALL_ERR(f, 404, "NoSuchEntity", "GetAccessKeyLastUsed",
	    "AccessKeyId", "AKIAAAAAAAAAAAAAAAAA");
	CALL_ERR(f, 404, "NoSuchEntity", "DeleteAccessKey", "UserName",
	    "bob", "AccessKeyId", "AKIAAAAAAAAAAAAAAAAA");
	CALL_OK(f, "DeleteAccessKey", "UserName", "bob", "AccessKeyId", id);
	CALL_OK(f, "ListAccessKeys", "UserName", "bob");
	HAS_NOT(f, id);
}

static void
test_denied(void **state)
{
	struct fx *f = *state;

	f->caller = &f->nobody;
	CALL_ERR(f, 403, "AccessDenied", "CreateAccessKey");
	CALL_ERR(f, 403, "AccessDenied", "CreateAccessKey", "UserName",
	    "admin");
	CALL_ERR(f, 403, "AccessDenied", "ListAccessKeys");
	f->caller = &f->admin;
	CALL_OK(f, "ListAccessKeys", "UserName", "nobody");
	HAS(f, "<AccessKeyMetadata></AccessKeyMetadata>");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_caller_default_and_limit,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_update_delete, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_denied, fx_setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
