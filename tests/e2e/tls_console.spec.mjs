// The console over HTTPS in Debian's chromium, driven by playwright-core
// (TAP-style lines for tests/e2e/test_tls_console.sh). Chromium trusts the
// server only through its key pin (--ignore-certificate-errors-spki-list),
// not through any CA; a second browser without the pin must refuse.
// Environment: WK_URL (https://...), WK_USER, WK_PASSWORD, WK_HOST1,
// WK_SPKI_PIN (base64 SHA-256 of the leaf's SPKI), WK_CHROMIUM,
// WK_ARTIFACTS, WK_TMP, WK_PLAYWRIGHT.
import { join } from 'node:path';

const env = process.env;
const { chromium } = await import(env.WK_PLAYWRIGHT ||
    new URL('../../web/node_modules/playwright-core/index.mjs',
    import.meta.url).href);
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
	} catch (e) {
		report(false, what, e && e.stack || e);
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

const baseArgs = ['--headless', '--no-sandbox', '--disable-gpu',
    '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'];

async function browser(dir, extra) {
	return chromium.launchPersistentContext(join(env.WK_TMP || '/tmp', dir), {
		executablePath: env.WK_CHROMIUM || '/usr/bin/chromium',
		headless: true, args: baseArgs.concat(extra),
		viewport: { width: 1100, height: 700 },
	});
}

const untrusting = await browser('chromium-untrusting', []);
try {
	const page = untrusting.pages()[0] || await untrusting.newPage();
	await step('a browser without the pin refuses the certificate',
	    async () => {
		try {
			await page.goto(`${base}/console/`, { timeout: 15000 });
		} catch (e) {
			return /ERR_CERT_AUTHORITY_INVALID|ERR_CERT/.test(String(e));
		}
		return false;
	});
} finally {
	await untrusting.close();
}

const ctx = await browser('chromium-profile',
    [`--ignore-certificate-errors-spki-list=${env.WK_SPKI_PIN}`]);
try {
	const page = ctx.pages()[0] || await ctx.newPage();
	page.setDefaultTimeout(20000);
	let first;

	await step('the sign-in page loads over https', async () => {
		first = await page.goto(`${base}/console/`);
		await page.waitForSelector('#signin:not([hidden])');
		return page.url().startsWith('https://');
	});
	await step('the page comes with Strict-Transport-Security', async () =>
	    (await first.headerValue('strict-transport-security')) ===
	    'max-age=31536000');
	await step('sign in with the console password (https Origin)',
	    async () => {
		await page.fill('#user', env.WK_USER);
		await page.fill('#password', env.WK_PASSWORD);
		await page.click('#signin-button');
		await page.waitForSelector(`tr[data-instance="${env.WK_HOST1}"]`);
	});
	await step('the session cookie is Secure, HttpOnly, SameSite=Strict',
	    async () => {
		const c = (await ctx.cookies()).find((x) =>
		    x.name === 'wk_session');
		return c && c.secure && c.httpOnly && c.sameSite === 'Strict';
	});
	await step('Connect as ubuntu opens a shell (WebSocket over TLS)',
	    async () => {
		await page.click(`tr[data-instance="${env.WK_HOST1}"] button.connect`);
		await page.fill('#os-user', 'ubuntu');
		await page.click('#connect-button');
		await page.waitForFunction(() => window.wkConnected === true);
	});
	await step('a command\'s output shows in the terminal', async () => {
		await page.waitForTimeout(300);
		await page.keyboard.type('echo tls-$((6*7))-ok\n');
		await waitText(page, 'tls-42-ok');
	});
	await step('a longer output arrives whole', async () => {
		await page.keyboard.type('seq 1 2000 | tail -n 1; echo end-$((1+1))\n');
		await waitText(page, 'end-2');
		return (await termText(page)).includes('2000');
	});
	await step('screenshot of the terminal over https', async () => {
		await page.screenshot({ path: join(env.WK_ARTIFACTS,
		    'console-tls-terminal.png') });
	});
} finally {
	await ctx.close();
}
console.log(`# done: ${n - failed}/${n}`);
process.exit(failed === 0 ? 0 : 1);
