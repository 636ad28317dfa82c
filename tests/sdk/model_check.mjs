// model_check.mjs - checks what wicketd answers against AWS's own service
// model, as shipped in the SDK (the schemas in @aws-sdk/client-iam and
// -sts): every member the model marks required is present, every member
// has the model's type, an error is one of the service's modeled errors
// with the model's HTTP status. Used by tests/e2e/test_sdk_iam_sts.sh for
// both the SDK's replies and the AWS CLI's JSON output.
import * as iam from "@aws-sdk/client-iam";
import * as sts from "@aws-sdk/client-sts";

export const models = { iam, sts };

function resolve(s) {
	return typeof s === "function" ? s() : s;
}

// The model's input/output structure of an operation ("CreateUser").
export function opSchema(svc, op) {
	const o = models[svc][op + "$"];
	if (!Array.isArray(o) || o[0] !== 9)
		throw new Error(`${svc}: no operation ${op} in the model`);
	return { input: resolve(o[4]), output: resolve(o[5]) };
}

// Members of a structure schema: [{name, schema, required}]
export function members(st) {
	st = resolve(st);
	if (!Array.isArray(st) || st[0] !== 3)
		return [];
	const req = st[6] || 0;
	return st[4].map((name, i) => ({ name, schema: st[5][i], required: i < req }));
}

// Errors every Query service may answer (AWS's common errors), not in the
// services' own models.
const commonErrors = {
	AccessDenied: 403, IncompleteSignature: 400, InternalFailure: 500,
	InvalidAction: 400, InvalidClientTokenId: 403, InvalidParameterCombination: 400,
	InvalidParameterValue: 400, InvalidQueryParameter: 400, MissingAction: 400,
	MissingAuthenticationToken: 403, MissingParameter: 400, RequestExpired: 400,
	ServiceUnavailable: 503, SignatureDoesNotMatch: 403, Throttling: 400,
	ValidationError: 400,
};

// The modeled errors of a service: code -> {name, status}
export function modeledErrors(svc) {
	const out = {};
	for (const [code, status] of Object.entries(commonErrors))
		out[code] = { name: code, status };
	for (const [k, v] of Object.entries(models[svc])) {
		if (!k.endsWith("$") || !Array.isArray(v) || v[0] !== -3)
			continue;
		const t = v[3] || {};
		const code = t.awsQueryError ? t.awsQueryError[0] : v[2];
		out[code] = { name: v[2], status: t.httpError ||
		    (t.awsQueryError ? t.awsQueryError[1] : null) };
	}
	return out;
}

// Problems of `value` against `schema` (cli: timestamps are strings).
export function validate(schema, value, path, cli, problems = []) {
	schema = resolve(schema);
	if (value === undefined || value === null)
		return problems;
	if (typeof schema === "number") {
		const base = schema & 63;
		if (schema & 64) {
			if (!Array.isArray(value))
				problems.push(`${path}: not a list`);
			else
				value.forEach((v, i) => validate(base, v, `${path}[${i}]`, cli, problems));
			return problems;
		}
		if (schema & 128) {
			if (typeof value !== "object")
				problems.push(`${path}: not a map`);
			return problems;
		}
		const want = { 0: "string", 1: "number", 2: "boolean" }[base];
		// the AWS CLI decodes IAM's URL-encoded policy documents into JSON
		if (cli && base === 0 && /Document$/.test(path) && typeof value === "object")
			return problems;
		if (want === "number" && !Number.isFinite(value)) {
			problems.push(`${path}: ${JSON.stringify(value)}, the model has a number`);
			return problems;
		}
		if (base === 4 || base === 5 || base === 6 || base === 7) {
			const ok = cli ? typeof value === "string" &&
			    !isNaN(Date.parse(value)) : value instanceof Date &&
			    !isNaN(value.getTime());
			if (!ok)
				problems.push(`${path}: not a timestamp (${JSON.stringify(value)})`);
		} else if (want && typeof value !== want) {
			problems.push(`${path}: ${typeof value}, the model has ${want}`);
		}
		return problems;
	}
	if (!Array.isArray(schema))
		return problems;
	if (schema[0] === 1) {		// list
		if (!Array.isArray(value))
			problems.push(`${path}: not a list`);
		else
			value.forEach((v, i) => validate(schema[4], v, `${path}[${i}]`, cli, problems));
		return problems;
	}
	if (schema[0] === 2) {		// map
		if (typeof value !== "object")
			problems.push(`${path}: not a map`);
		return problems;
	}
	if (schema[0] === 0) {		// a simple type with traits
		return validate(schema[4], value, path, cli, problems);
	}
	if (schema[0] === 3) {
		if (typeof value !== "object") {
			problems.push(`${path}: not a structure`);
			return problems;
		}
		const ms = members(schema);
		const known = new Set(ms.map((m) => m.name));
		for (const m of ms) {
			if (m.required && (value[m.name] === undefined || value[m.name] === null))
				problems.push(`${path}.${m.name}: required by the model, missing`);
			validate(m.schema, value[m.name], `${path}.${m.name}`, cli, problems);
		}
		for (const k of Object.keys(value))
			if (!known.has(k) && k !== "$metadata" && k !== "ResponseMetadata")
				problems.push(`${path}.${k}: not in the model`);
	}
	return problems;
}

// Problems of a call's result: ok output, or error {code, status}.
export function checkResult(svc, op, res, cli) {
	const { output } = opSchema(svc, op);
	if (res.ok)
		return validate(output, res.out, op, cli);
	const errs = modeledErrors(svc);
	const e = errs[res.code] || Object.values(errs).find((x) => x.name === res.code);
	if (!e)
		return [`${op}: error ${res.code} is not one of ${svc}'s modeled errors`];
	if (res.status != null && e.status != null && res.status !== e.status)
		return [`${op}: error ${res.code} has HTTP ${res.status}, the model has ${e.status}`];
	return [];
}

// ---- the raw XML of a Query reply against the model ----
// (the SDK keeps only the members it knows: an extra or misplaced element,
// or a boolean "yes", would go unseen in its output)
import { parseXML } from "@aws-sdk/xml-builder";

function asArray(x) {
	return Array.isArray(x) ? x : [x];
}

function xmlScalar(base, text, path, problems) {
	if (typeof text !== "string") {
		problems.push(`${path}: an element where the model has a value`);
		return;
	}
	if (base === 1 && !/^-?\d+(\.\d+)?$/.test(text))
		problems.push(`${path}: '${text}' is not a number`);
	else if (base === 2 && text !== "true" && text !== "false")
		problems.push(`${path}: '${text}' is not true/false`);
	else if (base >= 4 && base <= 7 &&
	    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(text))
		problems.push(`${path}: '${text}' is not an ISO 8601 UTC time`);
}

function walkXml(schema, node, path, problems) {
	schema = resolve(schema);
	if (typeof schema === "number") {
		if (schema & 64) {
			if (node === "")
				return;
			if (typeof node !== "object" || !("member" in node)) {
				problems.push(`${path}: a list without <member> elements`);
				return;
			}
			asArray(node.member).forEach((m, i) =>
			    xmlScalar(schema & 63, m, `${path}[${i}]`, problems));
			return;
		}
		xmlScalar(schema & 63, node, path, problems);
		return;
	}
	if (!Array.isArray(schema))
		return;
	if (schema[0] === 0)
		return walkXml(schema[4], node, path, problems);
	if (schema[0] === 1) {
		if (node === "")
			return;
		if (typeof node !== "object" || !("member" in node)) {
			problems.push(`${path}: a list without <member> elements`);
			return;
		}
		for (const k of Object.keys(node))
			if (k !== "member")
				problems.push(`${path}.${k}: not <member> in a list`);
		asArray(node.member).forEach((m, i) =>
		    walkXml(schema[4], m, `${path}[${i}]`, problems));
		return;
	}
	if (schema[0] === 3) {
		if (node === "")
			node = {};
		if (typeof node !== "object") {
			problems.push(`${path}: text where the model has a structure`);
			return;
		}
		const ms = new Map(members(schema).map((m) => [m.name, m]));
		for (const [k, v] of Object.entries(node)) {
			const m = ms.get(k);
			if (!m)
				problems.push(`${path}.${k}: an element the model does not have`);
			else if (Array.isArray(v))
				problems.push(`${path}.${k}: given ${v.length} times`);
			else
				walkXml(m.schema, v, `${path}.${k}`, problems);
		}
		for (const m of ms.values())
			if (m.required && !(m.name in node))
				problems.push(`${path}.${m.name}: required by the model, missing from the XML`);
	}
}

// Problems of a Query reply body (status: its HTTP status).
export function checkXml(svc, op, status, text) {
	const problems = [];
	let doc;
	try {
		doc = parseXML(text);
	} catch (e) {
		return [`${op}: the reply is not XML: ${e.message}`];
	}
	const ns = { iam: "https://iam.amazonaws.com/doc/2010-05-08/",
	    sts: "https://sts.amazonaws.com/doc/2011-06-15/" }[svc];
	if (status >= 300) {
		const e = doc.ErrorResponse;
		if (e && e.xmlns !== ns)
			problems.push(`${op}: ErrorResponse xmlns '${e.xmlns}', AWS sends '${ns}'`);
		if (!e || !e.Error || !e.Error.Code || e.Error.Message === undefined ||
		    !e.RequestId)
			problems.push(`${op}: the error is not <ErrorResponse><Error><Code/><Message/></Error><RequestId/>`);
		else if (e.Error.Type !== "Sender" && e.Error.Type !== "Receiver")
			problems.push(`${op}: the error's Type is '${e.Error.Type}'`);
		return problems;
	}
	const root = doc[`${op}Response`];
	if (!root || typeof root !== "object")
		return [`${op}: the reply's root is not <${op}Response>`];
	if (root.xmlns !== ns)
		problems.push(`${op}Response: xmlns '${root.xmlns}', AWS sends '${ns}'`);
	for (const k of Object.keys(root))
		if (k !== `${op}Result` && k !== "ResponseMetadata" && k !== "xmlns")
			problems.push(`${op}Response.${k}: unexpected element`);
	if (!root.ResponseMetadata || !root.ResponseMetadata.RequestId)
		problems.push(`${op}: no ResponseMetadata/RequestId`);
	const { output } = opSchema(svc, op);
	if (members(output).length > 0 || root[`${op}Result`] !== undefined)
		walkXml(output, root[`${op}Result`] ?? "", op, problems);
	return problems;
}
