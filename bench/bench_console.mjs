// Benchmarks of the browser terminal against a running wicketd (set up by
// bench/bench_console.sh): terminal output throughput, keystroke echo
// latency, concurrent sessions. A minimal WebSocket client speaking the
// console's protocol (src/server/console/console_int.h), so the figures measure
// wicketd + libssh + sshd, not a browser.
// Environment: WK_URL, WK_USER, WK_PASSWORD, WK_INSTANCE, WK_BIGFILE,
// WK_WICKETD_PID, WK_SESSIONS (default 200), WK_BATCH (default 20),
// WK_ECHO_SAMPLES (default 1000).
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

const env = process.env;
const base = new URL(env.WK_URL);
const origin = `${base.protocol}//${base.host}`;

function request(method, path, headers, body) {
	return new Promise((resolve, reject) => {
		const r = http.request({ host: base.hostname, port: base.port,
		    method, path, headers: Object.assign({ Host: base.host },
		    headers) }, (res) => {
			let data = '';
			res.on('data', (d) => { data += d; });
			res.on('end', () => resolve({ status: res.statusCode,
			    headers: res.headers, body: data }));
		});
		r.on('error', reject);
		if (body) r.write(body);
		r.end();
	});
}

async function signIn() {
	const s = await request('GET', '/console/api/session', {});
	const pre = JSON.parse(s.body).csrf;
	const body = JSON.stringify({ user: env.WK_USER,
	    password: env.WK_PASSWORD });
	const r = await request('POST', '/console/api/login', {
	    Origin: origin, Cookie: `wk_csrf=${pre}`, 'X-Wicket-CSRF': pre,
	    'Content-Type': 'application/json',
	    'Content-Length': Buffer.byteLength(body) }, body);
	if (r.status !== 200) throw new Error(`sign-in: ${r.status} ${r.body}`);
	const c = r.headers['set-cookie'].find((x) =>
	    x.startsWith('wk_session='));
	return c.split(';')[0];
}

// One terminal: on(type, payload) for every server message.
class Term {
	constructor(cookie, user) {
		this.cookie = cookie;
		this.user = user;
		this.buf = Buffer.alloc(0);
		this.handlers = [];
		this.closed = false;
	}
	open() {
		return new Promise((resolve, reject) => {
			const s = net.connect(Number(base.port), base.hostname);
			this.sock = s;
			s.setNoDelay(true);
			let head = true;
			s.on('connect', () => {
				s.write(`GET /console/ws?instance=${env.WK_INSTANCE}` +
				    `&user=${this.user}&cols=120&rows=40 HTTP/1.1\r\n` +
				    `Host: ${base.host}\r\nOrigin: ${origin}\r\n` +
				    `Cookie: ${this.cookie}\r\nUpgrade: websocket\r\n` +
				    'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
				    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}` +
				    '\r\n\r\n');
			});
			s.on('data', (d) => {
				this.buf = Buffer.concat([this.buf, d]);
				if (head) {
					const i = this.buf.indexOf('\r\n\r\n');
					if (i < 0) return;
					const line = this.buf.subarray(0, i).toString();
					this.buf = this.buf.subarray(i + 4);
					head = false;
					if (!line.startsWith('HTTP/1.1 101')) {
						reject(new Error(line.split('\r\n')[0]));
						return;
					}
					resolve(this);
				}
				this.parse();
			});
			s.on('error', (e) => { this.closed = true; reject(e); });
			s.on('close', () => { this.closed = true; });
		});
	}
	parse() {
		for (;;) {
			const b = this.buf;
			if (b.length < 2) return;
			let len = b[1] & 127, off = 2;
			if (len === 126) {
				if (b.length < 4) return;
				len = b.readUInt16BE(2); off = 4;
			} else if (len === 127) {
				if (b.length < 10) return;
				len = Number(b.readBigUInt64BE(2)); off = 10;
			}
			if (b.length < off + len) return;
			const op = b[0] & 15, p = b.subarray(off, off + len);
			this.buf = b.subarray(off + len);
			if (op === 2 && p.length > 0)
				for (const h of this.handlers)
					h(String.fromCharCode(p[0]), p.subarray(1));
			if (op === 8) { this.sock.end(); this.closed = true; }
		}
	}
	send(type, payload) {
		const p = Buffer.concat([Buffer.from(type), Buffer.from(payload ||
		    '')]);
		const mask = randomBytes(4);
		let h;
		if (p.length < 126) {
			h = Buffer.from([0x82, 0x80 | p.length]);
		} else {
			h = Buffer.alloc(4);
			h[0] = 0x82; h[1] = 0x80 | 126; h.writeUInt16BE(p.length, 2);
		}
		for (let i = 0; i < p.length; i++) p[i] ^= mask[i & 3];
		this.sock.write(Buffer.concat([h, mask, p]));
	}
	on(fn) { this.handlers.push(fn); }
	off() { this.handlers = []; }
	waitFor(pred, ms = 30000) {
		return new Promise((resolve, reject) => {
			const t = setTimeout(() => reject(new Error('timeout')), ms);
			this.on((type, p) => {
				if (pred(type, p)) { clearTimeout(t); resolve(); }
			});
		});
	}
	close() { this.sock.destroy(); }
}

async function openReady(cookie) {
	const t = await new Term(cookie, 'ubuntu').open();
	let text = '', ready = false, err = null;
	// ready, and the shell's prompt ("$ ") shown: as a person would
	await t.waitFor((type, p) => {
		if (type === '2') err = p.toString();
		if (type === '3') ready = true;
		if (type === '0') text = (text + p.toString('latin1')).slice(-256);
		return err !== null || (ready && /\$ (\x1b\[K)?$/.test(text));
	});
	t.off();
	if (err !== null) throw new Error(err);
	return t;
}

function pct(a, q) {
	const s = [...a].sort((x, y) => x - y);
	return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function rssKiB(pid) {
	const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`,
	    'utf8'));
	return m ? Number(m[1]) : 0;
}

const cookie = await signIn();
const results = {};

// ---- concurrent sessions ----
console.error('# concurrent sessions');
{
	const n = Number(env.WK_SESSIONS || 200);
	const batch = Number(env.WK_BATCH || 20);
	const pid = Number(env.WK_WICKETD_PID);
	const rss0 = pid ? rssKiB(pid) : 0;
	const terms = [];
	let failed = 0, firstError = null;
	const t0 = Date.now();
	for (let i = 0; i < n; i += batch) {
		const k = Math.min(batch, n - i);
		const got = await Promise.allSettled(Array.from({ length: k },
		    () => openReady(cookie)));
		for (const g of got) {
			if (g.status === 'fulfilled') terms.push(g.value);
			else { failed++; firstError = firstError || String(g.reason); }
		}
	}
	const openS = (Date.now() - t0) / 1000;
	// every open terminal still answers
	let alive = 0;
	await Promise.allSettled(terms.map(async (t, i) => {
		const p = t.waitFor((type, d) => type === '0' &&
		    d.toString().includes(`alive-${i}-x`), 60000);
		t.send('0', `echo alive-${i}-""x\r`);
		await p;
		alive++;
	}));
	const rss1 = pid ? rssKiB(pid) : 0;
	results.concurrent = { asked: n, open: terms.length, failed, firstError,
	    answering: alive, secondsToOpen: +openS.toFixed(1),
	    wicketdRssKiB: { before: rss0, with_sessions: rss1,
	    perSession: terms.length ?
	    +((rss1 - rss0) / terms.length).toFixed(1) : 0 } };
	for (const t of terms) t.close();
}

// ---- throughput: cat of a large file ----
console.error('# throughput');
{
	const t = await openReady(cookie);
	const size = statSync(env.WK_BIGFILE).size;
	let bytes = 0, tail = '';
	const t0 = process.hrtime.bigint();
	const done = t.waitFor((type, p) => {
		if (type !== '0') return false;
		bytes += p.length;
		const seen = tail + p.toString('latin1');
		tail = seen.slice(-16);
		return seen.includes('__DONE__');
	}, 300000);
	t.send('0', `cat ${env.WK_BIGFILE}; echo __DO""NE__\r`);
	await done;
	const s = Number(process.hrtime.bigint() - t0) / 1e9;
	results.throughput = { fileBytes: size, receivedBytes: bytes,
	    seconds: +s.toFixed(3), MBps: +(bytes / s / 1e6).toFixed(1) };
	t.close();
}

// ---- keystroke echo latency ----
console.error('# echo latency');
{
	const t = await openReady(cookie);
	const n = Number(env.WK_ECHO_SAMPLES || 1000);
	const lat = [];
	for (let i = 0; i < n; i++) {
		const ch = String.fromCharCode(97 + (i % 26));
		const p = t.waitFor((type, d) => type === '0' &&
		    d.includes(ch), 5000);
		const t0 = process.hrtime.bigint();
		t.send('0', ch);
		await p;
		lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
		t.off();
		if (i % 40 === 39) {	/* clear the line: ^U */
			const q = t.waitFor(() => true, 5000).catch(() => {});
			t.send('0', '\x15');
			await q;
			t.off();
			await new Promise((r) => setTimeout(r, 20));
		}
	}
	results.echo = { samples: n, p50ms: +pct(lat, 0.5).toFixed(3),
	    p99ms: +pct(lat, 0.99).toFixed(3), maxms:
	    +Math.max(...lat).toFixed(3) };
	t.close();
}

console.log(JSON.stringify(results, null, 2));
process.exit(0);
