// run.mjs - the policy differential test: N seeded cases from gen.mjs, each
// evaluated by wicket's engine (the policy_eval program, src/iam) and by
// @cloud-copilot/iam-simulate (identity policies of one user, one account),
// with every disagreement shrunk to a minimal case and reported.
//
// Usage: node run.mjs [--bin PATH] [--n 3000] [--seed 1] [--include-known]
//                     [--show 10] [--out FILE] [--case JSON] [--quiet]
//   --bin            the policy_eval program ($WK_BIN/policy_eval)
//   --include-known  also generate the known, documented classes of
//                    KNOWN_CLASSES (gen.mjs); disagreements in them are
//                    counted as "known", not failed
//   --case JSON      evaluate one case (a JSON object) on both sides, print
//   --out FILE       write every (minimised) disagreement as JSON lines
// Exit status 0 when there is no failure; the last line is
// "N passed, M failed".

import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { validateIdentityPolicy } from '@cloud-copilot/iam-policy'
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

import { ACCOUNT, KNOWN_CLASSES, PRINCIPAL, genCase, knownClassesOf }
    from './gen.mjs'

const here = dirname(fileURLToPath(import.meta.url))

function parseArgs(argv) {
	const a = { bin: null, n: 3000, seed: 1, includeKnown: false, show: 10,
	    out: null, case: null, quiet: false }
	for (let i = 2; i < argv.length; i++) {
		const k = argv[i]
		const v = () => {
			if (i + 1 >= argv.length)
				throw new Error(`${k} needs a value`)
			return argv[++i]
		}
		if (k === '--bin') a.bin = v()
		else if (k === '--n') a.n = Number.parseInt(v(), 10)
		else if (k === '--seed') a.seed = Number.parseInt(v(), 10)
		else if (k === '--include-known') a.includeKnown = true
		else if (k === '--show') a.show = Number.parseInt(v(), 10)
		else if (k === '--out') a.out = v()
		else if (k === '--case') a.case = JSON.parse(v())
		else if (k === '--quiet') a.quiet = true
		else throw new Error(`unknown argument ${k}`)
	}
	if (!a.bin)
		a.bin = process.env.WK_BIN ? join(process.env.WK_BIN, 'policy_eval') :
		    'policy_eval'
	if (!(a.n >= 0) || !(a.seed >= 0) || !(a.show >= 0))
		throw new Error('--n, --seed and --show take non-negative integers')
	return a
}

// ---- the two evaluators ----

// wicket: one run of policy_eval over all the cases.
function evalC(bin, cases) {
	if (cases.length === 0)
		return []
	const input = cases.map((c) => JSON.stringify(c)).join('\n') + '\n'
	const r = spawnSync(bin, [], { input, maxBuffer: 1 << 30,
	    encoding: 'utf8' })
	if (r.error)
		throw new Error(`cannot run ${bin}: ${r.error.message}`)
	if (r.status !== 0)
		throw new Error(`${bin} exited ${r.status}: ${r.stderr}`)
	const lines = r.stdout.split('\n').filter((l) => l !== '')
	if (lines.length !== cases.length)
		throw new Error(`${bin}: ${lines.length} answers for ` +
		    `${cases.length} cases`)
	return lines.map((l) => JSON.parse(l))
}

const SIM_DECISION = {
	Allowed: 'allowed',
	ExplicitlyDenied: 'explicitDeny',
	ImplicitlyDenied: 'implicitDeny',
}

// iam-simulate: validation of each document as an identity policy (IAM
// refuses to store an invalid one), then the identity-policy analysis of
// a same-account request (no SCP, RCP, boundary, session or resource
// policy), which is exactly what wicket evaluates.
function evalSim(c) {
	for (let i = 0; i < c.policies.length; i++) {
		let doc = c.policies[i]
		if (typeof doc === 'string') {
			try {
				doc = JSON.parse(doc)
			} catch (e) {
				return { decision: 'implicitDeny', error: `JSON: ${e.message}`,
				    policy: i }
			}
		}
		const errs = validateIdentityPolicy(doc)
		if (errs.length > 0)
			return { decision: 'implicitDeny', error: errs.map((e) =>
			    `${e.path}: ${e.message}`).join('; '), policy: i }
	}
	try {
		const res = runUnsafeSimulation({
			request: {
				principal: PRINCIPAL,
				action: c.action,
				resource: { resource: c.resource, accountId: ACCOUNT },
				contextVariables: c.context || {},
			},
			identityPolicies: c.policies.map((p, i) => ({ name: `policy${i}`,
			    policy: typeof p === 'string' ? JSON.parse(p) : p })),
			serviceControlPolicies: [],
			resourceControlPolicies: [],
		}, {})
		// With no other policy type in play the overall result is the
		// identity policies' result.
		const d = SIM_DECISION[res]
		if (!d)
			return { error: `iam-simulate: unexpected result ${res}` }
		return { decision: d }
	} catch (e) {
		return { error: `iam-simulate threw: ${e.message}` }
	}
}

function agree(cr, sr) {
	if (cr.error || sr.error)
		return !!cr.error === !!sr.error && cr.policy === sr.policy
	return cr.decision === sr.decision
}

function outcome(r) {
	return r.error ? `error(${r.error})` : r.decision
}

// ---- shrinking ----

function clone(x) {
	return JSON.parse(JSON.stringify(x))
}

function statementsOf(doc) {
	return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]
}

// Every case one step smaller than c.
function shrinkSteps(c) {
	const out = []
	const push = (f) => {
		const d = clone(c)
		if (f(d) !== false)
			out.push(d)
	}
	for (let i = 0; i < c.policies.length && c.policies.length > 1; i++)
		push((d) => { d.policies.splice(i, 1) })
	c.policies.forEach((doc, pi) => {
		if (typeof doc !== 'object' || doc === null)
			return
		if (Array.isArray(doc.Statement)) {
			for (let si = 0; si < doc.Statement.length; si++) {
				if (doc.Statement.length > 1)
					push((d) => { d.policies[pi].Statement.splice(si, 1) })
			}
		}
		if ('Id' in doc)
			push((d) => { delete d.policies[pi].Id })
		statementsOf(doc).forEach((st, si) => {
			const get = (d) => statementsOf(d.policies[pi])[si]
			if (!st || typeof st !== 'object')
				return
			if ('Sid' in st)
				push((d) => { delete get(d).Sid })
			for (const el of ['Action', 'NotAction', 'Resource', 'NotResource']) {
				if (Array.isArray(st[el])) {
					for (let k = 0; k < st[el].length; k++)
						if (st[el].length > 1)
							push((d) => { get(d)[el].splice(k, 1) })
					if (st[el].length === 1)
						push((d) => { get(d)[el] = get(d)[el][0] })
				}
			}
			if (st.Condition && typeof st.Condition === 'object') {
				push((d) => { delete get(d).Condition })
				const ops = Object.keys(st.Condition)
				for (const op of ops) {
					if (ops.length > 1)
						push((d) => { delete get(d).Condition[op] })
					const keys = Object.keys(st.Condition[op] || {})
					for (const k of keys) {
						if (keys.length > 1)
							push((d) => { delete get(d).Condition[op][k] })
						const v = st.Condition[op][k]
						if (Array.isArray(v)) {
							for (let j = 0; j < v.length && v.length > 1; j++)
								push((d) => { get(d).Condition[op][k].splice(j, 1) })
							if (v.length === 1)
								push((d) => { get(d).Condition[op][k] = v[0] })
						}
					}
				}
			}
		})
	})
	for (const k of Object.keys(c.context || {})) {
		push((d) => { delete d.context[k] })
		const v = c.context[k]
		if (Array.isArray(v))
			for (let j = 0; j < v.length && v.length > 1; j++)
				push((d) => { d.context[k].splice(j, 1) })
	}
	return out
}

// Greedy shrinking: take the first smaller case that still disagrees, as
// long as one does (bounded).
function shrink(bin, c, cr, sr) {
	let cur = { c, cr, sr }
	for (let round = 0; round < 200; round++) {
		const steps = shrinkSteps(cur.c)
		const crs = evalC(bin, steps)
		let next = null
		for (let i = 0; i < steps.length && !next; i++) {
			const s = evalSim(steps[i])
			if (!agree(crs[i], s))
				next = { c: steps[i], cr: crs[i], sr: s }
		}
		if (!next)
			break
		cur = next
	}
	return cur
}

// ---- main ----

function checkKnownDocumented() {
	const md = readFileSync(join(here, 'DISAGREEMENTS.md'), 'utf8')
	const missing = KNOWN_CLASSES.filter((k) =>
	    !md.includes(`### ${k.id}\n`))
	return missing.map((k) => k.id)
}

function main() {
	const a = parseArgs(process.argv)
	if (a.case) {
		const [cr] = evalC(a.bin, [a.case])
		const sr = evalSim(a.case)
		console.log(JSON.stringify({ wicket: cr, iamSimulate: sr,
		    agree: agree(cr, sr), known: knownClassesOf(a.case) }))
		return agree(cr, sr) ? 0 : 1
	}
	const undocumented = checkKnownDocumented()
	if (undocumented.length > 0) {
		console.log(`known classes without a section in DISAGREEMENTS.md: ` +
		    undocumented.join(', '))
		console.log(`0 passed, ${a.n} failed`)
		return 1
	}
	const opts = { excludeKnown: !a.includeKnown }
	const cases = []
	for (let i = 0; i < a.n; i++)
		cases.push(genCase(a.seed, i, opts))
	const crs = evalC(a.bin, cases)
	let passed = 0
	let failed = 0
	let known = 0
	const tally = {}
	const bad = []
	for (let i = 0; i < cases.length; i++) {
		const c = cases[i]
		const sr = evalSim(c)
		const classes = knownClassesOf(c)
		const key = outcome(sr).startsWith('error') ? 'invalid' : sr.decision
		tally[key] = (tally[key] || 0) + 1
		if (opts.excludeKnown && classes.length > 0) {
			// The generator must not produce what it was told to avoid.
			failed++
			bad.push({ index: i, note: `generated excluded class ${classes}`,
			    c, cr: crs[i], sr })
			continue
		}
		if (agree(crs[i], sr)) {
			passed++
		} else if (classes.length > 0) {
			known++
		} else {
			failed++
			bad.push({ index: i, c, cr: crs[i], sr })
		}
	}
	const lines = []
	bad.forEach((b, n) => {
		// Shrinking costs a policy_eval run per step: only the first few.
		const m = b.note || n >= Math.max(a.show, 20) ? b :
		    shrink(a.bin, b.c, b.cr, b.sr)
		const rec = { seed: a.seed, index: b.index, wicket: m.cr,
		    iamSimulate: m.sr, minimal: m.c }
		if (b.note)
			rec.note = b.note
		lines.push(JSON.stringify(rec))
		if (n < a.show && !a.quiet) {
			console.log(`--- disagreement: seed ${a.seed} case ${b.index}: ` +
			    `wicket ${outcome(m.cr)}, iam-simulate ${outcome(m.sr)}`)
			console.log(JSON.stringify(m.c, null, 1))
		}
	})
	if (a.out)
		writeFileSync(a.out, lines.join('\n') + (lines.length ? '\n' : ''))
	if (!a.quiet)
		console.log(`decisions (iam-simulate): ${JSON.stringify(tally)}` +
		    (known ? `; ${known} known, documented disagreements` : ''))
	console.log(`${passed} passed, ${failed} failed`)
	return failed === 0 ? 0 : 1
}

try {
	process.exitCode = main()
} catch (e) {
	console.error(`run.mjs: ${e.message}`)
	console.log('0 passed, 1 failed')
	process.exitCode = 2
}
