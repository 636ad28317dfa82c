/* wicket console: recorded terminal sessions (wicketd serve
 * --record-sessions), listed for callers allowed
 * wicket:ListSessionRecordings and replayed with asciinema-player for
 * callers allowed wicket:GetSessionRecording (docs/recordings.md). A
 * caller allowed neither sees no list at all. Vanilla JS. */
'use strict';
(function () {
	const $ = (id) => document.getElementById(id);
	let player = null;

	function cell(tr, text) {
		const td = document.createElement('td');
		td.textContent = text;
		tr.appendChild(td);
		return td;
	}

	function size(n) {
		if (n < 1024) return n + ' B';
		if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
		return (n / 1024 / 1024).toFixed(1) + ' MiB';
	}

	async function load() {
		let r;
		try {
			r = await fetch('/console/api/recordings', {
			    credentials: 'same-origin', cache: 'no-store' });
		} catch (e) {
			return;
		}
		const rows = $('recording-rows');
		rows.textContent = '';
		$('recordings-error').textContent = '';
		window.wkRecordingsStatus = r.status;	/* for the tests */
		if (r.status !== 200) {
			/* not allowed (403) or signed out: nothing shown */
			$('recordings').hidden = true;
			return;
		}
		const list = (await r.json()).recordings || [];
		$('recordings').hidden = false;
		$('no-recordings').hidden = list.length > 0;
		for (const x of list) {
			const tr = document.createElement('tr');
			tr.dataset.recording = x.id;
			cell(tr, x.start.replace('T', ' ').replace('Z', ' UTC'));
			cell(tr, x.user);
			cell(tr, x.instanceId);
			cell(tr, x.osUser);
			cell(tr, size(x.size));
			const b = document.createElement('button');
			b.textContent = 'Replay';
			b.className = 'replay';
			b.addEventListener('click', () => replay(x));
			cell(tr, '').appendChild(b);
			rows.appendChild(tr);
		}
	}

	async function replay(x) {
		closePlayer();
		$('player-title').textContent = 'Recording: ' + x.user + ' as ' +
		    x.osUser + '@' + x.instanceId + ', ' + x.start;
		$('player-view').hidden = false;
		const url = '/console/api/recording?id=' +
		    encodeURIComponent(x.id);
		/* fetched here, so that a refusal shows as text */
		const r = await fetch(url, { credentials: 'same-origin',
		    cache: 'no-store' });
		if (r.status !== 200) {
			let msg = 'Cannot replay this recording.';
			try { msg = (await r.json()).message || msg; } catch (e) { }
			$('player').textContent = msg;
			window.wkPlayerError = msg;
			return;
		}
		const data = await r.text();
		player = window.AsciinemaPlayer.create({ data }, $('player'), {
		    autoPlay: true, speed: 2, idleTimeLimit: 1, fit: 'width',
		    terminalFontFamily: 'DejaVu Sans Mono, Menlo, monospace' });
		window.wkPlayer = player;	/* for the browser tests */
	}

	function closePlayer() {
		if (player) { player.dispose(); player = null; }
		$('player').textContent = '';
		$('player-view').hidden = true;
	}

	$('player-close').addEventListener('click', closePlayer);
	document.addEventListener('wk-instances', load);
	document.addEventListener('wk-signed-out', () => {
		closePlayer();
		$('recordings').hidden = true;
	});
})();
