import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBlobStore } from '../../../../src/adapters/local/file-blob-store';
import { SqliteJobStore } from '../../../../src/adapters/local/sqlite-job-store';
import { TASK_PAYLOAD_VERSION } from '../../../../src/contracts/task-payload';
import { logKey, outputKey, partsPrefix } from '../../../../src/domain/blob-keys';
import type { JobRecord, SceneBoundary, SceneRecord } from '../../../../src/domain/job';
import type {
  PlanVerdict,
  RawRenderFailure,
  RenderAttempt,
  RenderSceneParams,
  SceneRenderer,
  StitchParams,
} from '../../../../src/domain/ports/scene-renderer';
import type { TaskQueue, TaskSpec } from '../../../../src/domain/ports/task-queue';
import { RetryableTaskError } from '../../../../src/domain/retryable-task-error';
import { runRenderTask } from '../../../../src/domain/run-render-task';
import type { RunRenderTaskDeps } from '../../../../src/domain/render-task-deps';
import type { ScenePlan } from '../../../../src/domain/split/plan-split';
import { runPartTask } from '../../../../src/domain/split/run-part-task';
import { runStitchTask } from '../../../../src/domain/split/run-stitch-task';
import { partTaskName, stitchTaskName, wholeRenderTaskName } from '../../../../src/domain/task-names';
import { createLogger } from '../../../../src/logging/create-logger';

const JOB = 'job1';
const SCENE = 'Intro';
const MAX_ATTEMPTS = 3;
/** Six animations of two seconds: with the policy below, three parts of two animations each. */
const SPLIT_PLAN: ScenePlan = { runTimes: [2, 2, 2, 2, 2, 2], timeBasedFrom: null };
/** Where each part of SPLIT_PLAN starts (the renderer only sees ranges, not part numbers). */
const PART_FROM: readonly number[] = [0, 2, 4];
const partFrom = (part: number): number => PART_FROM[part]!;

type Fingerprint = Record<string, string>;

/**
 * Stands for the Manim worker (no Python here): offers the plan the test chose, writes a few bytes as the
 * "movie", describes each range's ends with `fingerprint`, and fails where the test says. It counts what it was
 * asked to do, which is what most assertions are about.
 */
class ScriptedRenderer implements SceneRenderer {
  plan: ScenePlan = SPLIT_PLAN;
  /** What the render of the range starting at animation `from` fails with (a whole render: key -1). */
  readonly failures = new Map<number, RawRenderFailure>();
  fingerprint: (after: number, side: 'start' | 'end') => Fingerprint = (after) => ({ mobjects: `m${after}`, camera: 'c' });
  /** Renders hold until their signal aborts (at most 2 s), to be cancelled in flight. */
  hold = false;
  /** What a held render says of its progress while it holds. */
  progressWhileHeld: number | undefined;
  /** Runs while the worker is planning, before the plan reaches the caller. */
  beforePlan: (() => Promise<void>) | undefined;
  plansOffered = 0;
  /** Every render that went on past its plan to make frames: its range, or 'whole'. */
  readonly frames: Array<{ from: number; upto: number | null; animations?: number } | 'whole'> = [];
  stitches = 0;

  constructor(private readonly workDir: string) {}

  async render(params: RenderSceneParams): Promise<RenderAttempt> {
    let range = params.range;
    if (params.onPlan) {
      this.plansOffered++;
      await this.beforePlan?.();
      // As the real worker does: a decision that fails stops the render.
      const verdict = await params.onPlan(this.plan).catch((): PlanVerdict => ({ render: false }));
      if (!verdict.render) return this.failed({ reason: 'stopped' }, 'stopped after the plan');
      range = verdict.range; // the planning worker renders the first part itself, or the whole scene
    }
    this.frames.push(range ?? 'whole');
    const label = range ? `animations ${range.from}-${range.upto ?? 'end'}` : 'whole';
    if (this.hold) {
      if (this.progressWhileHeld !== undefined) params.onProgress(this.progressWhileHeld);
      // Bounded, so a render that is never stopped fails the test instead of hanging it.
      const stopped = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 2000);
        params.signal.addEventListener('abort', () => (clearTimeout(timer), resolve(true)), { once: true });
      });
      if (stopped) return this.failed({ reason: 'cancelled' }, `${label} stopped`);
    }
    const failure = this.failures.get(range?.from ?? -1);
    if (failure) return this.failed(failure, `log of ${label}: it failed`);
    const boundaries: { start?: SceneBoundary; end?: SceneBoundary } = {};
    if (range && range.from > 0) boundaries.start = { after: range.from - 1, fingerprint: this.fingerprint(range.from - 1, 'start') };
    if (range && range.upto !== null) boundaries.end = { after: range.upto, fingerprint: this.fingerprint(range.upto, 'end') };
    return this.succeeded(`movie of ${label}\n`, `log of ${label}`, boundaries);
  }

  async stitch(params: StitchParams): Promise<RenderAttempt> {
    this.stitches++;
    const chunks: Buffer[] = [];
    for (const open of params.parts) for await (const chunk of await open()) chunks.push(chunk as Buffer);
    return this.succeeded(Buffer.concat(chunks).toString('utf8'), 'joined', {});
  }

  private succeeded(movie: string, log: string, boundaries: RenderAttempt['boundaries']): RenderAttempt {
    const dir = fs.mkdtempSync(path.join(this.workDir, 'render-'));
    const filePath = path.join(dir, `${SCENE}.mp4`);
    fs.writeFileSync(filePath, movie);
    return {
      ok: true,
      file: { filePath, contentType: 'video/mp4', bytes: Buffer.byteLength(movie), durationSeconds: 1, width: 854, height: 480 },
      log,
      renderSeconds: 0.01,
      boundaries,
      dispose: () => fs.promises.rm(dir, { recursive: true, force: true }),
    };
  }

  private failed(failure: RawRenderFailure, log: string): RenderAttempt {
    return { ok: false, failure, log, renderSeconds: 0.01, boundaries: {}, dispose: async () => undefined };
  }
}

/** Records what is enqueued; like Cloud Tasks (and LocalTaskQueue), a name already taken is a no-op success. */
class RecordingTaskQueue implements TaskQueue {
  readonly tasks = new Map<string, TaskSpec>();
  /** The names of each enqueue call, duplicates included. */
  readonly calls: string[][] = [];

  async enqueue({ tasks }: { tasks: TaskSpec[] }): Promise<void> {
    this.calls.push(tasks.map((t) => t.name));
    for (const task of tasks) if (!this.tasks.has(task.name)) this.tasks.set(task.name, task);
  }

  async deleteTasks({ names }: { names: string[] }): Promise<void> {
    for (const name of names) this.tasks.delete(name);
  }

  async pendingNames({ names }: { names: string[] }): Promise<Set<string>> {
    return new Set(names.filter((name) => this.tasks.has(name)));
  }

  names(): string[] {
    return [...this.tasks.keys()].sort();
  }

  ofType(type: TaskSpec['payload']['type']): TaskSpec[] {
    return [...this.tasks.values()].filter((t) => t.payload.type === type);
  }
}

describe('split rendering across render-scene, render-part and stitch-scene tasks', () => {
  let dir: string;
  let blobDir: string;
  let jobStore: SqliteJobStore;
  let blobStore: FileBlobStore;
  let renderer: ScriptedRenderer;
  let queue: RecordingTaskQueue;
  let notify: jest.Mock<Promise<void>, [{ jobId: string }]>;
  let deps: RunRenderTaskDeps;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'split-tasks-'));
    blobDir = path.join(dir, 'blobs');
    fs.mkdirSync(path.join(dir, 'work'));
    jobStore = new SqliteJobStore({ filePath: path.join(dir, 'jobs.sqlite') });
    blobStore = new FileBlobStore({ rootDir: blobDir });
    renderer = new ScriptedRenderer(path.join(dir, 'work'));
    queue = new RecordingTaskQueue();
    notify = jest.fn(async (_params: { jobId: string }) => undefined);
    const now = new Date().toISOString();
    const job: JobRecord = {
      id: JOB, owner: 'alice', code: 'class Intro(Scene): ...', quality: 'low', format: 'mp4', timeoutSeconds: 60, metadata: {},
      scenes: [{ name: SCENE, status: 'queued', progress: 0, attempts: 0, updatedAt: now }], createdAt: now, updatedAt: now,
    };
    await jobStore.createJob({ job });
    deps = {
      jobStore, blobStore, renderer, clock: { now: () => new Date() }, logger: createLogger({ level: 'silent' }),
      heartbeatMs: 1000, leaseMs: 30_000, seed: 0, notify,
      split: { policy: { maxParts: 3, minSceneSeconds: 0, minPartSeconds: 0.1 }, taskQueue: queue },
    };
  });

  afterEach(() => {
    jobStore.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const delivery = (retryCount = 0) => ({ retryCount, maxAttempts: MAX_ATTEMPTS, signal: new AbortController().signal });
  const renderScene = (retryCount = 0) =>
    runRenderTask(deps, { task: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: JOB, scene: SCENE }, ...delivery(retryCount) });
  const renderPart = (part: number, retryCount = 0) =>
    runPartTask(deps, { task: { type: 'render-part', version: TASK_PAYLOAD_VERSION, jobId: JOB, scene: SCENE, part }, ...delivery(retryCount) });
  const stitch = (retryCount = 0) =>
    runStitchTask(deps, { task: { type: 'stitch-scene', version: TASK_PAYLOAD_VERSION, jobId: JOB, scene: SCENE }, ...delivery(retryCount) });
  const scene = async (): Promise<SceneRecord> => {
    const found = (await jobStore.getJob({ id: JOB }))?.scenes.find((s) => s.name === SCENE);
    if (!found) throw new Error('the scene is gone');
    return found;
  };
  const partName = (part: number) => partTaskName(JOB, SCENE, part);
  const rangeOf = (part: number) => ({ from: partFrom(part), upto: part === 2 ? null : partFrom(part) + 1, animations: 2 });
  const partsDir = () => path.join(blobDir, ...partsPrefix(JOB, SCENE).split('/').filter(Boolean));
  /** The movies and logs stored for parts (the blob store keeps a .meta.json beside each). */
  const storedPartFiles = () => (fs.existsSync(partsDir()) ? fs.readdirSync(partsDir()).filter((f) => !f.endsWith('.meta.json')).sort() : []);
  const recordedParts = async () => ((await scene()).split?.parts ?? []).flatMap((p, i) => (p.rendered ? [i] : []));

  /** The first delivery of the scene's render task: it plans, hands the scene over to parts and renders part 1. */
  async function splitTheScene(): Promise<void> {
    await renderScene();
    expect((await scene()).split?.parts).toHaveLength(3);
  }

  describe('a scene whose plan splits', () => {
    it('goes on in three parts without a lease; its planning delivery renders only the first part and queues the others', async () => {
      await renderScene();

      const s = await scene();
      expect(s.status).toBe('rendering');
      expect(s.lease).toBeUndefined();
      expect(s.split?.fallback).toBeUndefined();
      expect(s.split?.parts.map(({ from, upto, seconds }) => ({ from, upto, seconds }))).toEqual([
        { from: 0, upto: 1, seconds: 4 },
        { from: 2, upto: 3, seconds: 4 },
        { from: 4, upto: null, seconds: 4 },
      ]);
      expect(await recordedParts()).toEqual([0]);
      expect(s.split?.parts[0]?.rendered?.end).toEqual({ after: 1, fingerprint: { mobjects: 'm1', camera: 'c' } });
      expect(queue.names()).toEqual([partName(1), partName(2)]);
      expect(queue.ofType('render-part').map((t) => t.payload)).toEqual(
        [1, 2].map((part) => ({ type: 'render-part', version: TASK_PAYLOAD_VERSION, jobId: JOB, scene: SCENE, part })),
      );
      expect(renderer.plansOffered).toBe(1);
      expect(renderer.frames).toEqual([rangeOf(0)]); // never the whole scene
      expect(notify).not.toHaveBeenCalled();
    });

    it('answers a redelivered render-scene task by queuing the parts still due, without rendering', async () => {
      await renderScene();
      const callsBefore = queue.calls.length;

      await expect(renderScene()).resolves.toBeUndefined();

      expect(await jobStore.claimScene({ jobId: JOB, scene: SCENE, leaseMs: 30_000, now: new Date() })).toEqual({ claimed: false, reason: 'split' });
      expect(renderer.plansOffered).toBe(1);
      expect(renderer.frames).toHaveLength(1);
      expect(queue.calls).toHaveLength(callsBefore + 1);
      expect(queue.calls.at(-1)).toEqual([partName(1), partName(2)]);
      expect(queue.names()).toEqual([partName(1), partName(2)]);
      expect(await recordedParts()).toEqual([0]);
    });

    it('leaves its first part to a part task when that render fails on our side, and the redelivery queues it', async () => {
      renderer.failures.set(partFrom(0), { reason: 'worker_crashed', stage: 'startup', exitCode: 1, signal: null });

      await expect(renderScene()).rejects.toBeInstanceOf(RetryableTaskError);

      expect(await scene()).toMatchObject({ status: 'rendering', split: { parts: [{}, {}, {}] } });
      expect(await recordedParts()).toEqual([]);
      expect(queue.names()).toEqual([partName(1), partName(2)]);

      await expect(renderScene(1)).resolves.toBeUndefined();

      expect(renderer.frames).toHaveLength(1);
      expect(queue.names()).toEqual([partName(0), partName(1), partName(2)]);
    });
  });

  describe('parts that agree at their boundaries', () => {
    it.each([[[1, 2]], [[2, 1]]])('queue one stitch task once the last of them (delivered in order %j) is recorded', async (order) => {
      await splitTheScene();
      for (const [n, part] of order.entries()) {
        expect(queue.ofType('stitch-scene')).toHaveLength(0);
        await renderPart(part);
        expect((await scene()).split?.parts[part]?.rendered).toBeDefined();
        expect(queue.ofType('stitch-scene')).toHaveLength(n === order.length - 1 ? 1 : 0);
      }
      expect(queue.ofType('stitch-scene').map((t) => t.name)).toEqual([stitchTaskName(JOB, SCENE)]);
      expect(renderer.frames).toEqual([rangeOf(0), ...order.map(rangeOf)]);
      const s = await scene();
      expect(s.status).toBe('rendering');
      expect(s.progress).toBeCloseTo(0.9);
    });

    it('queue one stitch task when the first part, left to its own task, is recorded last', async () => {
      renderer.failures.set(partFrom(0), { reason: 'worker_crashed', stage: 'startup', exitCode: 1, signal: null });
      await expect(renderScene()).rejects.toBeInstanceOf(RetryableTaskError);
      renderer.failures.clear();
      await renderScene(1); // the redelivery queues the first part's own task

      await renderPart(2);
      await renderPart(1);
      expect(queue.ofType('stitch-scene')).toHaveLength(0);
      await renderPart(0);

      expect(queue.ofType('stitch-scene').map((t) => t.name)).toEqual([stitchTaskName(JOB, SCENE)]);
      expect(await recordedParts()).toEqual([0, 1, 2]);
    });

    it('queue one stitch task when the other parts are delivered at once', async () => {
      await splitTheScene();
      await Promise.all([renderPart(1), renderPart(2), renderPart(1)]);
      expect(queue.ofType('stitch-scene').map((t) => t.name)).toEqual([stitchTaskName(JOB, SCENE)]);
      expect(await recordedParts()).toEqual([0, 1, 2]);
    });

    it('do not render or record again when a recorded part is redelivered', async () => {
      await splitTheScene();
      for (const part of [1, 2]) await renderPart(part);
      const recorded = (await scene()).split;
      const files = storedPartFiles();
      expect(files).toHaveLength(6); // a movie and a log per part

      await renderPart(1);
      await renderPart(0); // the first part was recorded by the planning delivery

      expect(renderer.frames).toHaveLength(3);
      expect((await scene()).split).toEqual(recorded);
      expect(storedPartFiles()).toEqual(files);
      expect(queue.ofType('stitch-scene')).toHaveLength(1);
    });

    it('are joined by the stitch task into the scene output, once, and the parts are removed', async () => {
      await splitTheScene();
      for (const part of [1, 2]) await renderPart(part);

      await stitch();

      const s = await scene();
      expect(s.status).toBe('succeeded');
      expect(s.progress).toBe(1);
      expect(s.output?.blobKey).toMatch(new RegExp(`^jobs/${JOB}/${SCENE}/joined-[^/]+/${SCENE}\\.mp4$`));
      const output = s.output!;
      expect(await blobStore.stat({ key: output.blobKey })).toMatchObject({ bytes: output.bytes, contentType: 'video/mp4' });
      const joined = await readBlob(blobStore, output.blobKey);
      expect(joined).toBe('movie of animations 0-1\nmovie of animations 2-3\nmovie of animations 4-end\n');
      expect(s.logKey).toBe(logKey(JOB, SCENE));
      expect(await readBlob(blobStore, logKey(JOB, SCENE))).toContain('── part 3 of 3 (animations 4–end) ──\nlog of animations 4-end');
      expect(fs.existsSync(partsDir())).toBe(false);
      expect(renderer.stitches).toBe(1);
      expect(notify).toHaveBeenCalledWith({ jobId: JOB });

      notify.mockClear();
      await stitch();

      expect(renderer.stitches).toBe(1);
      expect(await scene()).toEqual(s);
      expect(await readBlob(blobStore, output.blobKey)).toBe(joined);
      expect(notify).toHaveBeenCalledWith({ jobId: JOB }); // a redelivery sends the notice its first delivery may not have
    });

    it('are not joined before the last of them is recorded', async () => {
      await splitTheScene();
      await renderPart(2);

      await stitch();

      expect(renderer.stitches).toBe(0);
      expect((await scene()).status).toBe('rendering');
      expect(await recordedParts()).toEqual([0, 2]);
    });
  });

  describe('parts whose boundary fingerprints differ', () => {
    beforeEach(() => {
      // Part 2 (starting after animation 1 by skipping) sees a different camera than part 1 (rendering up to it).
      renderer.fingerprint = (after, side) => ({ mobjects: `m${after}`, camera: after === 1 && side === 'start' ? 'c-moved' : 'c' });
    });

    it('send the scene back to be rendered whole, naming the state that differs', async () => {
      await splitTheScene();
      await renderPart(1);

      const s = await scene();
      expect(s.status).toBe('queued');
      expect(s.lease).toBeUndefined();
      expect(s.split?.fallback).toContain('camera');
      expect(s.split?.fallback).not.toContain('mobjects');
      expect(queue.tasks.get(wholeRenderTaskName(JOB, SCENE))?.payload).toEqual({
        type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: JOB, scene: SCENE,
      });
      expect(queue.ofType('stitch-scene')).toHaveLength(0);
      expect(fs.existsSync(partsDir())).toBe(false);
    });

    it('skip the parts delivered after the fallback, and the whole render does not split again', async () => {
      await splitTheScene();
      await renderPart(1);
      const framesBefore = renderer.frames.length;

      await renderPart(2);
      await renderPart(1);
      await stitch();

      expect(renderer.frames).toHaveLength(framesBefore);
      expect(renderer.stitches).toBe(0);
      expect((await scene()).status).toBe('queued');

      await renderScene(); // the whole-render task (wholeRenderTaskName) carries a render-scene payload

      const s = await scene();
      expect(renderer.plansOffered).toBe(1);
      expect(renderer.frames.at(-1)).toBe('whole');
      expect(s.status).toBe('succeeded');
      expect(s.output?.blobKey).toBe(outputKey(JOB, SCENE, 'mp4'));
      expect(await readBlob(blobStore, outputKey(JOB, SCENE, 'mp4'))).toBe('movie of whole\n');
      expect(s.split?.fallback).toContain('camera');
      expect(notify).toHaveBeenCalledWith({ jobId: JOB });
    });
  });

  describe('a part failing with an error of the scene', () => {
    const error: RawRenderFailure = { reason: 'scene_error', exception: 'ValueError', message: 'bad radius', line: 12 };

    it('fails the scene with that error and keeps the part log as the scene log', async () => {
      renderer.failures.set(partFrom(1), error);
      await splitTheScene();
      await renderPart(1);

      const s = await scene();
      expect(s.status).toBe('failed');
      expect(s.error).toEqual({ code: 'scene_error', message: 'ValueError: bad radius', line: 12 });
      expect(s.logKey).toBe(logKey(JOB, SCENE));
      expect(await readBlob(blobStore, logKey(JOB, SCENE))).toBe('log of animations 2-3: it failed');
      expect(fs.existsSync(partsDir())).toBe(false);
      expect(notify).toHaveBeenCalledWith({ jobId: JOB });
    });

    it('fails the scene when the part is the first, rendered by the planning delivery', async () => {
      renderer.failures.set(partFrom(0), error);

      await expect(renderScene()).resolves.toBeUndefined();

      const s = await scene();
      expect(s).toMatchObject({ status: 'failed', error: { code: 'scene_error', line: 12 }, logKey: logKey(JOB, SCENE) });
      expect(await readBlob(blobStore, logKey(JOB, SCENE))).toBe('log of animations 0-1: it failed');
      expect(notify).toHaveBeenCalledWith({ jobId: JOB });
    });

    it('skips the other parts delivered afterwards', async () => {
      renderer.failures.set(partFrom(1), error);
      await splitTheScene();
      await renderPart(1);
      const framesBefore = renderer.frames.length;
      const callsBefore = queue.calls.length;

      await renderPart(2);
      await renderPart(1);
      await stitch();

      expect(renderer.frames).toHaveLength(framesBefore);
      expect(renderer.stitches).toBe(0);
      expect(queue.calls).toHaveLength(callsBefore);
      expect((await scene()).status).toBe('failed');
    });
  });

  describe('a part failing on our side', () => {
    // A crash at startup is ours (retryable); one during the job is blamed on the scene (see the next test).
    const crash: RawRenderFailure = { reason: 'worker_crashed', stage: 'startup', exitCode: 1, signal: null };

    it('is retried while attempts remain, and then the scene is rendered whole', async () => {
      renderer.failures.set(partFrom(2), crash);
      await splitTheScene();
      await renderPart(1);

      await expect(renderPart(2, 0)).rejects.toBeInstanceOf(RetryableTaskError);
      await expect(renderPart(2, 1)).rejects.toBeInstanceOf(RetryableTaskError);
      expect((await scene()).status).toBe('rendering');
      expect(queue.tasks.has(wholeRenderTaskName(JOB, SCENE))).toBe(false);

      await expect(renderPart(2, MAX_ATTEMPTS - 1)).resolves.toBeUndefined();

      const s = await scene();
      expect(s.status).toBe('queued');
      expect(s.split?.fallback).toMatch(/^part 3 failed on our side 3 times: the render worker failed to start/);
      expect(queue.tasks.has(wholeRenderTaskName(JOB, SCENE))).toBe(true);
      expect(queue.ofType('stitch-scene')).toHaveLength(0);
      expect(fs.existsSync(partsDir())).toBe(false);
      expect(renderer.frames).toHaveLength(5);
    });

    it('falls back to a whole render on the planning delivery last attempt, when that is where the part failed', async () => {
      renderer.failures.set(partFrom(0), crash);

      await expect(renderScene(MAX_ATTEMPTS - 1)).resolves.toBeUndefined();

      const s = await scene();
      expect(s.status).toBe('queued');
      expect(s.split?.fallback).toMatch(/^part 1 failed on our side 3 times/);
      expect(queue.tasks.has(wholeRenderTaskName(JOB, SCENE))).toBe(true);
    });
  });

  describe('a part that cannot be stored (our side) on its last attempt', () => {
    /** Stands for a storage outage that outlasts the queue's retries: part files cannot be written. */
    function breakPartStorage(): void {
      const putFile = blobStore.putFile.bind(blobStore);
      deps.blobStore = Object.assign(Object.create(blobStore) as FileBlobStore, {
        putFile: async (params: Parameters<FileBlobStore['putFile']>[0]) => {
          if (params.key.includes('/parts/')) throw new Error('storage unavailable');
          return putFile(params);
        },
      });
    }

    it('falls back to a whole render when it is a part task', async () => {
      await splitTheScene();
      breakPartStorage();

      await expect(renderPart(1, MAX_ATTEMPTS - 1)).resolves.toBeUndefined();

      expect(await scene()).toMatchObject({ status: 'queued', split: { fallback: expect.stringContaining('storage unavailable') } });
      expect(queue.tasks.has(wholeRenderTaskName(JOB, SCENE))).toBe(true);
    });

    it('leaves the first part to its own task when the planning delivery that renders it cannot store it', async () => {
      breakPartStorage();

      await expect(renderScene(MAX_ATTEMPTS - 1)).resolves.toBeUndefined();

      // Still split, the first part not recorded, and queued to be rendered again with retries of its own.
      expect(await scene()).toMatchObject({ status: 'rendering', split: { parts: [{ from: 0 }, {}, {}] } });
      expect((await scene()).split?.fallback).toBeUndefined();
      expect(await recordedParts()).toEqual([]);
      expect(queue.tasks.has(partTaskName(JOB, SCENE, 0))).toBe(true);
    });
  });

  it('fails the scene when a part worker crashes during the job, as a whole render would', async () => {
    // Not retryable: classifyRenderFailure blames a crash during the job on the scene (process_crashed).
    renderer.failures.set(partFrom(1), { reason: 'worker_crashed', stage: 'job', exitCode: 1, signal: null });
    await splitTheScene();

    await expect(renderPart(1)).resolves.toBeUndefined();

    expect(await scene()).toMatchObject({ status: 'failed', error: { code: 'process_crashed' } });
  });

  describe('a job cancelled while its parts are pending', () => {
    it('ignores later part and stitch deliveries', async () => {
      await splitTheScene();
      await jobStore.cancelJob({ id: JOB, now: new Date() });

      await renderPart(1);
      await renderPart(2);
      await stitch();
      await renderScene();

      expect(renderer.frames).toHaveLength(1);
      expect(renderer.stitches).toBe(0);
      expect(queue.ofType('stitch-scene')).toHaveLength(0);
      const s = await scene();
      expect(s.status).toBe('cancelled');
      expect(await recordedParts()).toEqual([0]);
    });

    it('does not join parts that were all recorded before the cancel', async () => {
      await splitTheScene();
      for (const part of [1, 2]) await renderPart(part);
      await jobStore.cancelJob({ id: JOB, now: new Date() });

      await stitch();

      expect(renderer.stitches).toBe(0);
      expect(await scene()).toMatchObject({ status: 'cancelled' });
    });

    it('records how far a part has come while it renders, weighed into the scene\'s progress', async () => {
      deps.heartbeatMs = 10;
      await splitTheScene();
      const before = (await scene()).progress;
      renderer.hold = true;
      renderer.progressWhileHeld = 0.5;
      const rendering = renderPart(1);
      await waitFor(async () => (await scene()).split?.parts[1]?.progress === 0.5);
      expect((await scene()).progress).toBeGreaterThan(before);
      expect((await scene()).progress).toBeLessThan(1);

      await jobStore.cancelJob({ id: JOB, now: new Date() });
      await expect(rendering).resolves.toBeUndefined();
    });

    it('stops a part rendering when the cancel comes, and records nothing', async () => {
      deps.heartbeatMs = 10; // how often a part looks at its scene
      await splitTheScene();
      renderer.hold = true;
      const rendering = renderPart(1);
      await waitFor(() => renderer.frames.length === 2);

      await jobStore.cancelJob({ id: JOB, now: new Date() });

      await expect(rendering).resolves.toBeUndefined();
      const s = await scene();
      expect(s.status).toBe('cancelled');
      expect(await recordedParts()).toEqual([0]);
      expect(storedPartFiles().filter((f) => f.startsWith('1-'))).toEqual([]);
    });

    it('queues the first part when the planning delivery is interrupted on its last attempt', async () => {
      deps.heartbeatMs = 10;
      renderer.hold = true;
      const interrupt = new AbortController();
      const rendering = runRenderTask(deps, {
        task: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: JOB, scene: SCENE },
        retryCount: MAX_ATTEMPTS - 1,
        maxAttempts: MAX_ATTEMPTS,
        signal: interrupt.signal,
      });
      await waitFor(() => renderer.frames.length === 1);

      interrupt.abort(new Error('dispatch deadline'));
      await rendering.catch(() => undefined);

      expect(await scene()).toMatchObject({ status: 'rendering', split: { parts: [{}, {}, {}] } });
      expect(queue.names()).toEqual([partName(0), partName(1), partName(2)]);
    });

    it('renders the scene whole when a part is interrupted on its last attempt', async () => {
      deps.heartbeatMs = 10;
      await splitTheScene();
      renderer.hold = true;
      const interrupt = new AbortController();
      const rendering = runPartTask(deps, {
        task: { type: 'render-part', version: TASK_PAYLOAD_VERSION, jobId: JOB, scene: SCENE, part: 1 },
        retryCount: MAX_ATTEMPTS - 1,
        maxAttempts: MAX_ATTEMPTS,
        signal: interrupt.signal,
      });
      await waitFor(() => renderer.frames.length === 2);

      interrupt.abort(new Error('dispatch deadline'));
      await expect(rendering).resolves.toBeUndefined();

      expect(await scene()).toMatchObject({ status: 'queued', split: { fallback: expect.stringContaining('interrupted') } });
      expect(queue.tasks.has(wholeRenderTaskName(JOB, SCENE))).toBe(true);
    });

    it('renders the scene whole when the join fails on our side on its last attempt', async () => {
      await splitTheScene();
      for (const part of [1, 2]) await renderPart(part);
      deps.blobStore = Object.assign(Object.create(blobStore) as FileBlobStore, {
        read: async () => {
          throw new Error('storage unavailable');
        },
      });

      await expect(stitch(MAX_ATTEMPTS - 2)).rejects.toBeInstanceOf(RetryableTaskError);
      await expect(stitch(MAX_ATTEMPTS - 1)).resolves.toBeUndefined();

      expect(await scene()).toMatchObject({ status: 'queued', split: { fallback: expect.stringContaining('storage unavailable') } });
      expect(queue.tasks.has(wholeRenderTaskName(JOB, SCENE))).toBe(true);
    });

    it('stops the first part, rendering in the planning delivery, when the cancel comes', async () => {
      deps.heartbeatMs = 10;
      renderer.hold = true;
      const rendering = renderScene();
      await waitFor(() => renderer.frames.length === 1);

      await jobStore.cancelJob({ id: JOB, now: new Date() });

      await expect(rendering).resolves.toBeUndefined();
      expect(await scene()).toMatchObject({ status: 'cancelled' });
      expect(await recordedParts()).toEqual([]);
      expect(storedPartFiles()).toEqual([]);
    });
  });

  it('does not split a scene cancelled while it was being planned, and acknowledges the delivery', async () => {
    renderer.beforePlan = async () => void (await jobStore.cancelJob({ id: JOB, now: new Date() }));

    const outcome = await renderScene().then(() => 'done', (error: unknown) => error);

    expect(await scene()).toMatchObject({ status: 'cancelled' });
    expect((await scene()).split).toBeUndefined();
    expect(renderer.frames).toEqual([]);
    expect(queue.tasks.size).toBe(0);
    expect(outcome).toBe('done');
  });

  it('gives the scene back for another delivery when the hand-over fails on our side', async () => {
    deps.jobStore = Object.assign(Object.create(jobStore) as typeof jobStore, {
      updateScene: async () => {
        throw new Error('job store unavailable');
      },
    });

    await expect(renderScene()).rejects.toBeInstanceOf(RetryableTaskError);

    // Not split, not rendered, and claimable at once by the redelivery.
    expect(await scene()).toMatchObject({ status: 'queued' });
    expect((await scene()).split).toBeUndefined();
    expect(renderer.frames).toEqual([]);
  });

  describe('a scene long enough to split but with a dt updater from its first animation', () => {
    it('is rendered whole in the same delivery, and the record says why', async () => {
      renderer.plan = { runTimes: [2, 2, 2, 2, 2, 2], timeBasedFrom: 0 };

      await renderScene();

      const s = await scene();
      expect(renderer.plansOffered).toBe(1);
      expect(renderer.frames).toEqual(['whole']);
      expect(s.status).toBe('succeeded');
      expect(s.output?.blobKey).toBe(outputKey(JOB, SCENE, 'mp4'));
      expect(s.split).toEqual({ parts: [], fallback: expect.stringContaining('(dt)') });
      expect(queue.tasks.size).toBe(0);
      expect(notify).toHaveBeenCalledWith({ jobId: JOB });
    });
  });

  it('renders a scene too short to split whole, without recording a split', async () => {
    renderer.plan = { runTimes: [0.1], timeBasedFrom: null };

    await renderScene();

    const s = await scene();
    expect(renderer.frames).toEqual(['whole']);
    expect(s.status).toBe('succeeded');
    expect(s.split).toBeUndefined();
    expect(queue.tasks.size).toBe(0);
  });
});

async function readBlob(blobStore: FileBlobStore, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await blobStore.read({ key })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
