import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalTaskQueue } from '../../../src/adapters/local/local-task-queue';
import { SqliteIdempotencyStore } from '../../../src/adapters/local/sqlite-idempotency-store';
import { SqliteJobStore } from '../../../src/adapters/local/sqlite-job-store';
import { SqliteResultCache } from '../../../src/adapters/local/sqlite-result-cache';
import { FileBlobStore } from '../../../src/adapters/local/file-blob-store';
import { PythonSceneInspector } from '../../../src/adapters/python/python-scene-inspector';
import { createRenderRequestSchema, type CreateRenderRequestInput } from '../../../src/contracts/render-request';
import { createRenderJob, type CreateRenderJobDeps } from '../../../src/domain/create-render-job';
import { IdempotencyConflictError, QuotaExceededError, UnavailableError, ValidationError } from '../../../src/domain/errors';
import type { TaskQueue } from '../../../src/domain/ports/task-queue';
import { createLogger } from '../../../src/logging/create-logger';

const ROOT = path.resolve(__dirname, '../../..');
const SCENES = path.join(ROOT, 'test/fixtures/scenes');
const scene = (file: string) => fs.readFileSync(path.join(SCENES, file), 'utf8');
const NOW = new Date('2030-01-01T00:00:00.000Z');

describe('createRenderJob', () => {
  const inspector = new PythonSceneInspector({ python: path.join(ROOT, '.venv/bin/python'), pythonPath: path.join(ROOT, 'python') });
  let dir: string;
  let jobStore: SqliteJobStore;
  let taskQueue: LocalTaskQueue;
  let idempotency: SqliteIdempotencyStore;
  let deps: CreateRenderJobDeps;
  let idCount: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'create-render-job-'));
    jobStore = new SqliteJobStore({ filePath: path.join(dir, 'jobs.sqlite') });
    // Never started: the test only looks at what was enqueued, nothing is delivered.
    taskQueue = new LocalTaskQueue({
      filePath: path.join(dir, 'tasks.sqlite'),
      concurrency: 1,
      retry: { maxAttempts: 3, minBackoffMs: 10, maxBackoffMs: 100 },
      logger: createLogger({ level: 'silent' }),
    });
    idempotency = new SqliteIdempotencyStore({ filePath: path.join(dir, 'idempotency.sqlite') });
    idCount = 0;
    deps = {
      jobStore,
      idempotency,
      taskQueue,
      inspector,
      // Fixed ids and time (the ports exist for this) so the test can look the job up afterwards.
      ids: { newId: () => `job${++idCount}` },
      clock: { now: () => NOW },
      limits: { maxCodeBytes: 4096, maxActiveScenes: 4, defaultTimeoutSeconds: 120, maxTimeoutSeconds: 600 },
    };
  });

  afterEach(() => {
    taskQueue.close();
    jobStore.close();
    idempotency.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterAll(() => inspector.close());

  const submit = (input: CreateRenderRequestInput, overrides: Partial<CreateRenderJobDeps> = {}) =>
    createRenderJob({ ...deps, ...overrides }, { owner: 'alice', request: createRenderRequestSchema.parse(input) }).then((r) => r.job);

  describe('with an idempotency key', () => {
    const submitWithKey = (input: CreateRenderRequestInput, key: string, owner = 'alice') =>
      createRenderJob(deps, { owner, request: createRenderRequestSchema.parse(input), idempotencyKey: key });

    it('returns the first job for a repeat of the same request, and enqueues its tasks once', async () => {
      const first = await submitWithKey({ code: scene('tiny.py') }, 'k1');
      const again = await submitWithKey({ code: scene('tiny.py') }, 'k1');
      expect(first.replayed).toBe(false);
      expect(again).toEqual({ job: first.job, replayed: true });
      expect(taskQueue.stats()).toEqual({ pending: 1 });
      expect((await jobStore.listJobs({ owner: 'alice', pageSize: 10 })).jobs).toHaveLength(1);
    });

    it('queues the tasks a first submit stored its job for and then lost (the ingress died between the two), on the retry', async () => {
      // A queue that takes the call and keeps nothing: the job is stored, its tasks are not, as after a SIGKILL.
      const lost: TaskQueue = { enqueue: async () => undefined, deleteTasks: async () => undefined, pendingNames: async () => new Set() };
      const first = await createRenderJob({ ...deps, taskQueue: lost }, { owner: 'alice', request: createRenderRequestSchema.parse({ code: scene('tiny.py') }), idempotencyKey: 'k-lost' });
      expect(taskQueue.stats()).toEqual({});
      const again = await submitWithKey({ code: scene('tiny.py') }, 'k-lost');
      expect(again).toEqual({ job: first.job, replayed: true });
      expect(taskQueue.stats()).toEqual({ pending: 1 });
      expect([...(await taskQueue.pendingNames({ names: [`render-${first.job.id}-TinyCircle`] }))]).toHaveLength(1);
    });

    it('refuses the same key with a different request as idempotency_conflict', async () => {
      await submitWithKey({ code: scene('tiny.py') }, 'k2');
      await expect(submitWithKey({ code: scene('tiny.py'), quality: 'high' }, 'k2')).rejects.toBeInstanceOf(IdempotencyConflictError);
    });

    it('keeps keys of different principals apart', async () => {
      const alice = await submitWithKey({ code: scene('tiny.py') }, 'shared');
      const bob = await submitWithKey({ code: scene('tiny.py') }, 'shared', 'bob');
      expect(bob.job.id).not.toBe(alice.job.id);
    });

    it('frees the key when the request failed, so a retry can succeed', async () => {
      await expect(submitWithKey({ code: scene('no_scene.py') }, 'k3')).rejects.toBeInstanceOf(ValidationError);
      expect((await submitWithKey({ code: scene('tiny.py') }, 'k3')).replayed).toBe(false);
    });
  });

  async function refusal(promise: Promise<unknown>): Promise<ValidationError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }

  it('stores a job with every scene of the code queued and enqueues one task per scene', async () => {
    const job = await submit({ code: scene('multi_scene.py'), quality: 'low', metadata: { ref: 'abc' } });
    expect(job).toMatchObject({
      id: 'job1',
      owner: 'alice',
      quality: 'low',
      format: 'mp4',
      timeoutSeconds: 120,
      metadata: { ref: 'abc' },
      createdAt: NOW.toISOString(),
    });
    expect(job.scenes.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['PartOne', 'queued', 0],
      ['PartTwo', 'queued', 0],
      ['PartThree', 'queued', 0],
    ]);
    expect(await jobStore.getJob({ id: 'job1' })).toEqual(job);
    expect(taskQueue.stats()).toEqual({ pending: 3 });
  });

  it('renders only the scenes asked for, each once however often it was named', async () => {
    const job = await submit({ code: scene('multi_scene.py'), scenes: ['PartThree', 'PartOne', 'PartThree'], timeoutSeconds: 30 });
    expect(job.scenes.map((s) => s.name)).toEqual(['PartThree', 'PartOne']);
    expect(job.timeoutSeconds).toBe(30);
    expect(taskQueue.stats()).toEqual({ pending: 2 });
  });

  it('refuses code over the size limit as code_too_large', async () => {
    const code = `${scene('tiny.py')}\n# ${'x'.repeat(5000)}\n`;
    const error = await refusal(submit({ code }));
    expect(error.code).toBe('code_too_large');
    expect(error.details).toEqual({ bytes: Buffer.byteLength(code), limit: 4096 });
    expect(taskQueue.stats()).toEqual({});
  });

  it('measures the size limit in UTF-8 bytes, not characters', async () => {
    const padding = 4096 - Buffer.byteLength(scene('tiny.py')) - 3;
    // Each "é" is two bytes: one character short of the limit in characters, far over it in bytes.
    const error = await refusal(submit({ code: `${scene('tiny.py')}# ${'é'.repeat(padding)}` }));
    expect(error.code).toBe('code_too_large');
  });

  it('refuses a timeout over the maximum as timeout_too_long', async () => {
    const error = await refusal(submit({ code: scene('tiny.py'), timeoutSeconds: 601 }));
    expect(error.code).toBe('timeout_too_long');
  });

  it('rejects a scene file with no Scene subclass as no_scene', async () => {
    const error = await refusal(submit({ code: scene('no_scene.py') }));
    expect(error.code).toBe('no_scene');
    expect(await jobStore.listJobs({ owner: 'alice', pageSize: 10 })).toEqual({ jobs: [] });
  });

  it('rejects an unknown scene name as unknown_scene, listing what is there', async () => {
    const error = await refusal(submit({ code: scene('multi_scene.py'), scenes: ['PartOne', 'Missing', 'Gone'] }));
    expect(error.code).toBe('unknown_scene');
    expect(error.details).toEqual({ unknown: ['Missing', 'Gone'], available: ['PartOne', 'PartTwo', 'PartThree'] });
    expect(taskQueue.stats()).toEqual({});
  });

  it('rejects code that does not parse as syntax_error with the line', async () => {
    const error = await refusal(submit({ code: scene('syntax_error.py') }));
    expect(error.code).toBe('syntax_error');
    expect(error.details).toEqual({ line: 6 });
    expect(error.message).toContain('line 6');
  });

  it('refuses a submit that would take the owner over the active-scene quota', async () => {
    await submit({ code: scene('multi_scene.py') });
    const error = await submit({ code: scene('multi_scene.py'), scenes: ['PartOne', 'PartTwo'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).details).toEqual({ active: 3, limit: 4 });
    expect(taskQueue.stats()).toEqual({ pending: 3 });
    // One more scene still fits, and another owner has a quota of their own.
    await expect(submit({ code: scene('multi_scene.py'), scenes: ['PartOne'] })).resolves.toMatchObject({ owner: 'alice', scenes: [{ name: 'PartOne' }] });
    await expect(
      createRenderJob(deps, { owner: 'bob', request: createRenderRequestSchema.parse({ code: scene('multi_scene.py') }) }),
    ).resolves.toMatchObject({ job: { owner: 'bob' } });
  });

  it('takes the job back and says the queue is unavailable when enqueueing fails', async () => {
    // Stands for a queue that cannot be reached (Cloud Tasks down, a network partition).
    const unreachable: TaskQueue = {
      enqueue: async () => {
        throw new Error('14 UNAVAILABLE: connect ECONNREFUSED');
      },
      deleteTasks: async () => undefined,
      pendingNames: async () => new Set(),
    };
    const error = await submit({ code: scene('tiny.py') }, { taskQueue: unreachable }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).details).toEqual({ cause: '14 UNAVAILABLE: connect ECONNREFUSED' });
    expect(await jobStore.getJob({ id: 'job1' })).toBeNull();
    expect(await jobStore.listJobs({ owner: 'alice', pageSize: 10 })).toEqual({ jobs: [] });
  });

  describe('reusing an earlier render', () => {
    // PartOne rendered before (its file stored, remembered by the cache); PartTwo and PartThree are new.
    const setUp = async () => {
      const blobStore = new FileBlobStore({ rootDir: path.join(dir, 'blobs') });
      const resultCache = new SqliteResultCache({ filePath: path.join(dir, 'cache.sqlite') });
      const cache = { resultCache, jobStore, blobStore, renderer: 'test' };
      const earlier = await submit({ code: scene('multi_scene.py'), scenes: ['PartOne'] }, { cache });
      const record = earlier.scenes[0]!;
      await blobStore.putText({ key: `jobs/${earlier.id}/PartOne/PartOne.mp4`, text: 'movie', contentType: 'video/mp4' });
      await jobStore.updateScene({
        jobId: earlier.id,
        scene: 'PartOne',
        now: NOW,
        change: (s) => ({ ...s, status: 'succeeded', output: { blobKey: `jobs/${earlier.id}/PartOne/PartOne.mp4`, contentType: 'video/mp4', bytes: 5, durationSeconds: 1, width: 1, height: 1 } }),
      });
      await resultCache.remember({ owner: 'alice', key: record.renderKey!, render: { jobId: earlier.id, scene: 'PartOne' } });
      return { blobStore, cache, close: () => resultCache.close() };
    };

    it('copies the file under the new job and stores the scene succeeded', async () => {
      const { blobStore, cache, close } = await setUp();
      const job = await submit({ code: scene('multi_scene.py') }, { cache });
      expect(job.scenes.map((s) => [s.name, s.status])).toEqual([['PartOne', 'succeeded'], ['PartTwo', 'queued'], ['PartThree', 'queued']]);
      expect(await blobStore.stat({ key: `jobs/${job.id}/PartOne/PartOne.mp4` })).toMatchObject({ bytes: 5 });
      close();
    });

    it.each([
      ['the job store refuses the job (the quota)', { maxActiveScenes: 1 }, undefined],
      ['the queue is unreachable', {}, 'queue'],
    ])('takes the copied file back when %s: no file outlives a job that was never stored', async (_case, limits, broken) => {
      const { blobStore, cache, close } = await setUp();
      const unreachable: TaskQueue = {
        enqueue: async () => {
          throw new Error('14 UNAVAILABLE');
        },
        deleteTasks: async () => undefined,
        pendingNames: async () => new Set(),
      };
      const overrides = { cache, limits: { ...deps.limits, ...limits }, ...(broken && { taskQueue: unreachable }) };
      const error = await submit({ code: scene('multi_scene.py') }, overrides).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(broken ? UnavailableError : QuotaExceededError);
      expect(await jobStore.getJob({ id: 'job2' })).toBeNull();
      expect(await blobStore.stat({ key: 'jobs/job2/PartOne/PartOne.mp4' })).toBeNull();
      expect(fs.existsSync(path.join(dir, 'blobs', 'jobs', 'job2'))).toBe(false);
      // The earlier job keeps its own.
      expect(await blobStore.stat({ key: 'jobs/job1/PartOne/PartOne.mp4' })).toMatchObject({ bytes: 5 });
      close();
    });
  });
});
