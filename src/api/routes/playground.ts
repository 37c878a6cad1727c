import { Router, type Response } from 'express';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError } from '../../domain/errors';

/** Where `npm run build` puts the bundled page (scripts/build-playground.mjs), the same from src/ and from dist/. */
export const PLAYGROUND_DIR = path.resolve(__dirname, '..', '..', '..', 'dist', 'playground');

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** Where index.html names the response's nonce, for the editor's own <style> element (CodeMirror's cspNonce). */
const NONCE_PLACEHOLDER = '__CSP_NONCE__';

/**
 * Only the page's own files, from its own origin: no inline script, no eval, no inline style but the editor's (by
 * this response's nonce), media from the API or blobs the page made, connections to the API alone, no frames, no
 * plugins, no forms posted elsewhere.
 */
export const playgroundCsp = (nonce: string) =>
  [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' 'nonce-${nonce}'`,
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  ].join('; ');

/**
 * The playground page (web/playground/): `GET /` and its files under /playground/. The page holds no data of its
 * own and needs no credential to load; everything it shows comes from the API, which authenticates every call.
 */
export function playgroundRouter(dir = PLAYGROUND_DIR): Router {
  const router = Router();
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) files.set(name, fs.readFileSync(file));
  }
  const send = (name: string, res: Response) => {
    const file = files.get(name);
    if (!file) throw new NotFoundError(`the playground is not built (npm run build): no ${name}`);
    const nonce = randomBytes(16).toString('base64');
    const body = name === 'index.html' ? file.toString('utf8').replaceAll(NONCE_PLACEHOLDER, nonce) : file;
    res
      .status(200)
      .set({
        'Content-Type': ASSETS[name]!,
        'Content-Security-Policy': playgroundCsp(nonce),
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      })
      .send(body);
  };
  router.get('/', (_req, res) => send('index.html', res));
  router.get('/playground/:asset', (req, res) => {
    const asset = req.params.asset;
    if (!Object.hasOwn(ASSETS, asset) || asset === 'index.html') throw new NotFoundError(`no playground file ${asset}`);
    send(asset, res);
  });
  return router;
}
