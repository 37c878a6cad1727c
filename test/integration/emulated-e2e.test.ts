import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import type { JobView } from '../../src/contracts/job';
import { startEmulatedStack, type EmulatedStack } from '../../src/dev/emulated-stack';
import { FirestoreJobStore } from '../../src/adapters/google/firestore-job-store';
import { runCanary } from '../support/canary';
import { freePort } from '../support/emulators';
import { ffprobe, fixture } from '../support/service-harness';
import { audioCodecsOf, loudnessOf, PROJECTS, projectRequest } from '../support/project-fixture';
import { jobRecord } from '../support/job-record';

// The production shape on real emulators: ingress and renderer as separate processes of the built service
// (dist/, made by `npm test`), Firestore, Cloud Tasks (calling the renderer with OIDC tokens) and Cloud Storage.
jest.setTimeout(300_000);

// The storage client loads node-fetch with a dynamic import(), which Jest's module registry cannot run: those two
// packages load through Node's own require (test/support/load-natively.ts). Everything else is the real library.
jest.mock('teeny-request', () => (require('../support/load-natively') as typeof import('../support/load-natively')).loadNatively('teeny-request'));
jest.mock('gaxios', () => (require('../support/load-natively') as typeof import('../support/load-natively')).loadNatively('gaxios'));

let stack: EmulatedStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-emulated-'));
  stack = await startEmulatedStack({
    port: await freePort(),
    rendererPort: await freePort(),
    dataDir,
    output: 'ignore',
    // The stack's principal may name one prefix of one bucket as a batch source, and nothing else.
    env: { LOG_LEVEL: 'warn', LEASE_SECONDS: '6', K_REVISION: 'manim-renderer-e2e', BATCH_SOURCES: JSON.stringify({ 'key:emulated': ['gs://scene-sources/nightly/'] }) },
    taskRetry: { maxAttempts: 20, minBackoffSeconds: 1, maxBackoffSeconds: 2 },
  });
});

afterAll(async () => {
  await stack?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const api = (route: string, init: RequestInit = {}) =>
  fetch(`${stack.ingressUrl}${route}`, {
    ...init,
    redirect: 'manual',
    headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey, ...(init.headers as Record<string, string>) },
  });

async function submit(file: string, quality = 'low'): Promise<JobView> {
  const res = await api('/v1/renders', { method: 'POST', body: JSON.stringify({ code: fixture(file), quality }) });
  expect(res.status).toBe(202);
  return (await res.json()) as JobView;
}

async function waitFor(id: string, done: (job: JobView) => boolean, timeoutMs = 180_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await (await api(`/v1/renders/${id}`)).json()) as JobView;
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs the built CLI with these settings as its environment and parses its JSON output. */
function runCliJson(args: string[], env: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js'), ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`manim-render ${args.join(' ')}: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

const terminal = (job: JobView) => ['succeeded', 'failed', 'cancelled'].includes(job.status);

async function bucketFiles(prefix: string, options: { live?: boolean } = {}): Promise<string[]> {
  const storage = new Storage({ projectId: stack.settings.GOOGLE_CLOUD_PROJECT, apiEndpoint: stack.emulators.gcsEndpoint });
  const [files] = await storage.bucket(stack.settings.BUCKET!).getFiles({ prefix });
  // A scene's live segments (jobs/{id}/{scene}/live/{n}.ts) are left out unless asked for.
  return files.map((f) => f.name).filter((name) => options.live || !/\/live\/\d+\.ts$/.test(name)).sort();
}

describe('gcp mode on the emulators', () => {
  it('renders three scenes through Cloud Tasks into Cloud Storage, each downloadable by its signed URL', async () => {
    const submitted = await submit('multi_scene.py');
    const job = await waitFor(submitted.id, terminal);
    expect(job.status).toBe('succeeded');
    expect(job.scenes.map((s) => s.name)).toEqual(['PartOne', 'PartTwo', 'PartThree']);
    for (const scene of job.scenes) {
      const res = await api(scene.output!.url);
      expect(res.status).toBe(302);
      const signed = res.headers.get('location')!;
      expect(signed).toContain('X-Goog-Signature=');
      const download = await fetch(signed);
      expect(download.status).toBe(200);
      const file = path.join(dataDir, `${scene.name}.mp4`);
      fs.writeFileSync(file, Buffer.from(await download.arrayBuffer()));
      expect(await ffprobe(file)).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    }
    expect(await bucketFiles(`jobs/${job.id}/`)).toEqual(
      ['PartOne', 'PartTwo', 'PartThree'].flatMap((s) => [`jobs/${job.id}/${s}/${s}.mp4`, `jobs/${job.id}/${s}/render.log`]).sort(),
    );

    // Its live stream: the playlist from the API, each segment a redirect to a signed URL that a CDN may cache.
    const scene = job.scenes[0]!;
    expect(scene.live).toMatchObject({ ended: true, segments: expect.any(Number) });
    const playlist = await api(scene.live!.playlistUrl);
    expect(playlist.status).toBe(200);
    const uris = (await playlist.text()).split('\n').filter((line) => line.startsWith('live/'));
    expect(uris).toHaveLength(scene.live!.segments);
    expect(uris.length).toBeGreaterThan(0);
    const segment = await api(`/v1/renders/${job.id}/scenes/${scene.name}/${uris[0]}`);
    expect(segment.status).toBe(302);
    const signedSegment = await fetch(segment.headers.get('location')!);
    expect(signedSegment.status).toBe(200);
    expect(signedSegment.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(Buffer.from(await signedSegment.arrayBuffer())[0]).toBe(0x47); // an MPEG-TS packet's sync byte
    expect((await bucketFiles(`jobs/${job.id}/${scene.name}/live/`, { live: true })).length).toBe(scene.live!.segments);
  });

  it('renders a project from Cloud Storage: a font by signed upload, checked by hash, the rest inline; its sound in the signed download', async () => {
    const font = fs.readFileSync(path.join(PROJECTS, 'showcase', 'fonts', 'ComicNeue-Regular.otf'));
    const sha256 = createHash('sha256').update(font).digest('hex');
    const ticketRes = await api('/v1/files/uploads', { method: 'POST', body: JSON.stringify({ sha256, size: font.length, contentType: 'font/otf' }) });
    expect(ticketRes.status).toBe(201);
    const ticket = (await ticketRes.json()) as { uploadUrl: string; method: string; headers: Record<string, string> };
    expect(ticket.uploadUrl).toContain('X-Goog-Signature=');
    const put = await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body: font });
    expect(put.status).toBe(200);
    // Checked against its hash on first sight, then kept under the principal's files; the unchecked copy is gone.
    const checked = await api(`/v1/files/${sha256}`);
    expect(checked.status).toBe(200);
    expect(await checked.json()).toMatchObject({ sha256, size: font.length, kind: 'font' });
    expect((await bucketFiles('uploads/')).filter((name) => name.endsWith(sha256))).toEqual([]);
    expect((await bucketFiles('files/')).filter((name) => name.endsWith(sha256))).toHaveLength(1);

    // Bytes that are not the ones the hash names are refused, and not kept.
    const liar = 'c'.repeat(64);
    const liarTicket = (await (await api('/v1/files/uploads', { method: 'POST', body: JSON.stringify({ sha256: liar, size: font.length }) })).json()) as { uploadUrl: string; headers: Record<string, string> };
    await fetch(liarTicket.uploadUrl, { method: 'PUT', headers: liarTicket.headers, body: font });
    const refused = await api(`/v1/files/${liar}`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('file_hash_mismatch');
    expect(await bucketFiles(`uploads/`)).toEqual([]);

    const { code, files } = projectRequest('showcase', { except: (file) => file.endsWith('.otf') });
    const res = await api('/v1/renders', {
      method: 'POST',
      body: JSON.stringify({ code, quality: 'low', files: [...files, { path: 'fonts/ComicNeue-Regular.otf', sha256 }] }),
    });
    expect(res.status).toBe(202);
    const job = await waitFor(((await res.json()) as JobView).id, terminal);
    expect(job.scenes[0]).toMatchObject({ status: 'succeeded', output: { audioCodec: 'aac' } });
    const signed = (await api(job.scenes[0]!.output!.url)).headers.get('location')!;
    const file = path.join(dataDir, 'Showcase.mp4');
    fs.writeFileSync(file, Buffer.from(await (await fetch(signed)).arrayBuffer()));
    expect(await ffprobe(file)).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    expect(await audioCodecsOf(file)).toEqual(['aac']);
    const loudness = await loudnessOf(file);
    expect(loudness[1]).toBeGreaterThan(0.05);
    expect(Math.max(...loudness.slice(7, 11))).toBeLessThan(0.05);
  });

  it('renders a batch of every .py under a Cloud Storage prefix', async () => {
    const storage = new Storage({ projectId: stack.settings.GOOGLE_CLOUD_PROJECT, apiEndpoint: stack.emulators.gcsEndpoint });
    const [sources] = await storage.createBucket('scene-sources');
    await sources.file('nightly/tiny.py').save(fixture('tiny.py'));
    await sources.file('nightly/camera_and_3d.py').save(fixture('camera_and_3d.py'));
    await sources.file('nightly/README.md').save('not a scene');
    const res = await api('/v1/batches', {
      method: 'POST',
      body: JSON.stringify({ source: { gcsPrefix: 'gs://scene-sources/nightly/' }, defaults: { quality: 'low' } }),
      headers: { 'idempotency-key': 'nightly-1' },
    });
    expect(res.status).toBe(202);
    const batch = (await res.json()) as { id: string; items: Array<{ source: string; jobId: string }> };
    expect(batch.items.map((i) => i.source)).toEqual(['gs://scene-sources/nightly/camera_and_3d.py', 'gs://scene-sources/nightly/tiny.py']);
    for (const item of batch.items) expect((await waitFor(item.jobId, terminal)).status).toBe('succeeded');
    const view = (await (await api(`/v1/batches/${batch.id}`)).json()) as { status: string; counts: Record<string, number> };
    expect(view).toMatchObject({ status: 'succeeded', counts: { succeeded: 2 } });
  });

  it("serves Cloud Tasks' webhook deliveries on the ingress, to no caller but the invoker account", async () => {
    const task = { type: 'deliver-webhook', version: 1, event: 'render.finished', resourceId: 'job1' };
    const anonymous = await fetch(`${stack.ingressUrl}/tasks/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(task) });
    expect(anonymous.status).toBe(401);
    // An API key is a caller's credential, not Cloud Tasks' token.
    expect((await api('/tasks/webhooks', { method: 'POST', body: JSON.stringify(task) })).status).toBe(401);
  });

  it('repairs lost work from the CLI: a job stored without its tasks is queued again through Cloud Tasks and renders', async () => {
    const settings: Record<string, string> = { ...stack.settings, ROLE: 'ingress' };
    const store = new FirestoreJobStore({ projectId: settings.GOOGLE_CLOUD_PROJECT!, emulatorHost: settings.FIRESTORE_EMULATOR_HOST, retentionDays: 1 });
    const id = `lost${Date.now()}`;
    // As the ingress stores a job, with no task queued after it: what a SIGKILL between the two writes leaves.
    await store.createJob({ job: jobRecord({ id, owner: 'key:emulated', code: fixture('tiny.py'), at: new Date(Date.now() - 5000), scenes: ['TinyCircle'] }) });
    await store.close();
    const repaired = await runCliJson(['repair', '--after', '2', '--json'], settings);
    expect(repaired).toMatchObject({ requeued: 1 });
    const job = await waitFor(id, terminal);
    expect(job.status).toBe('succeeded');
    // The scheduled path is the ingress's, open to the invoker's token only.
    const anonymous = await fetch(`${stack.ingressUrl}/tasks/repair`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect((await api('/tasks/repair', { method: 'POST' })).status).toBe(401);
  });

  it("refuses a batch source outside the principal's allowed prefixes: another bucket, the service's own, a sibling prefix", async () => {
    const storage = new Storage({ projectId: stack.settings.GOOGLE_CLOUD_PROJECT, apiEndpoint: stack.emulators.gcsEndpoint });
    const [tenant] = await storage.createBucket('other-tenant');
    await tenant.file('private/secret_scene.py').save(fixture('tiny.py'));
    await storage.bucket(stack.settings.BUCKET!).file('scheduled/operator.py').save(fixture('tiny.py'));
    const prefixes = ['gs://other-tenant/private/', `gs://${stack.settings.BUCKET}/`, `gs://${stack.settings.BUCKET}/scheduled/`, 'gs://scene-sources/', 'gs://scene-sources/nightly-2/'];
    for (const gcsPrefix of prefixes) {
      const res = await api('/v1/batches', { method: 'POST', body: JSON.stringify({ source: { gcsPrefix } }) });
      expect(res.status).toBe(403);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('BATCH_SOURCES') });
    }
    const jobs = (await (await api('/v1/renders')).json()) as { jobs: JobView[] };
    expect(jobs.jobs.every((job) => !JSON.stringify(job).includes('secret_scene'))).toBe(true);
  });

  it('renders a long scene as parts through Cloud Tasks, joined in one output, the parts removed', async () => {
    const res = await api('/v1/renders', { method: 'POST', body: JSON.stringify({ code: fixture('long_waits.py'), quality: 'low' }) });
    expect(res.status).toBe(202);
    const job = await waitFor(((await res.json()) as JobView).id, terminal);
    expect(job.status).toBe('succeeded');
    const scene = job.scenes[0]!;
    expect(scene.split).toEqual({ parts: 4 });
    const signed = (await api(scene.output!.url)).headers.get('location')!;
    const file = path.join(dataDir, 'LongWaits.mp4');
    fs.writeFileSync(file, Buffer.from(await (await fetch(signed)).arrayBuffer()));
    const probe = await ffprobe(file);
    expect(probe).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    expect(probe.durationSeconds).toBeCloseTo(36, 0);
    const files = await bucketFiles(`jobs/${job.id}/`);
    expect(files).toEqual([expect.stringMatching(new RegExp(`^jobs/${job.id}/LongWaits/joined-[0-9a-f-]+/LongWaits\\.mp4$`)), `jobs/${job.id}/LongWaits/render.log`]);
  });

  it("renders a deploy's canary through the renderer and leaves its outcome and video in the bucket", async () => {
    const { outcome, videoBytes } = await runCanary(stack);
    expect(outcome).toMatchObject({ ok: true, revision: 'manim-renderer-e2e', video: { width: 854, height: 480 } });
    expect(outcome.readiness.sandbox).toMatchObject({ ok: true });
    expect(videoBytes).toBeGreaterThan(1000);
  });

  it('refuses task deliveries that do not carry the invoker\'s token', async () => {
    const body = JSON.stringify({ type: 'render-scene', version: 1, jobId: 'x', scene: 'Y' });
    const headers = { 'content-type': 'application/json' };
    expect((await fetch(`${stack.rendererUrl}/tasks`, { method: 'POST', body, headers })).status).toBe(401);
    const forged = { ...headers, authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJlbWFpbCI6ImEifQ.' };
    expect((await fetch(`${stack.rendererUrl}/tasks`, { method: 'POST', body, headers: forged })).status).toBe(401);
  });

  it('finishes a render exactly once after the renderer is killed in the middle of it', async () => {
    // Medium quality: a render of several seconds, so the kill lands inside it even when polls are slow under load
    // (at low quality a warm worker can finish between two polls).
    const submitted = await submit('long_timeline.py', 'medium');
    await waitFor(submitted.id, (j) => j.status === 'rendering' && j.progress > 0, 60_000);
    await stack.killRenderer();
    await stack.startRenderer();
    const job = await waitFor(submitted.id, terminal);
    expect(job.status).toBe('succeeded');
    // The killed attempt and the one that finished after its lease expired: no more.
    expect(job.scenes[0]!.attempts).toBe(2);
    expect(await bucketFiles(`jobs/${job.id}/`)).toEqual([`jobs/${job.id}/LongTimeline/LongTimeline.mp4`, `jobs/${job.id}/LongTimeline/render.log`]);
  });
});
