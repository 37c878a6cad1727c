import express from 'express';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { playgroundRouter } from '../../../src/api/routes/playground';
import { closeServer } from '../../support/close-server';

// The playground's files as the router serves them: only its own three, each response's nonce in both the page
// and its policy, and a clear 404 where the page was never built.
async function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(playgroundRouter(dir));
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(404).json({ error: { code: 'not_found', message: error.message } });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => closeServer(server) };
}

describe('the playground router', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves the page with a fresh nonce in its policy and its meta tag, and its script and style sheet', async () => {
    fs.writeFileSync(path.join(dir, 'index.html'), '<meta name="csp-nonce" content="__CSP_NONCE__">');
    fs.writeFileSync(path.join(dir, 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'style.css'), 'body{}');
    const { url, close } = await serve(dir);
    try {
      const [a, b] = [await fetch(`${url}/`), await fetch(`${url}/`)];
      const nonceOf = (csp: string | null) => /'nonce-([^']+)'/.exec(csp ?? '')?.[1];
      const [na, nb] = [nonceOf(a.headers.get('content-security-policy')), nonceOf(b.headers.get('content-security-policy'))];
      expect(na).toMatch(/^[A-Za-z0-9+/=]{24}$/);
      expect(na).not.toBe(nb);
      expect(await a.text()).toBe(`<meta name="csp-nonce" content="${na}">`);
      expect(a.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(a.headers.get('x-content-type-options')).toBe('nosniff');
      const script = await fetch(`${url}/playground/app.js`);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await script.text()).toBe('console.log(1)');
      expect((await fetch(`${url}/playground/style.css`)).status).toBe(200);
      for (const other of ['index.html', 'secret.txt', '..%2Fpackage.json']) expect((await fetch(`${url}/playground/${other}`)).status).toBe(404);
    } finally {
      await close();
    }
  });

  it('says the page is not built where its files are missing', async () => {
    const { url, close } = await serve(dir);
    try {
      const res = await fetch(`${url}/`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not built \(npm run build\)/);
    } finally {
      await close();
    }
  });
});
