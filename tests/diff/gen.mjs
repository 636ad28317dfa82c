// gen.mjs - a seeded generator of IAM identity-policy / request pairs for
// the differential test of wicket's policy engine (src/iam) against
// @cloud-copilot/iam-simulate.
//
// genCase(seed, index, opts) is a pure function of its arguments: case i of
// seed s is the same on every machine, so a disagreement is reproduced by
// its (seed, index) alone.
//
// A case is {policies: [doc, ...], action, resource, context}, context
// mapping a key to a string (single-valued key) or an array of strings
// (multivalued key). The principal is always
// arn:aws:iam::123456789012:user/alice (username alice), in account
// 123456789012, and every resource is in that account or has none.
//
// opts.excludeKnown: do not generate the classes of case in KNOWN_CLASSES,
// where the two evaluators are known to differ for a documented reason
// (see DISAGREEMENTS.md: each id there has a section "### <id>").

export const ACCOUNT = '123456789012'
export const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:user/alice`
export const USERNAME = 'alice'

// Known, documented classes of disagreement. Each entry: the id (a section
// of DISAGREEMENTS.md), the side AWS's documentation supports, and the
// reference. The generator avoids the class when opts.excludeKnown is set.
export const KNOWN_CLASSES = [
	// AWS: "Multivalued context keys ... If you use a condition operator
	// without a set operator on a multivalued key, ..." - iam-simulate
	// never matches a non-set operator on a multivalued request key
	// (positive or negated); the C context has no notion of a key's
	// arity, so it matches if any value matches.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
	{ id: 'single-valued-operator-on-multivalued-key' },
	// IAM refuses a Resource whose service segment holds a wildcard or
	// whose partition is not a partition ("Resource vendor must be fully
	// qualified and cannot contain regexes.", "Partition \"x\" is not
	// valid for resource ..."); wicket refuses it too, iam-policy's
	// validator accepts it.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
	{ id: 'resource-arn-validation' },
	// iam-simulate matches the partition, service, region and account
	// segments of a Resource ARN case-insensitively; wicket matches the
	// whole ARN case-sensitively. The IAM User Guide documents no case
	// folding for any ARN segment.
	{ id: 'arn-prefix-segment-case' },
	// ForAnyValue:...IfExists with the key absent: IfExists makes the
	// condition true (wicket); iam-simulate lets ForAnyValue's "absent is
	// false" win.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
	{ id: 'foranyvalue-ifexists-absent-key' },
	// NotResource holding a policy variable whose key is absent: AWS says
	// the statement is then invalid (it applies to nothing); iam-simulate
	// agrees, wicket lets the NotResource match (a wicket bug for Allow).
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value
	{ id: 'unresolved-variable-in-notresource' },
	// The same for a condition value: the statement must not apply; wicket
	// drops the value, so a negated operator holds (a wicket bug).
	{ id: 'unresolved-variable-in-condition' },
	// Version 2008-10-17 (or none): policy variables are literal text
	// (wicket); iam-simulate substitutes them anyway.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
	{ id: 'variables-in-2008-version' },
	// A wildcard in the resource-type part of the resource ("*sion/alice"):
	// iam-simulate matches that part literally; wicket treats the wildcard
	// as one anywhere in the segment.
	{ id: 'wildcard-in-resource-type' },
	// An operator of another type than the key's (NotIpAddress on a
	// number, NumericNotEquals on a date): iam-simulate's and wicket's
	// handling of values that do not parse differ.
	{ id: 'type-mismatch-operator' },
	// IpAddress/NotIpAddress with 0.0.0.0/0: iam-simulate matches no IPv4
	// address (a /0 mask bug); wicket matches all.
	{ id: 'ipv4-prefix-zero' },
	// NotResource with a short ARN ending in * ("arn:aws:s3:*") that does
	// not match: iam-simulate does not let the NotResource apply; wicket
	// does.
	{ id: 'short-arn-in-notresource' },
	// NotIpAddress with an IPv4 range and an IPv6 request address (or the
	// reverse): the address is outside the range, so NotIpAddress holds
	// (wicket); iam-simulate says it does not.
	{ id: 'ip-family-mismatch' },
]

const isV6 = (v) => String(v).includes(':')

const VAR_RE = /\$\{([^}]*)\}/g

// Keys referenced by ${...} in s, without the special ${*} ${?} ${$}.
function varKeys(s) {
	const out = []
	for (const m of String(s).matchAll(VAR_RE)) {
		const k = m[1].split(',')[0].trim()
		if (k !== '*' && k !== '?' && k !== '$')
			out.push(k)
	}
	return out
}

function ctxHas(ctx, key) {
	const lk = key.toLowerCase()
	return Object.keys(ctx).some((k) => k.toLowerCase() === lk)
}

const PARTITIONS = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b',
	'aws-iso-e', 'aws-iso-f', 'aws-eusc']

// Whether IAM refuses this Resource/NotResource string for its partition
// or service segment (class resource-arn-validation).
function arnRefusedByIam(r) {
	if (typeof r !== 'string' || r === '*' || !r.startsWith('arn:'))
		return false
	const segs = r.split(':')
	const part = segs[1]
	if (!PARTITIONS.includes(part) && !/[*?]|\$\{/.test(part))
		return true
	return segs.length > 3 && /[*?]/.test(segs[2])
}

// ---- the PRNG: mulberry32 over a per-case seed ----

function mix(a, b) {
	// A 32-bit hash of two integers (splitmix-style), so case i of seed s
	// is independent of every other case.
	let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0
	h ^= h >>> 16
	h = Math.imul(h, 0x7feb352d) >>> 0
	h ^= h >>> 15
	h = Math.imul(h, 0x846ca68b) >>> 0
	h ^= h >>> 16
	return h >>> 0
}

class Rng {
	constructor(seed) {
		this.s = seed >>> 0
	}
	next() {
		let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
		t = Math.imul(t ^ (t >>> 15), t | 1)
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296
	}
	int(n) {
		return Math.floor(this.next() * n)
	}
	chance(p) {
		return this.next() < p
	}
	pick(arr) {
		return arr[this.int(arr.length)]
	}
	// 1..max items picked (without replacement when possible)
	some(arr, max) {
		const n = 1 + this.int(Math.min(max, arr.length))
		const copy = arr.slice()
		const out = []
		for (let i = 0; i < n; i++)
			out.push(copy.splice(this.int(copy.length), 1)[0])
		return out
	}
}

// ---- requests ----

const REQUESTS = [
	{ action: 'ec2-instance-connect:SendSSHPublicKey',
	  resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0` },
	{ action: 'ec2-instance-connect:SendSerialConsoleSSHPublicKey',
	  resource: `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0fedcba9876543210` },
	{ action: 's3:GetObject',
	  resource: 'arn:aws:s3:::wicket-bucket/home/alice/notes.txt' },
	{ action: 's3:PutObject',
	  resource: 'arn:aws:s3:::wicket-bucket/home/bob/Report.PDF' },
	{ action: 'iam:GetUser', resource: `arn:aws:iam::${ACCOUNT}:user/alice` },
	{ action: 'iam:CreateAccessKey',
	  resource: `arn:aws:iam::${ACCOUNT}:user/division/alice` },
	{ action: 'dynamodb:GetItem',
	  resource: `arn:aws:dynamodb:us-west-2:${ACCOUNT}:table/Books` },
	{ action: 'lambda:InvokeFunction',
	  resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:my-fn:PROD` },
	{ action: 'sqs:SendMessage',
	  resource: `arn:aws:sqs:eu-west-1:${ACCOUNT}:queue-1` },
	{ action: 'ec2:StartInstances',
	  resource: `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0` },
]

const OTHER_ACTIONS = [
	'ec2-instance-connect:SendSSHPublicKey', 's3:GetObject',
	's3:GetObjectAcl', 'iam:GetUser', 'iam:GetUserPolicy', 'ec2:StopInstances',
	'sqs:ReceiveMessage', 'lambda:GetFunction', 'dynamodb:PutItem',
]

// ---- context keys: type, values in the request, values in policies ----

const IPV4 = ['203.0.113.7', '198.51.100.20', '10.1.2.3', '192.0.2.255']
const IPV6 = ['2001:db8::1', '2001:db8:0:1::42']
const ARNS = [
	PRINCIPAL, `arn:aws:iam::${ACCOUNT}:role/admin`,
	`arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0abc`,
	`arn:aws:sns:us-east-1:999988887777:topic:part`,
]

const KEYS = {
	'aws:username': { type: 'String', req: ['alice'],
		pol: ['alice', 'Alice', 'bob', 'al*', 'a?ice', '*', '${aws:username}'] },
	'aws:userid': { type: 'String', req: ['AIDAEXAMPLEALICE'],
		pol: ['AIDAEXAMPLEALICE', 'AIDA*', 'aidaexamplealice', 'AROA*'] },
	'ec2:osuser': { type: 'String', req: ['ubuntu', 'ec2-user', 'root', 'alice'],
		pol: ['ubuntu', 'Ubuntu', 'ec2-user', 'ec2-*', 'root', '*', 'u?untu',
		    '${aws:username}', '${aws:PrincipalTag/team}-*'] },
	'aws:PrincipalTag/team': { type: 'String', req: ['dev', 'ops', 'Dev'],
		pol: ['dev', 'DEV', 'ops', 'd*', '*ps', ''] },
	'aws:RequestedRegion': { type: 'String', req: ['us-east-1', 'eu-west-1'],
		pol: ['us-east-1', 'us-*', 'eu-west-?', 'US-EAST-1'] },
	'aws:PrincipalAccount': { type: 'String', req: [ACCOUNT],
		pol: [ACCOUNT, '1234*', '999988887777'] },
	'aws:TagKeys': { type: 'String', multi: true,
		req: ['env', 'team', 'owner', 'Env', 'cost-center'],
		pol: ['env', 'team', 'owner', 'ENV', 'cost-*', '*', 'e?v'] },
	'aws:SourceIp': { type: 'Ip', req: IPV4.concat(IPV6),
		pol: ['203.0.113.0/24', '203.0.113.7/32', '203.0.113.7', '10.0.0.0/8',
		    '0.0.0.0/0', '198.51.100.0/25', '2001:db8::/32', '2001:db8::1/128',
		    '::/0', '192.0.2.0/24'] },
	'aws:SecureTransport': { type: 'Bool', req: ['true', 'false'],
		pol: ['true', 'false', true, false] },
	'aws:MultiFactorAuthPresent': { type: 'Bool', req: ['true', 'false'],
		pol: ['true', 'false', true, false] },
	'aws:MultiFactorAuthAge': { type: 'Numeric', req: ['0', '300', '3600', '86400'],
		pol: ['0', '300', '3600', '3599', '86400', '100000', '-1', '300.5'] },
	'aws:CurrentTime': { type: 'Date',
		req: ['2024-05-01T12:00:00Z', '2025-01-01T00:00:00Z'],
		pol: ['2024-05-01T12:00:00Z', '2024-05-01T11:59:59Z', '2024-06-01T00:00:00Z',
		    '2025-01-01T00:00:00Z', '2030-01-01T00:00:00Z', '2020-01-01T00:00:00Z'] },
	'aws:SourceArn': { type: 'Arn', req: ARNS,
		pol: ARNS.concat([`arn:aws:iam::${ACCOUNT}:*`, 'arn:aws:ec2:*:*:instance/*',
		    'arn:aws:*:us-east-1:*:*', 'arn:aws:sns:us-east-1:999988887777:topic:*',
		    `arn:aws:iam::${ACCOUNT}:user/*`, 'arn:aws:iam::*:role/ad?in']) },
	'aws:PrincipalArn': { type: 'Arn', req: [PRINCIPAL],
		pol: [PRINCIPAL, `arn:aws:iam::${ACCOUNT}:user/*`, `arn:aws:iam::${ACCOUNT}:role/*`,
		    `arn:aws:iam::*:user/al?ce`, `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`] },
}

const OPS = {
	String: ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase',
	    'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike'],
	Numeric: ['NumericEquals', 'NumericNotEquals', 'NumericLessThan',
	    'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals'],
	Date: ['DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals',
	    'DateGreaterThan', 'DateGreaterThanEquals'],
	Bool: ['Bool'],
	Ip: ['IpAddress', 'NotIpAddress'],
	Arn: ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'],
}

// ---- helpers ----

function caseVary(rng, s) {
	let out = ''
	for (const ch of s)
		out += rng.chance(0.5) ? ch.toUpperCase() : ch.toLowerCase()
	return out
}

// Replace a random run of a string with * or one character with ?.
function wildcardize(rng, s) {
	if (s.length === 0)
		return rng.pick(['*', ''])
	const i = rng.int(s.length)
	switch (rng.int(5)) {
	case 0: return s.slice(0, i) + '*'
	case 1: return '*' + s.slice(i)
	case 2: return s.slice(0, i) + '?' + s.slice(i + 1)
	case 3: {
		const j = i + rng.int(s.length - i + 1)
		return s.slice(0, i) + '*' + s.slice(j)
	}
	default: return s.slice(0, i) + '*' + s.slice(i + 1) // maybe no match
	}
}

function mutate(rng, s) {
	if (s.length === 0)
		return 'x'
	const i = rng.int(s.length)
	const c = s[i] === 'x' ? 'y' : 'x'
	return s.slice(0, i) + c + s.slice(i + 1)
}

// ---- policy elements ----

function actionPattern(rng, action) {
	const [svc, name] = action.split(':')
	switch (rng.int(9)) {
	case 0: return action
	case 1: return caseVary(rng, action)
	case 2: return `${svc}:*`
	case 3: return '*'
	case 4: return `${caseVary(rng, svc)}:${wildcardize(rng, name)}`
	case 5: return `${svc}:${wildcardize(rng, caseVary(rng, name))}`
	case 6: return rng.pick(OTHER_ACTIONS)
	case 7: return `${svc}:${mutate(rng, name)}`
	default: return `${svc}:${name.slice(0, 1 + rng.int(name.length))}*`
	}
}

// Resource patterns built from the request ARN, one segment at a time.
// The resource-type prefix of an ARN's resource part, as iam-simulate
// splits it: up to the first '/' or ':' (none for S3).
function productPrefix(arn) {
	const segs = arn.split(':')
	const rest = segs.slice(5).join(':')
	if (segs[2] === 's3' && segs[3] === '' && segs[4] === '')
		return ''
	const m = rest.search(/[/:]/)
	return m < 0 ? '' : rest.slice(0, m + 1)
}

function resourcePattern(rng, opts, arn, ctx, isNot) {
	if (rng.chance(0.08))
		return '*'
	const parts = arn.split(':')
	const head = parts.slice(0, 5)
	let rest = parts.slice(5).join(':')
	if (rng.chance(0.25) && rest.includes(USERNAME)) {
		let vars = ['${aws:username}', '${aws:username}', '${aws:userid}',
		    '${aws:PrincipalTag/team}', '${aws:username}*']
		if (opts.excludeKnown && isNot)
			vars = vars.filter((v) => varKeys(v).every((k) => ctxHas(ctx, k)))
		if (vars.length > 0)
			rest = rest.replace(USERNAME, rng.pick(vars))
	}
	if (rng.chance(0.05))
		rest = rest + '${*}'
	const segs = head.concat([rest])
	for (let i = 1; i < segs.length; i++) {
		if (!rng.chance(0.25))
			continue
		if (opts.excludeKnown && i === 2) {
			// No wildcard in the service segment, no case change.
			segs[i] = mutate(rng, segs[i])
			continue
		}
		if (opts.excludeKnown && (i === 3 || i === 4) && rng.chance(0.3)) {
			segs[i] = mutate(rng, segs[i])
			continue
		}
		if (opts.excludeKnown && i === 1) {
			// A partition IAM knows, or a wildcard.
			segs[i] = rng.pick(['*', 'aws*', 'aws-cn', 'a?s', 'aws-us-gov'])
			continue
		}
		let pre = ''
		if (opts.excludeKnown && i === 5) {
			// Variables stay whole (a mangled one is unresolvable), and
			// the resource type stays literal.
			if (segs[i].includes('${'))
				continue
			pre = productPrefix(segs.join(':'))
			if (!segs[i].startsWith(pre))
				pre = ''
			segs[i] = segs[i].slice(pre.length)
		}
		switch (rng.int(5)) {
		case 0: segs[i] = '*'; break
		case 1: segs[i] = wildcardize(rng, segs[i]); break
		case 2: segs[i] = mutate(rng, segs[i]); break
		case 3:
			if (!opts.excludeKnown || i === 5)
				segs[i] = caseVary(rng, segs[i])
			break
		default: segs[i] = i === 5 ? segs[i] + '*' : '?' + segs[i]; break
		}
		segs[i] = pre + segs[i]
	}
	// A pattern with fewer segments ending in a wildcard.
	if (rng.chance(0.05) && !(opts.excludeKnown && isNot)) {
		const keep = 2 + rng.int(4)
		return segs.slice(0, keep).join(':') + ':*'
	}
	return segs.join(':')
}

function oneOrMany(rng, arr) {
	return arr.length === 1 && rng.chance(0.5) ? arr[0] : arr
}

function policyValue(rng, opts, ctx, spec) {
	let pool = spec.pol
	if (opts.excludeKnown)
		pool = pool.filter((v) => v !== '0.0.0.0/0' &&
		    varKeys(v).every((k) => ctxHas(ctx, k)))
	if (pool.length === 0)
		pool = [spec.req[0]]
	let v = rng.pick(pool)
	if (typeof v === 'string' && spec.type === 'String' && rng.chance(0.1))
		v = caseVary(rng, v)
	return v
}

function conditionBlock(rng, opts, reqCtx) {
	const cond = {}
	const nops = 1 + rng.int(2)
	for (let o = 0; o < nops; o++) {
		const key = rng.pick(Object.keys(KEYS))
		const spec = KEYS[key]
		let op
		let vals
		if (rng.chance(0.1)) {
			op = 'Null'
			vals = [rng.pick(['true', 'false', true, false])]
		} else {
			op = rng.pick(OPS[spec.type])
			// A few typed operators on a key of another type.
			if (rng.chance(0.04) && !opts.excludeKnown)
				op = rng.pick(OPS[rng.pick(Object.keys(OPS))])
			const n = 1 + rng.int(3)
			vals = []
			for (let i = 0; i < n; i++)
				vals.push(policyValue(rng, opts, reqCtx, spec))
			const rv = reqCtx[key]
			if (opts.excludeKnown && op === 'NotIpAddress' && rv !== undefined)
				vals = vals.filter((v) => isV6(v) === isV6(rv))
			if (vals.length === 0)
				vals = [isV6(rv) ? '2001:db8::/32' : '203.0.113.0/24']
			let setop = ''
			const setChance = spec.multi ? 0.7 : 0.12
			if (rng.chance(setChance))
				setop = rng.pick(['ForAnyValue:', 'ForAllValues:'])
			if (opts.excludeKnown && spec.multi && !setop)
				setop = rng.pick(['ForAnyValue:', 'ForAllValues:'])
			if (rng.chance(0.15) && !(opts.excludeKnown &&
			    setop === 'ForAnyValue:'))
				op += 'IfExists'
			op = setop + op
		}
		if (!cond[op])
			cond[op] = {}
		// A second key can land on the same operator: keys AND.
		const k = rng.chance(0.05) ? caseVary(rng, key) : key
		cond[op][k] = oneOrMany(rng, vals)
	}
	return cond
}

function statement(rng, opts, req, ctx, idx) {
	const st = {}
	if (rng.chance(0.4))
		st.Sid = `S${idx}`
	st.Effect = rng.chance(0.62) ? 'Allow' : 'Deny'
	const nact = 1 + rng.int(3)
	const acts = []
	for (let i = 0; i < nact; i++)
		acts.push(actionPattern(rng, req.action))
	if (rng.chance(0.15))
		st.NotAction = oneOrMany(rng, acts)
	else
		st.Action = oneOrMany(rng, acts)
	const isNot = rng.chance(0.15)
	const nres = 1 + rng.int(3)
	const ress = []
	for (let i = 0; i < nres; i++)
		ress.push(resourcePattern(rng, opts, rng.chance(0.85) ?
		    req.resource : rng.pick(REQUESTS).resource, ctx, isNot))
	if (isNot)
		st.NotResource = oneOrMany(rng, ress)
	else
		st.Resource = oneOrMany(rng, ress)
	if (rng.chance(0.55))
		st.Condition = conditionBlock(rng, opts, ctx)
	return st
}

function policy(rng, opts, req, ctx) {
	const n = 1 + rng.int(3)
	const sts = []
	for (let i = 0; i < n; i++)
		sts.push(statement(rng, opts, req, ctx, i))
	const doc = {}
	const v = rng.next()
	if (v < 0.9)
		doc.Version = '2012-10-17'
	else if (v < 0.96)
		doc.Version = '2008-10-17'
	// else: no Version (IAM then uses 2008-10-17)
	if (rng.chance(0.1))
		doc.Id = 'policy-id'
	if (opts.excludeKnown && JSON.stringify(sts).includes('${'))
		doc.Version = '2012-10-17'
	doc.Statement = sts.length === 1 && rng.chance(0.3) ? sts[0] : sts
	return doc
}

function context(rng) {
	const ctx = {}
	for (const [key, spec] of Object.entries(KEYS)) {
		const present = key === 'aws:username' ? 0.85 : 0.55
		if (!rng.chance(present))
			continue
		if (spec.multi) {
			// Multivalued keys always go as arrays (1-3 values).
			ctx[key] = rng.some(spec.req, 3)
		} else {
			ctx[key] = rng.pick(spec.req)
		}
	}
	return ctx
}

export function genCase(seed, index, opts = {}) {
	const rng = new Rng(mix(seed, index))
	const req = rng.pick(REQUESTS)
	const ctx = context(rng)
	const np = 1 + rng.int(2)
	const policies = []
	for (let i = 0; i < np; i++)
		policies.push(policy(rng, opts, req, ctx))
	return { policies, action: req.action, resource: req.resource, context: ctx }
}

// Which known class a case belongs to (null when none): used to check that
// no excluded class was generated, and to label disagreements.
export function knownClassesOf(c) {
	const out = new Set()
	for (const p of c.policies) {
		if (typeof p !== 'object' || p === null)
			continue
		const sts = Array.isArray(p.Statement) ? p.Statement : [p.Statement]
		for (const st of sts) {
			if (!st)
				continue
			for (const el of ['Resource', 'NotResource']) {
				const rs = Array.isArray(st[el]) ? st[el] : [st[el]]
				if (rs.some(arnRefusedByIam))
					out.add('resource-arn-validation')
				if (rs.some((r) => typeof r === 'string' &&
				    /[A-Z]/.test(r.split(':').slice(2, 5).join(':'))))
					out.add('arn-prefix-segment-case')
				if (el === 'NotResource' && p.Version === '2012-10-17' &&
				    rs.some((r) => varKeys(r).some((k) => !ctxHas(c.context, k))))
					out.add('unresolved-variable-in-notresource')
			}
			const v2012 = p.Version === '2012-10-17'
			if (!v2012 && JSON.stringify(st).includes('${'))
				out.add('variables-in-2008-version')
			for (const el of ['Resource', 'NotResource']) {
				const rs = Array.isArray(st[el]) ? st[el] : [st[el]]
				for (const r of rs) {
					if (typeof r !== 'string' || !r.startsWith('arn:'))
						continue
					const n = r.split(':').length
					if (n >= 6 && /[*?]/.test(productPrefix(r)))
						out.add('wildcard-in-resource-type')
					if (n < 6 && el === 'NotResource')
						out.add('short-arn-in-notresource')
				}
			}
			for (const [op, kv] of Object.entries(st.Condition || {})) {
				const base = op.replace(/^for(anyvalue|allvalues):/i, '')
				    .replace(/ifexists$/i, '').toLowerCase()
				for (const [k, vals] of Object.entries(kv || {})) {
					const vs = Array.isArray(vals) ? vals : [vals]
					const spec = Object.entries(KEYS).find(([kk]) =>
					    kk.toLowerCase() === k.toLowerCase())?.[1]
					if (spec && base !== 'null' && !OPS[spec.type].some((o) =>
					    o.toLowerCase() === base))
						out.add('type-mismatch-operator')
					if (/ipaddress/.test(base) && vs.includes('0.0.0.0/0'))
						out.add('ipv4-prefix-zero')
					const rv = Object.entries(c.context).find(([ck]) =>
					    ck.toLowerCase() === k.toLowerCase())?.[1]
					if (base === 'notipaddress' && rv !== undefined &&
					    [].concat(rv).some((r) => vs.some((v) =>
					    isV6(v) !== isV6(r))))
						out.add('ip-family-mismatch')
					if (v2012 && vs.some((v) => varKeys(v).some((vk) =>
					    !ctxHas(c.context, vk))))
						out.add('unresolved-variable-in-condition')
				}
				if (!/^foranyvalue:.*ifexists$/i.test(op))
					continue
				if (Object.keys(kv || {}).some((k) => !ctxHas(c.context, k)))
					out.add('foranyvalue-ifexists-absent-key')
			}
			if (typeof st.Condition !== 'object')
				continue
			for (const [op, kv] of Object.entries(st.Condition)) {
				if (/^for(anyvalue|allvalues):/i.test(op) || /^null$/i.test(op))
					continue
				for (const k of Object.keys(kv || {})) {
					const v = Object.entries(c.context).find(([ck]) =>
					    ck.toLowerCase() === k.toLowerCase())
					if (v && Array.isArray(v[1]))
						out.add('single-valued-operator-on-multivalued-key')
				}
			}
		}
	}
	return [...out]
}
