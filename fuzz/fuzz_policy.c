/*
 * fuzz_policy.c - libFuzzer target for the policy grammar and evaluator:
 * parse the input as a policy document; when it parses, evaluate it
 * against a few fixed requests.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "iam/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wk_ctx *
fixed_ctx(void)
{
	static struct wk_ctx *ctx;

	if (ctx != NULL)
		return ctx;
	if (wk_ctx_new(&ctx) != 0)
		return NULL;
	(void)wk_ctx_add(ctx, "aws:username", "alice");
	(void)wk_ctx_add(ctx, "aws:userid", "AIDAEXAMPLE");
	(void)wk_ctx_add(ctx, "ec2:osuser", "ubuntu");
	(void)wk_ctx_add(ctx, "aws:SourceIp", "10.1.2.3");
	(void)wk_ctx_add(ctx, "aws:CurrentTime", "2026-01-01T00:00:00Z");
	(void)wk_ctx_add(ctx, "aws:EpochTime", "1767225600");
	(void)wk_ctx_add(ctx, "aws:SecureTransport", "true");
	(void)wk_ctx_add(ctx, "aws:TagKeys", "env");
	(void)wk_ctx_add(ctx, "aws:TagKeys", "team*");
	(void)wk_ctx_add(ctx, "aws:PrincipalTag/team", "a:b*?\\${x}");
	(void)wk_ctx_add(ctx, "a:n", "-12.5");
	return ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *action, *resource;
	} reqs[] = {
		{ "ec2-instance-connect:SendSSHPublicKey",
		    "arn:aws:ec2:us-east-1:123456789012:instance/i-0123" },
		{ "s3:GetObject", "arn:aws:s3:::bucket/alice/k:e*y" },
		{ "IAM:GetUser", "arn:aws:iam::123456789012:user/alice" },
		{ "x", "arn" },
	};
	struct wk_policy *p = NULL;
	struct wk_decision_detail d;
	char err[256];
	size_t i;

	if (wk_policy_parse(wk_span_from_mem(data, size), 0, &p, err,
	    sizeof(err)) != 0)
		return 0;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct wk_policy_ref ref = { p, "fuzz" };
		struct wk_authz_request req = { reqs[i].action,
			reqs[i].resource, fixed_ctx() };

		(void)wk_policy_evaluate(&ref, 1, &req, &d);
	}
	wk_policy_free(p);
	return 0;
}
