// The console in Debian's chromium, driven by playwright-core (no test
// runner: TAP-style "ok N - ..." lines for tests/e2e/test_console.sh).
// Environment: WK_URL, WK_USER, WK_PASSWORD, WK_HOST1 (reachable, ubuntu
// allowed), WK_HOST2 (offline), WK_HOST3 (host key mismatch),
// WK_CHROMIUM, WK_ARTIFACTS, WK_TMP, WK_PLAYWRIGHT.
import http from 'node:http';
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

// The visible text of the terminal (xterm.js's buffer).
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
		if (typeof needle === 'string' ? t.includes(needle) :
		    needle.test(t))
			return t;
		await page.waitForTimeout(100);
	}
	throw new Error(`terminal never showed ${needle}; it shows:\n${t}`);
}

// A raw WebSocket handshake; resolves to the HTTP status.
function wsStatus(headers) {
	const u = new URL(base);
	return new Promise((resolve, reject) => {
		const req = http.request({
			host: u.hostname, port: u.port,
			path: `/console/ws?instance=${env.WK_HOST1}&user=ubuntu`,
			headers: Object.assign({
				Connection: 'Upgrade', Upgrade: 'websocket',
				'Sec-WebSocket-Version': '13',
				'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
			}, headers),
		});
		req.on('upgrade', (res, sock) => {
			sock.destroy();
			resolve(res.statusCode);
		});
		req.on('response', (res) => {
			res.resume();
			resolve(res.statusCode);
		});
		req.on('error', reject);
		req.setTimeout(10000, () => req.destroy(new Error('timeout')));
		req.end();
	});
}

async function connectAs(page, instance, osUser) {
	if (await page.isVisible('#terminal-view'))
		await page.click('#term-close');
	await page.evaluate(() => {
		window.wkConnected = false;
		window.wkLastError = '';
	});
	await page.click(`tr[data-instance="${instance}"] button.connect`);
	await page.fill('#os-user', osUser);
	await page.click('#connect-button');
}

// A fresh profile directory (playwright passes it as --user-data-dir).
const ctx = await chromium.launchPersistentContext(
    join(env.WK_TMP || '/tmp', 'chromium-profile'), {
	executablePath: env.WK_CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	    '--no-first-run', '--disable-background-networking',
	    '--disable-component-update', '--disable-sync'],
	viewport: { width: 1100, height: 700 },
});
try {
	const page = ctx.pages()[0] || await ctx.newPage();
	page.setDefaultTimeout(20000);

	await step('the sign-in page loads', async () => {
		await page.goto(`${base}/console/`);
		await page.waitForSelector('#signin:not([hidden])');
	});
	await step('a wrong password is refused', async () => {
		await page.fill('#user', env.WK_USER);
		await page.fill('#password', 'Wrong-password-1');
		await page.click('#signin-button');
		await page.waitForFunction(() => document.getElementById(
		    'signin-error').textContent.includes('Incorrect'));
		return !(await page.isVisible('#instances'));
	});
	await step('sign in with the console password', async () => {
		await page.fill('#user', env.WK_USER);
		await page.fill('#password', env.WK_PASSWORD);
		await page.click('#signin-button');
		await page.waitForSelector(`tr[data-instance="${env.WK_HOST1}"]`);
	});
	await step('the session cookie is HttpOnly and SameSite=Strict',
	    async () => {
		const c = (await ctx.cookies()).find((x) =>
		    x.name === 'wk_session');
		return c && c.httpOnly && c.sameSite === 'Strict' &&
		    c.value.length === 64;
	});
	await step('the instances list shows online and offline', async () => {
		const r1 = await page.textContent(
		    `tr[data-instance="${env.WK_HOST1}"]`);
		const r2 = await page.textContent(
		    `tr[data-instance="${env.WK_HOST2}"]`);
		return r1.includes('online') && r1.includes('127.0.0.2') &&
		    r1.includes('ubuntu') && r2.includes('offline');
	});
	await step('Connect pre-fills the OS user', async () => {
		await page.click(`tr[data-instance="${env.WK_HOST1}"] button.connect`);
		return (await page.inputValue('#os-user')) === 'ubuntu';
	});
	await step('Connect as ubuntu opens a shell', async () => {
		await page.click('#connect-button');
		await page.waitForFunction(() => window.wkConnected === true);
	});
	await step('`w` runs in the terminal', async () => {
		await page.waitForTimeout(300);
		await page.keyboard.type('w\n');
		await waitText(page, 'load average');
	});
	await step('`date` runs in the terminal', async () => {
		const year = String(new Date().getUTCFullYear());
		await page.keyboard.type('date -u +%Y-wicket\n');
		await waitText(page, `${year}-wicket`);
	});
	await step('UTF-8 and colours pass through', async () => {
		// ASCII keystrokes; the shell prints UTF-8 bytes in red
		// (the host's shell may run in the C locale)
		await page.keyboard.type("printf '\\033[31m%b\\033[0m\\n' " +
		    "'h\\303\\251llo-\\342\\234\\223'\n");
		await waitText(page, 'h\u00e9llo-\u2713');
		return page.evaluate(() => {
			const b = window.wkTerm.buffer.active;
			for (let i = b.length - 1; i >= 0; i--) {
				const l = b.getLine(i);
				const s = l && l.translateToString(true);
				if (s && s.startsWith('h\u00e9llo')) {
					const cell = l.getCell(0);
					return cell.getFgColor() === 1;
				}
			}
			return false;
		});
	});
	await step('resize reaches the pty', async () => {
		await page.setViewportSize({ width: 800, height: 500 });
		await page.waitForTimeout(500);
		const cols = await page.evaluate(() => window.wkTerm.cols);
		await page.keyboard.type('stty size\n');
		await waitText(page, new RegExp(`\\d+ ${cols}\\n`));
	});
	await step('screenshot of the terminal', async () => {
		await page.screenshot({ path: join(env.WK_ARTIFACTS,
		    'console-terminal.png') });
	});
	await step('a dropped connection says so and offers reconnect',
	    async () => {
		await page.keyboard.type('exit\n');
		await waitText(page, 'Press Enter to reconnect');
		await page.keyboard.press('Enter');
		await page.waitForFunction(() => window.wkConnected === true);
	});
	await step('root is refused with the policy decision', async () => {
		await connectAs(page, env.WK_HOST1, 'root');
		await page.waitForFunction(() => window.wkLastError);
		const t = await waitText(page, 'not allowed to connect as root');
		await page.screenshot({ path: join(env.WK_ARTIFACTS,
		    'console-refused.png') });
		return t.includes(env.WK_HOST1) && t.includes('implicitDeny');
	});
	await step('an offline instance is refused in words', async () => {
		await connectAs(page, env.WK_HOST2, 'ubuntu');
		await waitText(page, 'is offline');
	});
	// one text for every failure to reach a host (the detail is in
	// wicketd's log, checked by test_console.sh): no port scanner
	await step('a host key mismatch is refused in words', async () => {
		await connectAs(page, env.WK_HOST3, 'ubuntu');
		const t = await waitText(page, 'Cannot connect to', 25000);
		return t.includes(env.WK_HOST3) && !t.includes('mismatch');
	});

	const cookie = (await ctx.cookies()).find((x) =>
	    x.name === 'wk_session');
	const sess = `wk_session=${cookie ? cookie.value : ''}`;
	await step('the WebSocket opens with the session and same origin',
	    async () => (await wsStatus({ Cookie: sess, Origin: base })) === 101);
	await step('the WebSocket is refused without a session', async () =>
	    (await wsStatus({ Origin: base })) === 403);
	await step('the WebSocket is refused with a forged session', async () =>
	    (await wsStatus({ Origin: base, Cookie: 'wk_session=' +
	    'a'.repeat(64) })) === 403);
	await step('the WebSocket is refused cross-origin', async () =>
	    (await wsStatus({ Cookie: sess, Origin: 'http://evil.example' })) ===
	    403);
	await step('the WebSocket is refused without Origin', async () =>
	    (await wsStatus({ Cookie: sess })) === 403);
	await step('a cross-origin sign-in is refused', async () => {
		const r = await fetch(`${base}/console/api/login`, {
			method: 'POST', headers: { Origin: 'http://evil.example',
			    'Content-Type': 'application/json' },
			body: JSON.stringify({ user: env.WK_USER,
			    password: env.WK_PASSWORD }) });
		return r.status === 403;
	});
	await step('sign-out ends the session on the server', async () => {
		await page.click('#term-close');
		await page.click('#signout');
		await page.waitForSelector('#signin:not([hidden])');
		const r = await fetch(`${base}/console/api/instances`,
		    { headers: { Cookie: sess } });
		return r.status === 401 &&
		    (await wsStatus({ Cookie: sess, Origin: base })) === 403;
	});
	await step('stopping wicketd tells the open terminal', async () => {
		await page.fill('#user', env.WK_USER);
		await page.fill('#password', env.WK_PASSWORD);
		await page.click('#signin-button');
		await page.waitForSelector(`tr[data-instance="${env.WK_HOST1}"]`);
		await connectAs(page, env.WK_HOST1, 'ubuntu');
		await page.waitForFunction(() => window.wkConnected === true);
		process.kill(Number(env.WK_WICKETD_PID), 'SIGTERM');
		await waitText(page, 'wicketd is shutting down');
		await waitText(page, 'Press Enter to reconnect');
	});
} finally {
	await ctx.close();
}
console.log(`# done: ${n - failed}/${n}`);
process.exit(failed === 0 ? 0 : 1);
