/**
 * Builds the investigation view's browser bundles into dist/ui/ (part of `npm run build`):
 *
 * - `investigation-app.html`: the MCP App, one self-contained HTML document (script and
 *   styles inline, no network), with a Content-Security-Policy that allows exactly its
 *   own inline script and style by hash.
 * - `web.js`, `web.css`: the web page's script and styles, served by `serve --http`
 *   from its own origin (the page's CSP allows only 'self').
 * - `manifest.json`: their SHA-256 hashes (the server's ETags, and what the tests check).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'ui');
mkdirSync(out, { recursive: true });

const sha256 = (s: string, enc: 'base64' | 'hex') => createHash('sha256').update(s, 'utf8').digest(enc);

async function bundle(entry: string): Promise<string> {
  const r = await build({
    entryPoints: [join(root, 'src', 'ui', entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  return r.outputFiles[0]!.text;
}

const css = readFileSync(join(root, 'src', 'ui', 'styles.css'), 'utf8');

// The app: everything inline. "</script" cannot appear inside an inline script, so it is escaped (JS reads "<\/" as "</").
const appJs = (await bundle('app-entry.ts')).replace(/<\/(script)/gi, '<\\/$1');
const csp = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(appJs, 'base64')}'`,
  `style-src 'sha256-${sha256(css, 'base64')}'`,
  'img-src data:',
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>longhaul — investigation</title>
<style>${css}</style>
</head>
<body>
<div class="toolbar"><button type="button" id="refresh">Refresh</button><p id="status" class="status-line" role="status">Waiting for the investigation…</p></div>
<main id="root" aria-label="Investigation"></main>
<script type="module">${appJs}</script>
</body>
</html>
`;
writeFileSync(join(out, 'investigation-app.html'), html);

const webJs = await bundle('web-entry.ts');
writeFileSync(join(out, 'web.js'), webJs);
writeFileSync(join(out, 'web.css'), css);
const manifest = {
  'investigation-app.html': sha256(html, 'hex'),
  'web.js': sha256(webJs, 'hex'),
  'web.css': sha256(css, 'hex'),
};
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
process.stderr.write(`ui: dist/ui/investigation-app.html (${(html.length / 1024).toFixed(0)} KiB), web.js (${(webJs.length / 1024).toFixed(0)} KiB)\n`);
