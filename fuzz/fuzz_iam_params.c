/*
 * fuzz_iam_params.c - the IAM parameter validators (iam_util.c): UTF-8
 * decoding, IAM's patterns and lengths, ValidationError text, list and
 * tag parameters, MaxItems/Marker pagination and policy ARN checks.
 * The first byte picks the pattern; the rest is the value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "server/iam/iam_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char n_value[] = "Value", n_max[] = "MaxItems", n_marker[] = "Marker",
    n_tag[] = "Tags.member.1.Key", n_list[] = "L.member.1";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wk_iam_field f = { "Value", "value", 1, 128, WK_IAM_PAT_ANY,
		true };
	struct wk_param pv[4];
	struct wk_params params = { pv, 0 };
	struct wk_server srv;
	struct wk_caller caller;
	struct wk_api_req req;
	struct wk_api_resp resp;
	struct wk_iam_page pg;
	struct wk_tag *tags = NULL;
	const char **list = NULL;
	const char *out;
	size_t n = 0;
	char *v;

	if (size < 1 || size > 4096)
		return 0;
	if ((v = malloc(size)) == NULL)
		return 0;
	memcpy(v, data + 1, size - 1);
	v[size - 1] = '\0';
	memset(&srv, 0, sizeof(srv));
	memcpy(srv.account_id, "123456789012", 13);
	memset(&caller, 0, sizeof(caller));
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.srv = &srv;
	req.caller = &caller;
	req.params = &params;

	f.pat = (enum wk_iam_pat)(data[0] % (WK_IAM_PAT_TAG + 1));
	f.min = data[0] & 0x80 ? 0 : 1;
	(void)wk_iam_check(&resp, &f, v);

	pv[0].name = n_value;
	pv[0].value = v;
	pv[1].name = n_max;
	pv[1].value = v;
	pv[2].name = n_marker;
	pv[2].value = v;
	pv[3].name = n_tag;
	pv[3].value = v;
	params.n = 4;
	(void)wk_iam_param(&req, &resp, &f, &out);
	memset(&resp, 0, sizeof(resp));
	if (wk_iam_page_params(&req, &resp, &pg) == 0)
		(void)wk_iam_page_slice(&resp, &pg, data[0]);
	(void)wk_iam_param_tags(&req, &resp, &tags, &n);
	wk_free(tags);
	pv[0].name = n_list;
	(void)wk_iam_param_list(&req, &resp, "L", &list, &n);
	wk_free(list);
	(void)wk_iam_check_policy_arn(&req, &resp, v, "was not found.");
	free(v);
	return 0;
}
