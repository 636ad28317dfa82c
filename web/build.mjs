// Copies the console's assets into OUTDIR: web/src/*.{html,js,css} and the
// few files needed from node_modules (no bundler).
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
	console.error('usage: node build.mjs OUTDIR');
	process.exit(2);
}
const dest = resolve(out);
mkdirSync(dest, { recursive: true });
const nm = join(here, 'node_modules');
const vendor = [
	[join(nm, '@xterm/xterm/lib/xterm.js'), 'xterm.js'],
	[join(nm, '@xterm/xterm/css/xterm.css'), 'xterm.css'],
	[join(nm, '@xterm/addon-fit/lib/addon-fit.js'), 'addon-fit.js'],
	[join(nm, 'asciinema-player/dist/bundle/asciinema-player.min.js'),
	    'asciinema-player.min.js'],
	[join(nm, 'asciinema-player/dist/bundle/asciinema-player.css'),
	    'asciinema-player.css'],
];
for (const [from, to] of vendor)
	copyFileSync(from, join(dest, to));
for (const f of readdirSync(join(here, 'src')))
	if (/^[A-Za-z0-9_-][A-Za-z0-9._-]*\.(html|js|css)$/.test(f))
		copyFileSync(join(here, 'src', f), join(dest, f));
console.log(`web assets in ${dest}`);
