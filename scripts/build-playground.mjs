// Bundles the playground page (web/playground/) into dist/playground/: its script with CodeMirror and hls.js in
// one file, beside its HTML and CSS. The service serves these files and nothing else from there; no CDN at run time.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const source = path.join(root, 'web', 'playground');
const out = path.join(root, 'dist', 'playground');
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(source, 'main.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) fs.copyFileSync(path.join(source, file), path.join(out, file));
