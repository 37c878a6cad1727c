import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { SqliteApiKeyStore } from '../../src/adapters/local/sqlite-api-key-store';
import { mintApiKey } from '../../src/auth/api-keys';
import { launchChromium, screenshot, watchProblems, type PageProblems } from '../support/browser';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

// examples/nextjs built with `next build` and started with `next start` against the real service (API keys, as a
// deployment outside Google Cloud would have it), driven in headless Chromium: a scene submitted from the page
// renders and its video plays, relayed by the app; the browser never talks to the service.
jest.setTimeout(420_000);

const APP = path.join(__dirname, '..', '..', 'examples', 'nextjs');
const NEXT = path.join(APP, 'node_modules', 'next', 'dist', 'bin', 'next');
const run = promisify(execFile);

// The page's globals, inside page.evaluate callbacks (the tests are compiled without the DOM library).
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

let service: ServiceHarness;
let browser: Browser;
let app: ChildProcess | undefined;
let appUrl: string;
let appLog = '';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startApp(env: Record<string, string>): Promise<void> {
  const port = await freePort();
  appUrl = `http://127.0.0.1:${port}`;
  app = spawn(process.execPath, [NEXT, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: APP,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  app.stdout?.on('data', (chunk: Buffer) => (appLog += chunk.toString()));
  app.stderr?.on('data', (chunk: Buffer) => (appLog += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(appUrl).then((res) => res.ok, () => false);
    if (up) return;
    if (Date.now() > deadline || app.exitCode !== null) throw new Error(`next start did not come up:\n${appLog}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  if (!fs.existsSync(NEXT)) throw new Error('examples/nextjs has no node_modules: run npm run setup');
  const [started, launched] = await Promise.all([
    startService({ AUTH_MODE: 'keys', API_KEYS: 'true' }),
    launchChromium(),
    // The build is part of the test: the example must build from a clean .next.
    (async () => {
      fs.rmSync(path.join(APP, '.next'), { recursive: true, force: true });
      await run(process.execPath, [NEXT, 'build'], { cwd: APP, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' }, maxBuffer: 16 * 1024 * 1024 });
    })(),
  ]);
  service = started;
  browser = launched;
  const store = new SqliteApiKeyStore({ filePath: path.join(service.dataDir, 'api-keys.sqlite') });
  const { key, record } = mintApiKey({ principal: 'nextjs-app', now: new Date() });
  await store.putKey({ record });
  store.close();
  await startApp({ MANIM_RENDER_URL: service.url, MANIM_RENDER_API_KEY: key });
});

afterAll(async () => {
  app?.kill('SIGTERM');
  await browser?.close();
  await service?.stop();
});

describe('the Next.js example', () => {
  let page: Page;
  let problems: PageProblems;
  const serviceRequests: string[] = [];

  beforeAll(async () => {
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    problems = await watchProblems(page);
    page.on('request', (request) => {
      if (new URL(request.url()).origin === new URL(service.url).origin) serviceRequests.push(request.url());
    });
  });

  it('renders a scene submitted from its page and plays the video it relays', async () => {
    await page.goto(appUrl);
    await page.fill('#code', fixture('tiny.py'));
    await page.click('#render');
    await page.waitForSelector('#video', { timeout: 180_000 });
    await page.waitForFunction(() => document.getElementById('video').currentTime > 0.3, undefined, { timeout: 30_000 });
    const played = await page.evaluate(() => {
      const video = document.getElementById('video');
      return { width: video.videoWidth, height: video.videoHeight, src: video.getAttribute('src') };
    });
    expect(played).toMatchObject({ width: 854, height: 480, src: expect.stringMatching(/^\/api\/renders\/[a-z0-9]+\/video$/) });
    expect(await page.textContent('#status')).toContain('succeeded');
    await screenshot(page, 'nextjs', '1-played');
    // Everything went through the app: the service's address and its key stayed on the server.
    expect(serviceRequests).toEqual([]);
    expect(problems).toEqual({ errors: [], violations: [], failedResponses: [] });
  });

  it("shows the service's refusal of a scene that does not parse", async () => {
    await page.fill('#code', fixture('syntax_error.py'));
    await page.click('#render');
    await page.waitForFunction(() => /refused/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 60_000 });
    expect(await page.textContent('#status')).toMatch(/refused: .*line 6/);
    await screenshot(page, 'nextjs', '2-refused');
  });

  it('is refused by the service without its key: the credential is what lets it in', async () => {
    const res = await fetch(`${service.url}/v1/renders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: fixture('tiny.py') }) });
    expect(res.status).toBe(401);
  });
});
