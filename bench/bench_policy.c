/*
 * bench_policy.c - decisions per second of the policy engine.
 *
 * Parses 10 policies of 10 statements each (actions with and without
 * wildcards, resources with wildcards, StringEquals / StringLike /
 * IpAddress conditions, one policy variable per policy), then evaluates a
 * rotating set of requests against all ten for about two seconds.
 *
 *   gcc -O2 -std=c17 -I src bench/bench_policy.c src/iam/(all .c) \
 *       src/common/(all .c) $(pkg-config --cflags --libs jansson libcrypto) \
 *       -o /tmp/bench_policy && /tmp/bench_policy
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/time.h"
#include "iam/policy.h"

#define NPOL 10
#define NSTMT 10
#define NREQ 8

static const char *const actions[] = {
	"\"ec2-instance-connect:SendSSHPublicKey\"",
	"[\"ec2:Describe*\", \"ec2:Get*\"]",
	"\"s3:GetObject\"",
	"[\"iam:Get*\", \"iam:List*\", \"sts:GetCallerIdentity\"]",
	"\"ec2-instance-connect:*\"",
};

static const char *const resources[] = {
	"\"arn:aws:ec2:us-east-1:123456789012:instance/i-0%d*\"",
	"\"arn:aws:ec2:*:123456789012:instance/*\"",
	"[\"arn:aws:s3:::bucket-%d/*\", \"arn:aws:s3:::bucket-%d\"]",
	"\"arn:aws:iam::123456789012:user/${aws:username}\"",
	"\"*\"",
};

static const char *const conds[] = {
	"",
	",\"Condition\":{\"StringEquals\":{\"ec2:osuser\":[\"ubuntu\","
	    "\"ec2-user\"]}}",
	",\"Condition\":{\"StringLike\":{\"aws:username\":\"team%d-*\"}}",
	",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":[\"10.%d.0.0/16\","
	    "\"2001:db8::/32\"]}}",
	",\"Condition\":{\"StringEquals\":{\"ec2:osuser\":\"ubuntu\"},"
	    "\"IpAddress\":{\"aws:SourceIp\":\"192.168.0.0/16\"}}",
};

static char *
make_policy(int pi)
{
	static char buf[8192];
	char stmt[1024], res[256], cond[512];
	size_t off = 0;
	int si, k;

	off += (size_t)snprintf(buf + off, sizeof(buf) - off,
	    "{\"Version\":\"2012-10-17\",\"Statement\":[");
	for (si = 0; si < NSTMT; si++) {
		k = pi + si;
		/* The formats come from the fixed tables above. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(res, sizeof(res), resources[k % 5], si, pi, pi);
		snprintf(cond, sizeof(cond), conds[(k / 2) % 5], pi);
#pragma GCC diagnostic pop
		snprintf(stmt, sizeof(stmt),
		    "%s{\"Sid\":\"S%d\",\"Effect\":\"%s\",\"Action\":%s,"
		    "\"Resource\":%s%s}", si ? "," : "", si,
		    (si == 9 && pi == 9) ? "Deny" : "Allow", actions[k % 5],
		    res, cond);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s",
		    stmt);
	}
	snprintf(buf + off, sizeof(buf) - off, "]}");
	return buf;
}

int
main(void)
{
	static const char *const req_actions[NREQ] = {
		"ec2-instance-connect:SendSSHPublicKey",
		"ec2:DescribeInstances", "s3:PutObject", "iam:ListUsers",
		"ec2-instance-connect:SendSSHPublicKey", "sts:AssumeRole",
		"s3:GetObject", "ec2:RunInstances",
	};
	static const char *const req_res[NREQ] = {
		"arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcde",
		"arn:aws:ec2:eu-west-1:123456789012:instance/i-0fedcba98765432",
		"arn:aws:s3:::bucket-3/some/key",
		"arn:aws:iam::123456789012:user/alice",
		"arn:aws:ec2:us-west-2:999999999999:instance/i-0aaaaaaaaaaaaaa",
		"arn:aws:iam::123456789012:role/admin",
		"arn:aws:s3:::bucket-7/x",
		"arn:aws:ec2:us-east-1:123456789012:instance/i-0bbbbbbbbbbbbbb",
	};
	struct wk_policy *pols[NPOL];
	struct wk_policy_ref refs[NPOL];
	struct wk_ctx *ctx[2];
	struct wk_decision_detail d;
	char err[256];
	uint64_t t0, t1, n = 0, allowed = 0;
	int i;

	for (i = 0; i < NPOL; i++) {
		const char *doc = make_policy(i);

		if (wk_policy_parse(wk_span_from_cstr(doc), 0, &pols[i], err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "policy %d: %s\n%s\n", i, err, doc);
			return 1;
		}
		refs[i].policy = pols[i];
		refs[i].source = "bench";
	}
	for (i = 0; i < 2; i++) {
		if (wk_ctx_new(&ctx[i]) != 0)
			return 1;
		wk_ctx_add(ctx[i], "aws:username", i ? "team3-bob" : "alice");
		wk_ctx_add(ctx[i], "aws:userid", "AIDAEXAMPLE");
		wk_ctx_add(ctx[i], "ec2:osuser", i ? "root" : "ubuntu");
		wk_ctx_add(ctx[i], "aws:SourceIp", i ? "10.3.4.5" :
		    "192.168.1.10");
		wk_ctx_add(ctx[i], "aws:CurrentTime", "2026-01-01T00:00:00Z");
		wk_ctx_add(ctx[i], "aws:SecureTransport", "true");
	}
	t0 = wk_mono_ms();
	do {
		for (i = 0; i < 1000; i++) {
			struct wk_authz_request req = {
				req_actions[(n + (uint64_t)i) % NREQ],
				req_res[(n + (uint64_t)i) % NREQ],
				ctx[((n + (uint64_t)i) / NREQ) % 2],
			};

			if (wk_policy_evaluate(refs, NPOL, &req, &d) != 0)
				return 1;
			allowed += d.decision == WK_DECISION_ALLOW;
		}
		n += 1000;
		t1 = wk_mono_ms();
	} while (t1 - t0 < 2000);
	printf("decisions: %llu in %llu ms (allowed %llu)\n",
	    (unsigned long long)n, (unsigned long long)(t1 - t0),
	    (unsigned long long)allowed);
	printf("decisions/s: %llu\n",
	    (unsigned long long)(n * 1000 / (t1 - t0)));
	for (i = 0; i < NPOL; i++)
		wk_policy_free(pols[i]);
	wk_ctx_free(ctx[0]);
	wk_ctx_free(ctx[1]);
	return 0;
}
