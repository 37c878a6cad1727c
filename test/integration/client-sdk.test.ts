import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  AuthError,
  createRenderClient,
  IdempotencyConflictError,
  INLINE_FILE_BYTES,
  NotFoundError,
  ValidationError,
  verifyWebhook,
  WaitTimeoutError,
  WebhookVerificationError,
  WEBHOOK_SIGNATURE_HEADER,
  type JobView,
  type RenderClient,
  type RenderClientOptions,
} from '../../src/client';
import { ffprobe, fixture, startService, type ServiceHarness } from '../support/service-harness';
import { PROJECTS } from '../support/project-fixture';
import { startTestIssuer, trustingIssuer, type TestIssuer } from '../support/test-issuer';

jest.setTimeout(180_000);

type FetchInput = Parameters<typeof fetch>[0];

const AUDIENCE = 'https://manim-api.example.run.app';
let issuer: TestIssuer;
let service: ServiceHarness;

beforeAll(async () => {
  issuer = await startTestIssuer();
  service = await startService({
    ...trustingIssuer(issuer, { audience: AUDIENCE, allowlist: 'alice@example.com,bob@example.com' }),
    QUOTA_SUBMITS_PER_MINUTE: '1000',
    // The webhook receiver below listens on loopback, which only this local setting lets deliveries reach.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  });
});

afterAll(async () => {
  await service.stop();
  await issuer.close();
});

/** A token source as a Next.js server would have one, backed by the local issuer the service trusts. */
const tokenFor = (email: string) => async () => issuer.mint({ aud: AUDIENCE, email, email_verified: true, sub: `sub-${email}` });

function clientFor(options: Partial<RenderClientOptions> = {}): RenderClient {
  return createRenderClient({
    baseUrl: service.url,
    auth: { type: 'idToken', getToken: tokenFor('alice@example.com') },
    retry: { baseDelayMs: 20 },
    ...options,
  });
}

const tiny = (tag: string) => ({ code: fixture('tiny.py'), quality: 'low' as const, metadata: { case: tag } });

async function jobsTagged(client: RenderClient, tag: string): Promise<JobView[]> {
  return (await client.list({ pageSize: 100 })).jobs.filter((job) => job.metadata.case === tag);
}

/**
 * Wraps the real fetch so that the first submit (POST /v1/renders or /v1/batches) fails as `fail` says; the rest
 * go through. Records every submit's Idempotency-Key. This is the injection point the SDK offers for exactly this.
 */
function failingFirstSubmit(fail: (input: URL | FetchInput, init?: RequestInit) => Promise<Response>) {
  const keys: string[] = [];
  let failed = false;
  const wrapped = (async (input: URL | FetchInput, init?: RequestInit) => {
    const isSubmit = init?.method === 'POST' && /\/v1\/(renders|batches)$/.test(new URL(String(input)).pathname);
    if (isSubmit) keys.push((init?.headers as Record<string, string>)['Idempotency-Key']!);
    if (isSubmit && !failed) {
      failed = true;
      return fail(input, init);
    }
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: wrapped, keys };
}

async function cancelAll(client: RenderClient, jobs: JobView[]): Promise<void> {
  await Promise.all(jobs.map((job) => client.cancel(job.id)));
}

describe('a render through the SDK', () => {
  const client = () => clientFor();
  let job: JobView;

  it('submits a scene, waits with progress, and downloads a real video', async () => {
    const submitted = await client().submit(tiny('render'));
    expect(submitted.status).toBe('queued');
    const seen: JobView[] = [];
    job = await client().wait(submitted.id, { timeoutMs: 120_000, onProgress: (j) => seen.push(j) });
    expect(job).toMatchObject({ id: submitted.id, status: 'succeeded', progress: 1 });
    expect(seen.at(-1)?.status).toBe('succeeded');

    const res = await client().download(job.id, 'TinyCircle');
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const file = path.join(service.dataDir, 'sdk-download.mp4');
    await pipeline(Readable.fromWeb(res.body! as NodeReadableStream<Uint8Array>), fs.createWriteStream(file));
    expect(await ffprobe(file)).toMatchObject({ codec: 'h264', width: 854, height: 480 });
  });

  it('reads the job and lists it', async () => {
    expect((await client().get(job.id)).status).toBe('succeeded');
    expect((await client().list()).jobs.map((j) => j.id)).toContain(job.id);
  });

  it('resolves a failed render as a result, with the line, and reads its log', async () => {
    const submitted = await client().submit({ code: fixture('broken_midway.py'), quality: 'low', metadata: { case: 'broken' } });
    const failed = await client().wait(submitted.id, { timeoutMs: 120_000 });
    expect(failed.status).toBe('failed');
    expect(failed.scenes[0]?.error).toMatchObject({ code: 'scene_error', line: 12, traceback: expect.stringContaining('ZeroDivisionError') });
    // The log's content is the renderer's business (test/integration/render-scenes.test.ts); here: it arrives as text.
    expect(typeof (await client().logs(failed.id, 'BrokenMidway'))).toBe('string');
  });

  // Needs the server's GET /v1/renders/{id}/scenes/{scene}/url.
  it('gives a URL for the scene: the API URL locally, with an expiry', async () => {
    const { url, expiresAt } = await client().sceneUrl(job.id, 'TinyCircle');
    expect(new URL(url).origin).toBe(new URL(service.url).origin);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const token = await tokenFor('alice@example.com')();
    const video = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
  });

  it("names the scene's live playlist, which the client's credentials read", async () => {
    const url = client().liveUrl(job.id, 'TinyCircle');
    expect(url).toBe(`${service.url}/v1/renders/${job.id}/scenes/TinyCircle/live.m3u8`);
    const token = await tokenFor('alice@example.com')();
    const playlist = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(playlist.status).toBe(200);
    const text = await playlist.text();
    expect(text).toMatch(/^#EXTM3U\n/);
    expect(text).toContain('live/0.ts');
    expect(text.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect((await fetch(url)).status).toBe(401);
  });

  it('deletes the job', async () => {
    await client().delete(job.id);
    await expect(client().get(job.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('project files through the SDK', () => {
  const beep = fs.readFileSync(path.join(PROJECTS, 'showcase', 'sounds', 'beep.wav'));

  /** The real fetch, counting the bodies sent to POST /v1/files. */
  function countingUploads() {
    const counted = { uploads: 0 };
    const wrapped = (async (input: URL | FetchInput, init?: RequestInit) => {
      if (init?.method === 'POST' && new URL(String(input)).pathname === '/v1/files') counted.uploads++;
      return fetch(input, init);
    }) as typeof fetch;
    return { fetch: wrapped, counted };
  }

  it('uploads a file once: a file the service has is not sent again', async () => {
    const { fetch: counting, counted } = countingUploads();
    const client = clientFor({ fetch: counting });
    const first = await client.uploadAsset(beep);
    const again = await client.uploadAsset(beep);
    expect(first).toMatchObject({ kind: 'wav', size: beep.length });
    expect(again.sha256).toBe(first.sha256);
    expect(counted.uploads).toBe(1);
  });

  it('submits bytes as files: small ones inline, large ones uploaded first and named by hash; the sound is in the video', async () => {
    const table = Buffer.from(Array.from({ length: 120_000 }, (_, i) => `${i},${(i * 7) % 13},${(i * 31) % 101}\n`).join(''));
    expect(table.length).toBeGreaterThan(INLINE_FILE_BYTES);
    const { fetch: counting, counted } = countingUploads();
    const submitted = await clientFor({ fetch: counting }).submit({
      code: fixture('sound_beeps.py'),
      quality: 'low',
      files: [
        { path: 'sounds/beep.wav', content: beep },
        { path: 'data/table.csv', content: table },
      ],
    });
    expect(counted.uploads).toBe(1);
    expect(submitted.files).toEqual([
      { path: 'sounds/beep.wav', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: beep.length },
      { path: 'data/table.csv', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: table.length },
    ]);
    const done = await clientFor().wait(submitted.id, { timeoutMs: 120_000 });
    expect(done.scenes[0]).toMatchObject({ status: 'succeeded', output: { audioCodec: 'aac' } });
  });

  it("refuses another principal's file as unknown", async () => {
    const stored = await clientFor().uploadAsset(beep);
    const bob = clientFor({ auth: { type: 'idToken', getToken: tokenFor('bob@example.com') } });
    const refused = await bob.submit({ code: fixture('sound_beeps.py'), files: [{ path: 'sounds/beep.wav', sha256: stored.sha256 }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({ code: 'unknown_file', status: 400 });
  });
});

describe('retries', () => {
  it('submits exactly one job when the first attempt fails with a network error', async () => {
    const injected = failingFirstSubmit(async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }) });
    });
    const client = clientFor({ fetch: injected.fetch });
    const job = await client.submit(tiny('network-error'));
    const jobs = await jobsTagged(client, 'network-error');
    expect(jobs.map((j) => j.id)).toEqual([job.id]);
    expect(injected.keys).toHaveLength(2);
    expect(new Set(injected.keys).size).toBe(1);
    await cancelAll(client, jobs);
  });

  it('waits out a 503 with Retry-After, then submits exactly one job', async () => {
    const injected = failingFirstSubmit(async () =>
      new Response(JSON.stringify({ error: { code: 'unavailable', message: 'scaling up' } }), { status: 503, headers: { 'retry-after': '1' } }),
    );
    const client = clientFor({ fetch: injected.fetch });
    const started = Date.now();
    const job = await client.submit(tiny('retry-after'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    const jobs = await jobsTagged(client, 'retry-after');
    expect(jobs.map((j) => j.id)).toEqual([job.id]);
    expect(new Set(injected.keys).size).toBe(1);
    await cancelAll(client, jobs);
  });

  // The hard case, and the reason for the Idempotency-Key: the service made the job but its answer never arrived.
  it('submits exactly one job when the answer to the first attempt is lost', async () => {
    const injected = failingFirstSubmit(async (input, init) => {
      const res = await fetch(input, init);
      await res.body?.cancel();
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    });
    const client = clientFor({ fetch: injected.fetch });
    const job = await client.submit(tiny('lost-answer'));
    const jobs = await jobsTagged(client, 'lost-answer');
    expect(jobs.map((j) => j.id)).toEqual([job.id]);
    await cancelAll(client, jobs);
  });
});

describe('idempotency keys', () => {
  it('returns the same job for the same key and body, and refuses the key with another body', async () => {
    const client = clientFor();
    const idempotencyKey = `schedule-${Date.now()}`;
    const first = await client.submit(tiny('same-key'), { idempotencyKey });
    const again = await client.submit(tiny('same-key'), { idempotencyKey });
    expect(again.id).toBe(first.id);
    const conflict = await client.submit({ ...tiny('same-key'), quality: 'medium' }, { idempotencyKey }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(IdempotencyConflictError);
    expect(conflict).toMatchObject({ status: 422, code: 'idempotency_conflict' });
    await client.cancel(first.id);
  });
});

describe('typed errors', () => {
  it('throws ValidationError with the server code and line for a syntax error', async () => {
    const error = await clientFor().submit({ code: fixture('syntax_error.py') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 400, code: 'syntax_error', details: { line: expect.any(Number) } });
  });

  it('throws ValidationError with the issues for a request the schema refuses', async () => {
    const error = await clientFor().submit({ code: 'x', scenes: ['../etc'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', details: expect.any(Array) });
  });

  it('throws NotFoundError for an unknown job', async () => {
    const error = await clientFor().get('nosuchjob').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('throws AuthError without a token (401) and for a caller not allowed (403)', async () => {
    await expect(clientFor({ auth: { type: 'none' } }).list()).rejects.toMatchObject({ name: 'AuthError', status: 401, code: 'unauthenticated' });
    const forbidden = await clientFor({ auth: { type: 'idToken', getToken: tokenFor('mallory@example.net') } }).list().catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(AuthError);
    expect(forbidden).toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe('wait', () => {
  let job: JobView;
  const client = () => clientFor();

  beforeAll(async () => {
    job = await client().submit({ code: fixture('never_ends.py'), quality: 'low', timeoutSeconds: 60, metadata: { case: 'wait' } });
  });

  afterAll(async () => {
    await client().cancel(job.id).catch(() => undefined);
  });

  it('rejects with the signal\'s reason when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('the user left')), 300);
    const started = Date.now();
    await expect(client().wait(job.id, { signal: controller.signal })).rejects.toThrow('the user left');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('rejects with WaitTimeoutError after its timeout, with the last state seen', async () => {
    const error = (await client().wait(job.id, { timeoutMs: 500 }).catch((e: unknown) => e)) as WaitTimeoutError;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error.lastJob?.id).toBe(job.id);
    expect(['queued', 'rendering']).toContain(error.lastJob?.status);
  });

  it('polls when the progress stream fails, and resolves with the cancelled job', async () => {
    // A fetch whose event stream always fails, as behind a proxy that does not pass streams.
    const noStream = (async (input: URL | FetchInput, init?: RequestInit) => {
      if (new URL(String(input)).pathname.endsWith('/events')) throw new TypeError('fetch failed');
      return fetch(input, init);
    }) as typeof fetch;
    const waiting = clientFor({ fetch: noStream }).wait(job.id, { pollIntervalMs: 100, timeoutMs: 30_000 });
    await client().cancel(job.id);
    expect((await waiting).status).toBe('cancelled');
  });
});

// Needs the server's POST /v1/batches and GET /v1/batches/{id}.
describe('batches', () => {
  it('submits a batch once despite a lost answer, and reads it back', async () => {
    const injected = failingFirstSubmit(async (input, init) => {
      const res = await fetch(input, init);
      await res.body?.cancel();
      throw new TypeError('fetch failed');
    });
    const client = clientFor({ fetch: injected.fetch });
    const batch = await client.batch({ name: 'sdk-test', items: [tiny('batch-a'), tiny('batch-b')], defaults: { quality: 'low' } });
    expect(batch.items).toHaveLength(2);
    const again = await client.getBatch(batch.id);
    expect(again.id).toBe(batch.id);
    const jobIds = again.items.map((item) => item.jobId);
    expect(jobIds.every(Boolean)).toBe(true);
    expect((await jobsTagged(client, 'batch-a')).map((j) => j.id)).toEqual([jobIds[0]]);
    await Promise.all(jobIds.map((id) => client.cancel(id!)));
  });
});

/** A webhook receiver on loopback that keeps each delivery's raw body and signature header. */
async function startReceiver(): Promise<{ url: string; deliveries: Array<{ body: string; signature: string | undefined }>; close(): Promise<void> }> {
  const deliveries: Array<{ body: string; signature: string | undefined }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()] as string | undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/render`,
    deliveries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('webhooks', () => {
  it('verifies a real delivery with the secret from the service, and rejects it tampered', async () => {
    const receiver = await startReceiver();
    try {
      const client = clientFor();
      const job = await client.submit({ ...tiny('webhook'), webhookUrl: receiver.url });
      await client.wait(job.id, { timeoutMs: 120_000 });
      const deadline = Date.now() + 30_000;
      while (receiver.deliveries.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const [delivery] = receiver.deliveries;
      const secret = await client.webhookSecret();
      const event = verifyWebhook(delivery!.body, delivery!.signature, secret);
      expect(event).toMatchObject({ type: 'render.finished', data: { id: job.id, status: 'succeeded' } });
      expect(() => verifyWebhook(delivery!.body.replace('succeeded', 'failed'), delivery!.signature, secret)).toThrow(WebhookVerificationError);
      expect(() => verifyWebhook(delivery!.body, delivery!.signature, `${secret}x`)).toThrow(WebhookVerificationError);
    } finally {
      await receiver.close();
    }
  });
});
