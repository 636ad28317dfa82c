// iam_sts_calls.mjs - every IAM and STS action wicketd serves, called the
// way a program does, and each reply checked against AWS's service model
// (model_check.mjs). Prints one JSON line per call:
// {op, ok, code, status, problems: [...]}.
//
//   node iam_sts_calls.mjs sdk SUFFIX   through the SDK for JavaScript v3
//   node iam_sts_calls.mjs cli SUFFIX   through the AWS CLI (--cli-input-json)
//   node iam_sts_calls.mjs paginate SUFFIX   the SDK's paginators, page size 2
//   node iam_sts_calls.mjs denied SUFFIX     as a caller with no policy
// SUFFIX keeps the names of one run apart from another's.
import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import * as iam from "@aws-sdk/client-iam";
import * as sts from "@aws-sdk/client-sts";
import { checkResult, checkXml, models, opSchema, members } from "./model_check.mjs";

// Keeps the raw body of the last reply, for checkXml.
let lastRaw = null;
class CapturingHandler extends NodeHttpHandler {
	async handle(request, options) {
		const { response } = await super.handle(request, options);
		const chunks = [];
		for await (const c of response.body)
			chunks.push(c);
		const buf = Buffer.concat(chunks);
		lastRaw = { status: response.statusCode, text: buf.toString("utf8") };
		response.body = Readable.from([buf]);
		return { response };
	}
}

const [mode, S] = process.argv.slice(2);
const clients = {
	iam: new iam.IAMClient({ requestHandler: new CapturingHandler() }),
	sts: new sts.STSClient({ requestHandler: new CapturingHandler() }),
};
const saved = {};

function kebab(op) {
	return op.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

async function viaSdk(svc, op, input) {
	const Cmd = models[svc][op + "Command"];
	try {
		const out = await clients[svc].send(new Cmd(input));
		delete out.$metadata;
		return { ok: true, out };
	} catch (e) {
		return { ok: false, code: e.Error?.Code || e.name,
		    status: e.$metadata?.httpStatusCode ?? null, message: e.message };
	}
}

function viaCli(svc, op, input) {
	const args = [svc, kebab(op), "--cli-input-json", JSON.stringify(input),
	    "--endpoint-url", process.env.AWS_ENDPOINT_URL, "--output", "json"];
	try {
		const text = execFileSync(process.env.AWS || "/usr/bin/aws", args,
		    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
		return { ok: true, out: text.trim() === "" ? {} : JSON.parse(text) };
	} catch (e) {
		const err = String(e.stderr || "");
		const m = err.match(/An error occurred \(([^)]+)\) when calling/);
		return { ok: false, code: m ? m[1] : "unparsed: " + err.trim().slice(0, 200),
		    status: null, message: err.trim() };
	}
}

let failed = 0;
async function call(svc, op, input, expect = "ok") {
	// the input must have what the model requires (a bug in this script otherwise)
	for (const m of members(opSchema(svc, op).input))
		if (m.required && input[m.name] === undefined)
			throw new Error(`${op}: the test omits required ${m.name}`);
	const res = mode === "cli" ? viaCli(svc, op, input) : await viaSdk(svc, op, input);
	const problems = checkResult(svc, op, res, mode === "cli");
	if (mode !== "cli" && lastRaw)
		problems.push(...checkXml(svc, op, lastRaw.status, lastRaw.text));
	lastRaw = null;
	const got = res.ok ? "ok" : res.code;
	const want = expect === "ok" ? "ok" : expect;
	if (got !== want && !(mode !== "cli" && got === want.replace(/(Exception)?$/, "Exception")))
		problems.push(`${op}: expected ${want}, got ${got}${res.ok ? "" : ": " + res.message}`);
	if (problems.length)
		failed++;
	console.log(JSON.stringify({ op, ok: res.ok, code: res.code ?? null,
	    status: res.status ?? null, problems }));
	return res.ok ? res.out : null;
}

const ACCT = process.env.WK_ACCOUNT || "123456789012";
const doc = (action) => JSON.stringify({ Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });
const U = `u-${S}`, G = `g-${S}`, P = `p-${S}`;
const PARN = `arn:aws:iam::${ACCT}:policy/${P}`;

async function everyAction() {
	await call("sts", "GetCallerIdentity", {});
	await call("iam", "CreateUser", { UserName: U, Tags: [{ Key: "team", Value: "blue" }] });
	await call("iam", "CreateUser", { UserName: U }, "EntityAlreadyExists");
	await call("iam", "GetUser", { UserName: U });
	await call("iam", "GetUser", {});
	await call("iam", "GetUser", { UserName: `nosuch-${S}` }, "NoSuchEntity");
	await call("iam", "ListUsers", {});
	await call("iam", "UpdateUser", { UserName: U, NewPath: "/eng/" });
	await call("iam", "TagUser", { UserName: U, Tags: [{ Key: "env", Value: "dev" }] });
	await call("iam", "ListUserTags", { UserName: U });
	await call("iam", "UntagUser", { UserName: U, TagKeys: ["env"] });
	await call("iam", "CreateGroup", { GroupName: G });
	await call("iam", "GetGroup", { GroupName: G });
	await call("iam", "ListGroups", {});
	await call("iam", "AddUserToGroup", { GroupName: G, UserName: U });
	await call("iam", "ListGroupsForUser", { UserName: U });
	await call("iam", "CreatePolicy", { PolicyName: P, PolicyDocument: doc("iam:GetUser"),
	    Description: "a test policy" });
	await call("iam", "CreatePolicy", { PolicyName: `bad-${S}`, PolicyDocument: "{" },
	    "MalformedPolicyDocument");
	await call("iam", "GetPolicy", { PolicyArn: PARN });
	await call("iam", "ListPolicies", { Scope: "Local" });
	await call("iam", "CreatePolicyVersion", { PolicyArn: PARN,
	    PolicyDocument: doc("iam:ListUsers"), SetAsDefault: true });
	await call("iam", "GetPolicyVersion", { PolicyArn: PARN, VersionId: "v2" });
	await call("iam", "ListPolicyVersions", { PolicyArn: PARN });
	await call("iam", "SetDefaultPolicyVersion", { PolicyArn: PARN, VersionId: "v1" });
	await call("iam", "DeletePolicyVersion", { PolicyArn: PARN, VersionId: "v2" });
	await call("iam", "AttachUserPolicy", { UserName: U, PolicyArn: PARN });
	await call("iam", "ListAttachedUserPolicies", { UserName: U });
	await call("iam", "AttachGroupPolicy", { GroupName: G, PolicyArn: PARN });
	await call("iam", "ListAttachedGroupPolicies", { GroupName: G });
	await call("iam", "ListEntitiesForPolicy", { PolicyArn: PARN });
	await call("iam", "DeletePolicy", { PolicyArn: PARN }, "DeleteConflict");
	await call("iam", "PutUserPolicy", { UserName: U, PolicyName: "inline",
	    PolicyDocument: doc("ec2:DescribeInstances") });
	await call("iam", "GetUserPolicy", { UserName: U, PolicyName: "inline" });
	await call("iam", "ListUserPolicies", { UserName: U });
	await call("iam", "PutGroupPolicy", { GroupName: G, PolicyName: "inline",
	    PolicyDocument: doc("ec2:DescribeInstances") });
	await call("iam", "GetGroupPolicy", { GroupName: G, PolicyName: "inline" });
	await call("iam", "ListGroupPolicies", { GroupName: G });
	const key = await call("iam", "CreateAccessKey", { UserName: U });
	const akid = key ? key.AccessKey.AccessKeyId : "AKIAAAAAAAAAAAAAAAAA";
	await call("iam", "ListAccessKeys", { UserName: U });
	await call("iam", "UpdateAccessKey", { UserName: U, AccessKeyId: akid, Status: "Inactive" });
	await call("iam", "GetAccessKeyLastUsed", { AccessKeyId: akid });
	await call("iam", "DeleteAccessKey", { UserName: U, AccessKeyId: akid });
	await call("iam", "CreateLoginProfile", { UserName: U, Password: "Corr3ct-Horse-Battery" });
	await call("iam", "GetLoginProfile", { UserName: U });
	await call("iam", "UpdateLoginProfile", { UserName: U, Password: "Staple-2-Horse-Battery" });
	await call("iam", "DeleteLoginProfile", { UserName: U });
	await call("iam", "SimulatePrincipalPolicy", {
	    PolicySourceArn: `arn:aws:iam::${ACCT}:user/eng/${U}`,
	    ActionNames: ["iam:GetUser", "iam:DeleteUser"] });
	await call("iam", "SimulateCustomPolicy", { PolicyInputList: [doc("iam:GetUser")],
	    ActionNames: ["iam:GetUser", "iam:DeleteUser"] });
	await call("iam", "DetachUserPolicy", { UserName: U, PolicyArn: PARN });
	await call("iam", "DetachGroupPolicy", { GroupName: G, PolicyArn: PARN });
	await call("iam", "DeleteUserPolicy", { UserName: U, PolicyName: "inline" });
	await call("iam", "DeleteGroupPolicy", { GroupName: G, PolicyName: "inline" });
	await call("iam", "RemoveUserFromGroup", { GroupName: G, UserName: U });
	await call("iam", "DeleteGroup", { GroupName: G });
	await call("iam", "DeletePolicy", { PolicyArn: PARN });
	await call("iam", "DeleteUser", { UserName: U });
	await call("iam", "DeleteUser", { UserName: U }, "NoSuchEntity");
}

// Each list the SDK can page through, with page size 2 over 5 items.
async function paginate() {
	const N = 5, pre = `/pg${S}/`;
	const pu = `pu-${S}`, pg = `pg-${S}`, pp = `arn:aws:iam::${ACCT}:policy${pre}pp-${S}-0`;
	for (let i = 0; i < N; i++) {
		await call("iam", "CreateUser", { UserName: `${pu}-${i}`, Path: pre });
		await call("iam", "CreateGroup", { GroupName: `${pg}-${i}`, Path: pre });
		await call("iam", "CreatePolicy", { PolicyName: `pp-${S}-${i}`, Path: pre,
		    PolicyDocument: doc("iam:GetUser") });
		await call("iam", "AddUserToGroup", { GroupName: `${pg}-${i}`, UserName: `${pu}-0` });
		await call("iam", "AddUserToGroup", { GroupName: `${pg}-0`, UserName: `${pu}-${i}` });
		await call("iam", "AttachUserPolicy", { UserName: `${pu}-0`,
		    PolicyArn: `arn:aws:iam::${ACCT}:policy${pre}pp-${S}-${i}` });
		await call("iam", "PutUserPolicy", { UserName: `${pu}-0`, PolicyName: `i${i}`,
		    PolicyDocument: doc("iam:GetUser") });
		await call("iam", "TagUser", { UserName: `${pu}-0`, Tags: [{ Key: `k${i}`, Value: "v" }] });
		await call("iam", "AttachGroupPolicy", { GroupName: `${pg}-0`,
		    PolicyArn: `arn:aws:iam::${ACCT}:policy${pre}pp-${S}-${i}` });
		await call("iam", "PutGroupPolicy", { GroupName: `${pg}-0`, PolicyName: `i${i}`,
		    PolicyDocument: doc("iam:GetUser") });
		if (i > 0 && i < 5)
			await call("iam", "CreatePolicyVersion", { PolicyArn: pp,
			    PolicyDocument: doc("iam:ListUsers") });
	}
	for (let i = 1; i < N; i++)
		await call("iam", "AttachUserPolicy", { UserName: `${pu}-${i}`, PolicyArn: pp });
	const acts = ["iam:GetUser", "iam:ListUsers", "iam:CreateUser", "iam:DeleteUser",
	    "iam:UpdateUser"];
	const lists = [
		["ListUsers", { PathPrefix: pre }, "Users", N],
		["ListGroups", { PathPrefix: pre }, "Groups", N],
		["ListPolicies", { Scope: "Local", PathPrefix: pre }, "Policies", N],
		["GetGroup", { GroupName: `${pg}-0` }, "Users", N],
		["ListGroupsForUser", { UserName: `${pu}-0` }, "Groups", N],
		["ListAttachedUserPolicies", { UserName: `${pu}-0` }, "AttachedPolicies", N],
		["ListUserPolicies", { UserName: `${pu}-0` }, "PolicyNames", N],
		["ListUserTags", { UserName: `${pu}-0` }, "Tags", N],
		["ListPolicyVersions", { PolicyArn: pp }, "Versions", N],
		["ListEntitiesForPolicy", { PolicyArn: pp }, "PolicyUsers", N],
		["ListAttachedGroupPolicies", { GroupName: `${pg}-0` }, "AttachedPolicies", N],
		["ListGroupPolicies", { GroupName: `${pg}-0` }, "PolicyNames", N],
		["SimulateCustomPolicy", { PolicyInputList: [doc("iam:*")], ActionNames: acts },
		    "EvaluationResults", N],
		["SimulatePrincipalPolicy", { PolicySourceArn: `arn:aws:iam::${ACCT}:user${pre}${pu}-0`,
		    ActionNames: acts }, "EvaluationResults", N],
	];
	for (const [op, input, key, want] of lists) {
		const fn = iam["paginate" + op];
		const problems = [];
		const seen = [];
		let pages = 0;
		if (!fn) {
			problems.push(`${op}: the SDK has no paginator`);
		} else {
			try {
				for await (const page of fn({ client: clients.iam, pageSize: 2 }, input)) {
					pages++;
					problems.push(...checkResult("iam", op, { ok: true, out: page }, false));
					if (page.IsTruncated && !page.Marker)
						problems.push(`${op}: IsTruncated without Marker`);
					for (const it of page[key] || [])
						seen.push(JSON.stringify(it));
					if (pages > 10)
						break;
				}
			} catch (e) {
				problems.push(`${op}: ${e.name}: ${e.message}`);
			}
			if (seen.length !== want || new Set(seen).size !== want)
				problems.push(`${op}: ${seen.length} items (${new Set(seen).size} distinct) in ${pages} pages, expected ${want}`);
			if (pages !== Math.ceil(want / 2))
				problems.push(`${op}: ${pages} pages, expected ${Math.ceil(want / 2)}`);
		}
		if (problems.length)
			failed++;
		console.log(JSON.stringify({ op: "paginate" + op, ok: problems.length === 0,
		    pages, items: seen.length, problems }));
	}
	await call("iam", "ListUsers", { MaxItems: 0 }, "ValidationError");
	await call("iam", "ListUsers", { MaxItems: 1001 }, "ValidationError");
	await call("iam", "ListUsers", { Marker: "\u0001" }, "ValidationError");
}

// Members of AWS's model that wicketd does not implement: refused with
// InvalidInput (400) naming the member, and nothing is created.
async function unsupported() {
	const U = `un-${S}`;
	const must = async (op, input, member) => {
		const res = await viaSdk("iam", op, input);
		const problems = checkResult("iam", op, res, false);
		if (res.ok || res.code !== "InvalidInput" || res.status !== 400)
			problems.push(`${op} with ${member}: expected InvalidInput 400, got ${res.ok ? "ok" : res.code + " " + res.status}`);
		else if (!res.message.includes(member))
			problems.push(`${op} with ${member}: the message does not name it: ${res.message}`);
		if (problems.length)
			failed++;
		console.log(JSON.stringify({ op: `${op}.${member}`, ok: res.ok,
		    code: res.code ?? null, status: res.status ?? null, problems }));
	};
	const boundary = `arn:aws:iam::${ACCT}:policy/b`;
	await must("CreateUser", { UserName: U, PermissionsBoundary: boundary }, "PermissionsBoundary");
	await call("iam", "GetUser", { UserName: U }, "NoSuchEntity");
	await call("iam", "CreateUser", { UserName: U });
	await must("CreateLoginProfile", { UserName: U, Password: "Corr3ct-Horse-Battery",
	    MaxSigninSessionDuration: 3600 }, "MaxSigninSessionDuration");
	await call("iam", "GetLoginProfile", { UserName: U }, "NoSuchEntity");
	await call("iam", "CreateLoginProfile", { UserName: U, Password: "Corr3ct-Horse-Battery" });
	await must("UpdateLoginProfile", { UserName: U, MaxSigninSessionDuration: 3600 },
	    "MaxSigninSessionDuration");
	await must("UpdateLoginProfile", { UserName: U, ResetMaxSigninSessionDuration: true },
	    "ResetMaxSigninSessionDuration");
	await must("CreatePolicy", { PolicyName: `un-${S}`, PolicyDocument: doc("iam:GetUser"),
	    Tags: [{ Key: "a", Value: "b" }] }, "Tags");
	await call("iam", "GetPolicy", { PolicyArn: `arn:aws:iam::${ACCT}:policy/un-${S}` },
	    "NoSuchEntity");
	const src = `arn:aws:iam::${ACCT}:user/${U}`;
	const sim = { PolicySourceArn: src, ActionNames: ["iam:GetUser"] };
	const custom = { PolicyInputList: [doc("iam:GetUser")], ActionNames: ["iam:GetUser"] };
	for (const [m, v] of [["PermissionsBoundaryPolicyInputList", [doc("*")]],
	    ["ResourcePolicy", doc("*")], ["ResourceOwner", `arn:aws:iam::${ACCT}:root`],
	    ["CallerArn", src], ["ResourceHandlingOption", "EC2-VPC-InstanceStore"]]) {
		await must("SimulatePrincipalPolicy", { ...sim, [m]: v }, m);
		await must("SimulateCustomPolicy", { ...custom, [m]: v }, m);
	}
	// PolicyExclusionList and OrderedOrganizationPolicyInputList: this SDK
	// does not send them; test_sdk_iam_sts.sh sends them signed by curl
	// no permissions boundaries here: a policy is never used as one
	const pl = `arn:aws:iam::${ACCT}:policy/pl-${S}`;
	await call("iam", "CreatePolicy", { PolicyName: `pl-${S}`, PolicyDocument: doc("iam:GetUser") });
	await call("iam", "AttachUserPolicy", { UserName: U, PolicyArn: pl });
	const all = await call("iam", "ListEntitiesForPolicy", { PolicyArn: pl,
	    PolicyUsageFilter: "PermissionsPolicy" });
	const none = await call("iam", "ListEntitiesForPolicy", { PolicyArn: pl,
	    PolicyUsageFilter: "PermissionsBoundary" });
	const problems = [];
	if (!all || all.PolicyUsers.length !== 1)
		problems.push("PolicyUsageFilter=PermissionsPolicy: the user is not listed");
	if (!none || none.PolicyUsers.length !== 0 || none.PolicyGroups.length !== 0)
		problems.push("PolicyUsageFilter=PermissionsBoundary: entities listed");
	if (problems.length)
		failed++;
	console.log(JSON.stringify({ op: "ListEntitiesForPolicy.PolicyUsageFilter",
	    ok: problems.length === 0, problems }));
	await call("iam", "ListEntitiesForPolicy", { PolicyArn: pl, PolicyUsageFilter: "Bogus" },
	    "ValidationError");
}

// A caller with no policy: every IAM action is AccessDenied (403), STS
// GetCallerIdentity still answers.
async function denied() {
	await call("sts", "GetCallerIdentity", {});
	await call("iam", "GetUser", {}, "AccessDenied");
	await call("iam", "ListUsers", {}, "AccessDenied");
	await call("iam", "CreateUser", { UserName: `x-${S}` }, "AccessDenied");
	await call("iam", "ListPolicies", {}, "AccessDenied");
	await call("iam", "CreateAccessKey", {}, "AccessDenied");
}

if (mode === "paginate")
	await paginate();
else if (mode === "unsupported")
	await unsupported();
else if (mode === "denied")
	await denied();
else
	await everyAction();
process.exitCode = failed ? 1 : 0;
