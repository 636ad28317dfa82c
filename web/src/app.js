/* wicket console: sign-in, instance list, and the terminal (xterm.js over
 * a WebSocket; protocol in src/server/console/console_int.h). Vanilla JS. */
'use strict';
(function () {
	const $ = (id) => document.getElementById(id);
	let csrf = '';
	let target = null;	/* the instance chosen for Connect */
	const enc = new TextEncoder();
	const dec = new TextDecoder();

	function show(id) {
		for (const s of ['signin', 'instances'])
			$(s).hidden = s !== id;
	}

	async function api(method, path, body) {
		const opt = { method, headers: {}, credentials: 'same-origin',
		    cache: 'no-store' };
		if (method !== 'GET') {
			opt.headers['X-Wicket-CSRF'] = csrf;
			opt.headers['Content-Type'] = 'application/json';
			opt.body = JSON.stringify(body || {});
		}
		const r = await fetch(path, opt);
		let j = {};
		try { j = await r.json(); } catch (e) { /* not JSON */ }
		return { status: r.status, body: j };
	}

	async function refreshSession() {
		const r = await api('GET', '/console/api/session');
		csrf = r.body.csrf || '';
		if (r.body.signedIn) {
			$('who').textContent = r.body.user;
			$('signout').hidden = false;
			show('instances');
			await loadInstances();
		} else {
			$('who').textContent = '';
			$('signout').hidden = true;
			show('signin');
			document.dispatchEvent(new CustomEvent('wk-signed-out'));
		}
	}

	function cell(tr, text, cls) {
		const td = document.createElement('td');
		td.textContent = text;
		if (cls) td.className = cls;
		tr.appendChild(td);
		return td;
	}

	async function loadInstances() {
		/* recordings.js lists the recorded sessions alongside */
		document.dispatchEvent(new CustomEvent('wk-instances'));
		const r = await api('GET', '/console/api/instances');
		const rows = $('instance-rows');
		rows.textContent = '';
		$('instances-error').textContent = '';
		if (r.status === 401) { await refreshSession(); return; }
		if (r.status !== 200) {
			$('instances-error').textContent = r.body.message ||
			    'Cannot list the instances.';
			return;
		}
		showSessions(r.body.sessions);
		const list = r.body.instances || [];
		$('no-instances').hidden = list.length > 0;
		for (const i of list) {
			const tr = document.createElement('tr');
			tr.dataset.instance = i.id;
			cell(tr, i.name || '-');
			cell(tr, i.id);
			cell(tr, i.address + (i.sshPort && i.sshPort !== 22 ?
			    ':' + i.sshPort : ''));
			cell(tr, i.online ? 'online' : 'offline',
			    i.online ? 'online' : 'offline');
			cell(tr, i.osUser);
			const b = document.createElement('button');
			b.textContent = 'Connect';
			b.className = 'connect';
			b.addEventListener('click', () => chooseInstance(i));
			cell(tr, '').appendChild(b);
			rows.appendChild(tr);
		}
	}

	/* open sessions: null when the caller may not list them */
	function showSessions(list) {
		const rows = $('session-rows');
		rows.textContent = '';
		$('sessions').hidden = !Array.isArray(list);
		if (!Array.isArray(list)) return;
		$('no-sessions').hidden = list.length > 0;
		for (const s of list) {
			const tr = document.createElement('tr');
			tr.dataset.session = s.sessionId;
			for (const v of [s.sessionId, s.instanceId, s.osUser,
			    s.callerArn, s.source, s.tty, s.openedAt])
				cell(tr, v || '-');
			rows.appendChild(tr);
		}
	}

	function chooseInstance(i) {
		target = i;
		$('connect-target').textContent = (i.name ? i.name + ' ' : '') +
		    '(' + i.id + ')';
		$('os-user').value = i.osUser || 'ubuntu';
		$('connect-form').hidden = false;
		$('os-user').focus();
	}

	/* ---- the terminal ---- */
	let term = null, fit = null, ws = null, connectedOnce = false;
	let pending = 0, paused = false, ended = false, lastArgs = null;
	const HIGH = 512 * 1024, LOW = 128 * 1024;

	function send(type, payload) {
		if (!ws || ws.readyState !== WebSocket.OPEN) return;
		const p = payload || new Uint8Array(0);
		const m = new Uint8Array(p.length + 1);
		m[0] = type.charCodeAt(0);
		m.set(p, 1);
		ws.send(m);
	}

	function sendResize() {
		const p = new Uint8Array(4);
		p[0] = term.cols >> 8; p[1] = term.cols & 255;
		p[2] = term.rows >> 8; p[3] = term.rows & 255;
		send('1', p);
	}

	function status(text, colour) {
		term.write('\x1b[' + colour + 'm' + text.replace(/\r?\n/g,
		    '\r\n') + '\x1b[0m\r\n');
	}

	function openTerminal(inst, osUser) {
		$('terminal-view').hidden = false;
		$('term-title').textContent = osUser + '@' + (inst.name || inst.id);
		if (!term) {
			term = new window.Terminal({ cursorBlink: true,
			    scrollback: 5000, allowProposedApi: false,
			    fontFamily: 'DejaVu Sans Mono, Menlo, monospace',
			    fontSize: 14 });
			fit = new window.FitAddon.FitAddon();
			term.loadAddon(fit);
			term.open($('term'));
			term.onData((d) => {
				if (ended) {
					if (d === '\r') reconnect();
					else if (d === '\x1b') closeTerminal();
					return;
				}
				send('0', enc.encode(d));
			});
			term.onBinary((d) => {
				const b = new Uint8Array(d.length);
				for (let k = 0; k < d.length; k++)
					b[k] = d.charCodeAt(k) & 255;
				send('0', b);
			});
			term.onResize(() => sendResize());
			term.attachCustomKeyEventHandler((e) => {
				/* Ctrl+Shift+C copies the selection */
				if (e.type === 'keydown' && e.ctrlKey &&
				    e.shiftKey && e.code === 'KeyC') {
					if (term.hasSelection() &&
					    navigator.clipboard)
						navigator.clipboard.writeText(
						    term.getSelection());
					return false;
				}
				return true;
			});
			window.addEventListener('resize', () => {
				if (!$('terminal-view').hidden) fit.fit();
			});
			window.wkTerm = term;	/* for the browser tests */
		}
		fit.fit();
		term.focus();
		connect(inst, osUser);
	}

	function connect(inst, osUser) {
		lastArgs = [inst, osUser];
		ended = false;
		connectedOnce = false;
		pending = 0;
		paused = false;
		$('term-state').textContent = 'connecting';
		const q = new URLSearchParams({ instance: inst.id,
		    user: osUser, cols: term.cols, rows: term.rows });
		const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
		ws = new WebSocket(proto + '//' + location.host +
		    '/console/ws?' + q.toString());
		ws.binaryType = 'arraybuffer';
		let refused = false;
		ws.onmessage = (ev) => {
			const m = new Uint8Array(ev.data);
			if (m.length < 1) return;
			const body = m.subarray(1);
			switch (String.fromCharCode(m[0])) {
			case '0':
				pending += body.length;
				term.write(body, () => {
					pending -= body.length;
					if (paused && pending < LOW) {
						paused = false;
						send('3');
					}
				});
				if (!paused && pending > HIGH) {
					paused = true;
					send('2');
				}
				break;
			case '1':
				status(dec.decode(body), '2');
				break;
			case '2':
				refused = true;
				status(dec.decode(body), '1;31');
				$('term-state').textContent = 'refused';
				window.wkLastError = dec.decode(body);
				break;
			case '3':
				connectedOnce = true;
				$('term-state').textContent = 'connected to ' +
				    dec.decode(body);
				window.wkConnected = true;
				sendResize();
				break;
			}
		};
		ws.onclose = () => {
			ended = true;
			window.wkConnected = false;
			if (!refused)
				status(connectedOnce ? '\r\nConnection closed.' :
				    'Could not open the connection (signed ' +
				    'out, or the server is unreachable).', '33');
			status('Press Enter to reconnect, or Esc to go back.',
			    '33');
			$('term-state').textContent = 'disconnected';
		};
	}

	function reconnect() {
		if (lastArgs) {
			term.write('\r\n');
			connect(lastArgs[0], lastArgs[1]);
		}
	}

	function closeTerminal() {
		if (ws) { ws.onclose = null; ws.close(); ws = null; }
		$('terminal-view').hidden = true;
		if (term) term.reset();
		loadInstances();
	}

	/* ---- wiring ---- */
	$('signin-form').addEventListener('submit', async (e) => {
		e.preventDefault();
		$('signin-error').textContent = '';
		$('signin-button').disabled = true;
		try {
			const r = await api('POST', '/console/api/login', {
			    user: $('user').value,
			    password: $('password').value });
			$('password').value = '';
			if (r.status === 200) {
				await refreshSession();
			} else {
				$('signin-error').textContent =
				    r.body.message || 'Sign-in failed.';
				if (r.status === 403) await refreshSession();
			}
		} finally {
			$('signin-button').disabled = false;
		}
	});
	$('signout').addEventListener('click', async () => {
		await api('POST', '/console/api/logout');
		closeTerminal();
		await refreshSession();
	});
	$('connect-form').addEventListener('submit', (e) => {
		e.preventDefault();
		if (!target) return;
		$('connect-form').hidden = true;
		openTerminal(target, $('os-user').value);
	});
	$('connect-cancel').addEventListener('click', () => {
		$('connect-form').hidden = true;
	});
	$('term-close').addEventListener('click', closeTerminal);
	refreshSession();
})();
