// Recorded browser terminals (issue 12, item 4) in Debian's chromium,
// driven by playwright-core (TAP-style lines for tests/e2e/
// test_recordings.sh): alice opens a terminal and runs a marker command,
// closes it, finds the recording listed and replays it (the marker in
// the player's DOM); a flood of output hits the recording's bound and the
// session ends; bob, allowed to connect but not to see recordings, gets
// no list and AccessDenied on a fetch.
// Environment: WK_URL, WK_ALICE, WK_BOB, WK_PASSWORD, WK_HOST1,
// WK_CHROMIUM, WK_ARTIFACTS, WK_TMP, WK_PLAYWRIGHT.
import { join } from 'node:path';

const env = process.env;
const { chromium } = await import(env.WK_PLAYWRIGHT);
const base = env.WK_URL;
let n = 0, failed = 0;

function report(ok, what, extra) {
	n++;
	if (!ok) failed++;
	console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${what}`);
	if (!ok && extra) console.log(`# ${String(extra).split('\n').join('\n# ')}`);
}

async function step(what, fn) {
	try {
		const r = await fn();
		report(r !== false, what);
		return r;
	} catch (e) {
		report(false, what, e && e.stack || e);
		return undefined;
	}
}

function termText(page) {
	return page.evaluate(() => {
		const b = window.wkTerm.buffer.active, out = [];
		for (let i = 0; i < b.length; i++) {
			const l = b.getLine(i);
			if (l) out.push(l.translateToString(true));
		}
		return out.join('\n');
	});
}

async function waitText(page, needle, ms = 15000) {
	const until = Date.now() + ms;
	let t = '';
	while (Date.now() < until) {
		t = await termText(page);
		if (t.includes(needle))
			return t;
		await page.waitForTimeout(100);
	}
	throw new Error(`terminal never showed ${needle}; it shows:\n${t}`);
}

async function signIn(page, user) {
	await page.goto(`${base}/console/`);
	await page.waitForSelector('#signin:not([hidden])');
	await page.fill('#user', user);
	await page.fill('#password', env.WK_PASSWORD);
	await page.click('#signin-button');
	await page.waitForSelector(`tr[data-instance="${env.WK_HOST1}"]`);
}

async function connect(page) {
	await page.click(`tr[data-instance="${env.WK_HOST1}"] button.connect`);
	await page.fill('#os-user', 'ubuntu');
	await page.click('#connect-button');
	await page.waitForFunction(() => window.wkConnected === true);
	await page.waitForTimeout(300);
}

const browser = await chromium.launch({
	executablePath: env.WK_CHROMIUM || '/usr/bin/chromium', headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
	    '--no-first-run', '--disable-background-networking',
	    '--disable-component-update', '--disable-sync'],
});
let recId = '';
try {
	const ctx = await browser.newContext({ viewport: { width: 1100,
	    height: 700 } });
	const page = await ctx.newPage();
	page.setDefaultTimeout(20000);
	await step('alice signs in', () => signIn(page, env.WK_ALICE));
	await step('alice opens a recorded terminal (the policy requires ' +
	    'wicket:SessionRecorded)', () => connect(page));
	await step('a marker command and `w` run in the terminal', async () => {
		await page.keyboard.type('echo rec-$((6*7))-marker; w\n');
		await waitText(page, 'rec-42-marker');
		await waitText(page, 'USER');
	});
	await step('she closes the terminal', async () => {
		await page.click('#term-close');
		await page.waitForSelector('#terminal-view', { state: 'hidden' });
	});
	await step('the console lists the recording', async () => {
		await page.waitForSelector('#recordings:not([hidden]) ' +
		    'tr[data-recording]');
		recId = await page.getAttribute('tr[data-recording]',
		    'data-recording');
		console.log(`# id ${recId}`);
		return /^[0-9a-f-]{36}$/.test(recId);
	});
	await step('the player replays it: the marker in the player\'s DOM',
	    async () => {
		await page.click(`tr[data-recording="${recId}"] button.replay`);
		await page.waitForFunction(() => {
			const p = document.getElementById('player');
			return p && p.textContent.includes('rec-42-marker');
		}, null, { timeout: 20000 });
	});
	await step('screenshot of the replay', async () => {
		await page.screenshot({ path: join(env.WK_ARTIFACTS,
		    'console-recording-replay.png') });
		await page.click('#player-close');
	});
	await step('a flood of output reaches the recording\'s bound: the ' +
	    'session ends and says why', async () => {
		await connect(page);
		await page.keyboard.type('seq 1 200000\n');
		await page.waitForFunction(() => window.wkConnected === false &&
		    String(window.wkLastError || '').includes('size limit'),
		    null, { timeout: 20000 });
		await page.click('#term-close');
	});
	await ctx.close();

	const bctx = await browser.newContext();
	const bp = await bctx.newPage();
	bp.setDefaultTimeout(20000);
	await step('bob (no recording permissions) signs in', () =>
	    signIn(bp, env.WK_BOB));
	await step('bob sees no list of recordings (403)', async () => {
		await bp.waitForFunction(() => window.wkRecordingsStatus !==
		    undefined);
		const st = await bp.evaluate(() => window.wkRecordingsStatus);
		const hidden = await bp.isHidden('#recordings');
		const rows = await bp.$$('tr[data-recording]');
		return st === 403 && hidden && rows.length === 0;
	});
	await step('bob fetching alice\'s recording gets AccessDenied',
	    async () => {
		const r = await bp.evaluate(async (id) => {
			const x = await fetch('/console/api/recording?id=' + id);
			return { status: x.status, body: await x.text() };
		}, recId);
		return r.status === 403 && r.body.includes('AccessDenied') &&
		    !r.body.includes('rec-42-marker');
	});
	await bctx.close();
} finally {
	await browser.close();
}
console.log(`# done: ${n - failed}/${n}`);
process.exit(failed === 0 ? 0 : 1);
