import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_ROOT } from '../../src/config/config';
import type { JobView, SceneView } from '../../src/contracts/job';
import { startEmulatedStack, type EmulatedStack } from '../../src/dev/emulated-stack';
import { DEFAULT_SANDBOX_MINIMUM } from '../../src/renderer/sandbox/sandbox-layers';
import { freePort } from '../support/emulators';
import { runCanary } from '../support/canary';
import { imageRoleLauncher } from '../../src/dev/image-container';
import { credentialsOf, findByName, IMAGE, imageExists, processInTree, runContainer, type Container, type ContainerOptions } from '../support/image';
import { inkOf } from '../support/ink';
import { ffprobe, fixture } from '../support/service-harness';
import { audioCodecsOf, projectRequest } from '../support/project-fixture';

// The production image (`npm run test:image` builds it from the Dockerfile first), run as a container of its
// own file system, entrypoint, environment and user (scripts/image/run-container.sh): in gcp mode, one container
// per role on the emulators as the two Cloud Run services; in local mode as one self-hosted container; and on a
// host that refuses new namespaces, as Docker's default seccomp profile does.
jest.setTimeout(900_000);

// The stack's storage client loads node-fetch with a dynamic import(), which Jest's module registry cannot run
// (as in emulated-e2e.test.ts): those two packages load through Node's own require.
jest.mock('teeny-request', () => (require('../support/load-natively') as typeof import('../support/load-natively')).loadNatively('teeny-request'));
jest.mock('gaxios', () => (require('../support/load-natively') as typeof import('../support/load-natively')).loadNatively('gaxios'));

/** Docker's default capability set: what root keeps in the container. */
const DOCKER_DEFAULT_CAPS = 0xa80425fbn;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

beforeAll(() => {
  if (!imageExists()) throw new Error(`${IMAGE} is not in buildah's store: run npm run test:image, which builds it`);
});

type Api = (route: string, init?: RequestInit) => Promise<Response>;

function apiOf(baseUrl: string, apiKey: string): Api {
  return (route, init = {}) =>
    fetch(new URL(route, baseUrl), {
      ...init,
      redirect: 'manual',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...(init.headers as Record<string, string>) },
    });
}

async function submit(api: Api, body: Record<string, unknown>): Promise<JobView> {
  const res = await api('/v1/renders', { method: 'POST', body: JSON.stringify({ quality: 'low', ...body }) });
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return (await res.json()) as JobView;
}

async function finished(api: Api, id: string, timeoutMs = 300_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await api(`/v1/renders/${id}`)).json()) as JobView;
    if (TERMINAL.has(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} not finished: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function logOf(api: Api, job: JobView, scene: SceneView): Promise<string> {
  return (await api(`/v1/renders/${job.id}/scenes/${scene.name}/logs`)).text();
}

/** What /readyz says of the sandbox: its profile, and for each layer whether it was seen active from inside. */
async function sandboxReport(url: string): Promise<{ ready: boolean; profile: string; active: Set<string> }> {
  const report = (await (await fetch(`${url}/readyz`)).json()) as { ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> };
  const active = new Set(
    Object.entries(report.checks)
      .filter(([name, check]) => name.startsWith('sandbox.') && check.detail?.startsWith('active'))
      .map(([name]) => name.slice('sandbox.'.length)),
  );
  return { ready: report.ready, profile: report.checks['sandbox.profile']?.detail?.split(' ')[0] ?? '', active };
}

function expectMinimumHeld(active: Set<string>): void {
  for (const requirement of DEFAULT_SANDBOX_MINIMUM) {
    expect({ requirement, held: requirement.some((layer) => active.has(layer)) }).toEqual({ requirement, held: true });
  }
}

/** The attack scene that tries to write in every directory it sees, with a marker of this run. */
function imageWritesScene(): { code: string; marker: string } {
  const marker = `escape-${randomBytes(6).toString('hex')}`;
  return { code: fixture('attacks/image_writes.py').replace('image-writes-marker', marker), marker };
}

function writableDirs(log: string): string[] {
  const line = /^ATTACK_RESULT writable (.*)$/m.exec(log);
  if (!line) throw new Error(`the attack scene reported nothing:\n${log}`);
  expect(log).not.toMatch(/walk cut short/);
  return JSON.parse(line[1]!) as string[];
}

async function waitForHealth(url: string, container: Container, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (container.child.exitCode !== null) throw new Error(`the container exited:\n${container.output()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no /healthz within ${timeoutMs} ms:\n${container.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitForReady(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await sandboxReport(url)).ready) {
    if (Date.now() > deadline) throw new Error(`${url} not ready: ${await (await fetch(`${url}/readyz`)).text()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('gcp mode: the two Cloud Run services as containers of the image, on the emulators', () => {
  let stack: EmulatedStack;
  let dataDir: string;
  let secrets: string;
  let api: Api;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-image-'));
    secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-image-secrets-'));
    stack = await startEmulatedStack({
      port: await freePort(),
      rendererPort: await freePort(),
      dataDir,
      output: 'ignore',
      env: { LOG_LEVEL: 'warn', K_REVISION: 'manim-renderer-image-test' },
      taskRetry: { maxAttempts: 10, minBackoffSeconds: 1, maxBackoffSeconds: 2 },
      startTimeoutMs: 120_000,
      launch: imageRoleLauncher(secrets),
    });
    api = apiOf(stack.ingressUrl, stack.apiKey);
    await waitForReady(stack.rendererUrl);
  });

  afterAll(async () => {
    await stack?.stop();
    for (const dir of [dataDir, secrets]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the ingress as the unprivileged manim user with no capabilities, and the renderer as root with Docker\'s', async () => {
    const ingress = credentialsOf(await processInTree(stack.pids().ingress, /^node dist\/main\.js/));
    expect(ingress).toEqual({ uids: [10001, 10001, 10001], capEff: 0n });
    const renderer = credentialsOf(await processInTree(stack.pids().renderer, /^node dist\/main\.js/));
    expect(renderer).toEqual({ uids: [0, 0, 0], capEff: DOCKER_DEFAULT_CAPS });
  });

  it('holds every sandbox layer SANDBOX_MINIMUM requires, seen from inside the sandbox, in the bubblewrap profile', async () => {
    const report = await sandboxReport(stack.rendererUrl);
    expect(report.ready).toBe(true);
    // Root with Docker's capabilities may make user namespaces here, so the namespaces profile holds.
    expect(report.profile).toBe('bwrap');
    expectMinimumHeld(report.active);
    expect([...report.active]).toEqual(expect.arrayContaining(['namespaces', 'uid', 'seccomp', 'memory_watch']));
  });

  it('renders Text, MathTex, 3D, a split scene and a project with sound, each downloaded through its signed URL', async () => {
    const submitted = await Promise.all([
      submit(api, { code: fixture('text_transform.py') }),
      submit(api, { code: fixture('tex_equation.py') }),
      submit(api, { code: fixture('camera_and_3d.py') }),
      submit(api, { code: fixture('long_waits.py') }),
      submit(api, projectRequest('showcase')),
    ]);
    const jobs = await Promise.all(submitted.map((job) => finished(api, job.id)));
    const scenes = jobs.flatMap((job) => job.scenes.map((scene) => ({ job, scene })));
    expect(scenes.map(({ scene }) => [scene.name, scene.status])).toEqual([
      ['TitleSwap', 'succeeded'],
      ['EulerSteps', 'succeeded'],
      ['ZoomOnDot', 'succeeded'],
      ['SpinningCube', 'succeeded'],
      ['LongWaits', 'succeeded'],
      ['Showcase', 'succeeded'],
    ]);
    expect(scenes.find(({ scene }) => scene.name === 'LongWaits')!.scene.split).toEqual({ parts: 4 });
    for (const { scene } of scenes) {
      const redirect = await api(scene.output!.url);
      expect(redirect.status).toBe(302);
      const signed = redirect.headers.get('location')!;
      expect(signed).toContain('X-Goog-Signature=');
      const download = await fetch(signed);
      expect(download.status).toBe(200);
      const file = path.join(dataDir, `${scene.name}.mp4`);
      fs.writeFileSync(file, Buffer.from(await download.arrayBuffer()));
      const probe = await ffprobe(file);
      expect(probe).toMatchObject({ codec: 'h264', width: 854, height: 480 });
      if (scene.name === 'LongWaits') expect(probe.durationSeconds).toBeCloseTo(36, 0);
      // A project (helpers, image, SVG, font, sounds, data) with its sound, on the image's own PyAV.
      if (scene.name === 'Showcase') expect(await audioCodecsOf(file)).toEqual(['aac']);
    }
  });

  it("passes deploy.sh's canary: the renderer's container renders LaTeX and text and writes the outcome", async () => {
    const { outcome, videoBytes } = await runCanary(stack);
    expect(outcome).toMatchObject({ ok: true, revision: 'manim-renderer-image-test', video: { width: 854, height: 480 } });
    expect(videoBytes).toBeGreaterThan(1000);
  });

  it("lets a scene write nowhere in the image but its own job dir (and the sandbox's private /tmp)", async () => {
    const { code, marker } = imageWritesScene();
    const job = await finished(api, (await submit(api, { code })).id);
    expect(job.scenes[0]!.status).toBe('succeeded');
    const log = await logOf(api, job, job.scenes[0]!);
    expect(log).toMatch(/^ATTACK_RESULT uid 640\d\d cwd \/job$/m);
    expect(writableDirs(log)).toEqual(['/tmp']);
    // That /tmp is the sandbox's own: the marker it left there is nowhere in the container (where the search
    // does find what is there).
    const renderer = await processInTree(stack.pids().renderer, /^node dist\/main\.js/);
    expect(findByName(renderer, 'manim-render-entrypoint')).toEqual(['/usr/local/bin/manim-render-entrypoint']);
    expect(findByName(renderer, marker)).toEqual([]);
  });

  it('has nothing in its file system that another user may write or owns, other than the sticky temporary directories', async () => {
    const renderer = await processInTree(stack.pids().renderer, /^node dist\/main\.js/);
    // -H follows the /proc link; -xdev keeps to the image's own file system, not what the container mounts on it.
    const root = `/proc/${renderer}/root`;
    expect(execFileSync('find', ['-H', root, '-xdev', '-type', 'f'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).split('\n').length).toBeGreaterThan(10_000);
    const worldWritable = execFileSync('find', ['-H', root, '-xdev', '-perm', '-0002', '!', '-type', 'l', '-printf', '%M %P\\n'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(worldWritable).toContainEqual(expect.stringMatching(/^d.{8}t var\/tmp$/));
    expect(worldWritable.filter((line) => !/^d.{8}t /.test(line))).toEqual([]);
    // Nothing belongs to a user account either (the ingress's 10001, the sandboxes' 64000 and up): only to root
    // and Debian's system users (apt's cache, uid 42, mode 0700).
    const ownedByUsers = execFileSync('find', ['-H', root, '-xdev', '-uid', '+999', '-printf', '%U %P\\n'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(ownedByUsers).toEqual([]);
  });
});

/** The image in local mode as one container on a free port (`docker run -e MODE=local`), once it answers /healthz. */
async function startLocalContainer(options: ContainerOptions = {}): Promise<{ container: Container; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const container = runContainer({ ...options, env: { MODE: 'local', PORT: String(port), ...options.env } });
  await waitForHealth(url, container);
  return { container, url };
}

describe('local mode: one container is a self-hosted renderer that requires API keys', () => {
  let container: Container;
  let url: string;
  const firstKey = () => /API key for principal admin \(shown once\): (mrk_\S+)/.exec(container.output())?.[1];

  beforeAll(async () => {
    ({ container, url } = await startLocalContainer());
  });

  afterAll(async () => container?.stop());

  it('prints its first API key once, refuses callers without one, and renders for the key', async () => {
    const key = firstKey();
    expect(key).toBeDefined();
    expect((await fetch(`${url}/v1/renders`)).status).toBe(401);
    const api = apiOf(url, key!);
    const job = await finished(api, (await submit(api, { code: fixture('tiny.py') })).id);
    expect(job.status).toBe('succeeded');
    const download = await api(job.scenes[0]!.output!.url);
    expect(download.status).toBe(200);
    const file = path.join(os.tmpdir(), `manim-render-image-local-${job.id}.mp4`);
    fs.writeFileSync(file, Buffer.from(await download.arrayBuffer()));
    try {
      expect(await ffprobe(file)).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('draws Chinese, Arabic, Devanagari and emoji as glyphs, not as missing-glyph boxes, with the set-up\'s fonts', async () => {
    const api = apiOf(url, firstKey()!);
    const job = await finished(api, (await submit(api, { code: fixture('scripts.py'), format: 'png' })).id);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-image-fonts-'));
    try {
      const fill: Record<string, number> = {};
      for (const scene of job.scenes) {
        expect(scene.status).toBe('succeeded');
        const file = path.join(dir, `${scene.name}.png`);
        fs.writeFileSync(file, Buffer.from(await (await api(scene.output!.url)).arrayBuffer()));
        fill[scene.name] = (await inkOf(file)).fillOfBox;
      }
      expect(fill.NoFontHasThese).toBeGreaterThan(0.7);
      for (const script of ['Chinese', 'Arabic', 'Devanagari', 'Emoji']) expect({ script, glyphs: fill[script]! > 0 && fill[script]! < 0.55 }).toEqual({ script, glyphs: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("on a host that refuses new namespaces (a seccomp filter like Docker's default): the landlock profile", () => {
  let container: Container;
  let url: string;
  let api: Api;

  beforeAll(async () => {
    const key = `mrk_${randomBytes(8).toString('hex')}_${randomBytes(24).toString('base64url')}`;
    ({ container, url } = await startLocalContainer({
      env: { INITIAL_API_KEY: key },
      volumes: [`${path.join(APP_ROOT, 'test', 'support')}:/app/test/support:ro`],
      wrap: ['/usr/bin/python3', '/app/test/support/restricted_host.py', 'docker-seccomp', '--'],
    }));
    await waitForReady(url);
    api = apiOf(url, key);
  });

  afterAll(async () => container?.stop());

  it('starts the landlock profile with every required layer active, and renders Text and MathTex in it', async () => {
    const report = await sandboxReport(url);
    expect(report.profile).toBe('landlock');
    expectMinimumHeld(report.active);
    expect(report.active.has('namespaces')).toBe(false);
    const jobs = await Promise.all([submit(api, { code: fixture('text_transform.py') }), submit(api, { code: fixture('tex_equation.py') })]);
    for (const job of await Promise.all(jobs.map((j) => finished(api, j.id)))) expect(job.status).toBe('succeeded');
  });

  it('lets a scene write nowhere in the image but its own job dir', async () => {
    const { code, marker } = imageWritesScene();
    const job = await finished(api, (await submit(api, { code })).id);
    expect(job.scenes[0]!.status).toBe('succeeded');
    const log = await logOf(api, job, job.scenes[0]!);
    expect(log).toMatch(/^ATTACK_RESULT uid 640\d\d cwd \/tmp\/manim-render\/.+$/m);
    expect(writableDirs(log)).toEqual([]);
    const service = await processInTree(container.child.pid!, /^node dist\/main\.js/);
    expect(findByName(service, 'manim-render-entrypoint')).toEqual(['/usr/local/bin/manim-render-entrypoint']);
    expect(findByName(service, marker)).toEqual([]);
  });
});
