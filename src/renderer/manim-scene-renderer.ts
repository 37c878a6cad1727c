import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CONTENT_TYPES } from '../contracts/quality';
import type { WorkerJob, WorkerMessage } from '../contracts/worker-messages';
import type {
  PlanVerdict,
  RawRenderFailure,
  RenderAttempt,
  RenderSceneParams,
  SceneRenderer,
  StitchParams,
} from '../domain/ports/scene-renderer';
import { ranOutOfDiskUnexplained } from '../domain/classify-render-failure';
import { combineSandboxUsage } from '../domain/costs/resource-usage';
import type { GlyphCache } from './glyph-cache';
import { HOST_DISK_RESERVE_BYTES, watchHostDisk } from './host-disk';
import type { TexCache } from './tex-cache';
import { layOutProject, ProjectFileUnavailable } from './project/lay-out-project';
import type { LiveSegmentFile } from '../domain/live/live-segment';
import { copyLiveFile } from './untrusted/copy-live-file';
import { describeOutput } from './untrusted/describe-output';
import { takeOutput } from './untrusted/take-output';
import type { LeasedWorker, WarmWorkerPool } from './worker/warm-worker-pool';
import type { WorkerOutcome } from './worker/worker-process';

/** The media directory inside a worker's own directory: HOME and caches stay beside it, not in it. */
const MEDIA_SUBDIR = 'media';
/** Where a stitch job's parts are put, beside its media directory. */
const PARTS_SUBDIR = 'parts';
/** Where a render's formulas from the TeX cache are put, beside its media directory. */
const TEX_SEED_SUBDIR = 'tex-seed';
/** Where a render's project files are laid out, beside its media directory: the scene's working directory. */
const PROJECT_SUBDIR = 'project';
/** Manim's TeX directory inside the media directory. */
const TEX_SUBDIR = path.posix.join(MEDIA_SUBDIR, 'Tex');

type Boundaries = RenderAttempt['boundaries'];
type SegmentMessage = Extract<WorkerMessage, { type: 'segment' }>;

/** More segments than any scene has animations to give: a worker saying more is not believed. */
const MAX_LIVE_SEGMENTS = 10_000;

/** Renders a scene (or joins its parts) on a worker from the pool, then takes what it wrote and has it read. */
export class ManimSceneRenderer implements SceneRenderer {
  constructor(
    private readonly params: {
      pool: WarmWorkerPool;
      maxOutputBytes: number;
      /** Glyphs compiled ahead, for the render to start with (glyph-cache.ts); none until they are ready. */
      glyphs?: Pick<GlyphCache, 'readyDir' | 'names'>;
      /** Formulas kept per principal (tex-cache.ts); none when off. */
      texCache?: TexCache;
    },
  ) {}

  async render(request: RenderSceneParams): Promise<RenderAttempt> {
    let animations: number | undefined;
    let planFailure: string | undefined;
    const boundaries: Boundaries = {};
    // Live segments are taken one at a time, in the order the worker finished them; the render's outcome waits
    // for the last one.
    let segments = Promise.resolve();
    const announced = new Set<number>();
    // All of a render's segments together are held to the output's own limit: a scene announcing one file under
    // many indices copies no more than one movie's worth.
    const live = { bytesLeft: this.params.maxOutputBytes };
    const onSegment = request.onSegment;
    const onMessage = (message: WorkerMessage, leased: LeasedWorker) => {
      if (message.type === 'segment' && onSegment && !announced.has(message.index) && announced.size < MAX_LIVE_SEGMENTS) {
        announced.add(message.index);
        segments = segments.then(() => this.passSegment(leased, message, onSegment, live));
      }
      if (message.type === 'plan') animations = message.animations;
      if (message.type === 'plan_failed') planFailure = `the plan pass raised ${message.exception}: ${message.message}`;
      if (message.type === 'progress' && message.total) request.onProgress(Math.min(0.95, (message.done / message.total) * 0.95));
      if (message.type === 'boundary') {
        const { side, after, fingerprint, timeBasedUpdatersSkipped } = message;
        boundaries[side] = { after, fingerprint, ...(timeBasedUpdatersSkipped !== undefined && { timeBasedUpdatersSkipped }) };
      }
    };
    const onPlan = request.onPlan;
    const glyphDir = this.params.glyphs?.readyDir;
    const texCache = request.owner !== undefined ? this.params.texCache : undefined;
    let seeded = 0;
    const files = request.files ?? [];
    return this.runJob({
      format: request.format,
      timeoutSeconds: request.timeoutSeconds,
      signal: request.signal,
      onMessage,
      drain: () => segments,
      prepare: async (leased: LeasedWorker) => {
        if (files.length > 0) await layOutProject({ root: path.join(leased.workDir, PROJECT_SUBDIR), files });
        if (texCache) seeded = await texCache.seed(request.owner!, path.join(leased.workDir, TEX_SEED_SUBDIR));
      },
      ...(texCache && {
        // The worker is dead by now: what it left in its TeX directory can no longer change.
        afterRun: async (leased: LeasedWorker, outcome: WorkerOutcome) => {
          if (outcome.kind !== 'result') return;
          // The shared glyphs the render started with are not this principal's to keep.
          await texCache.collect(request.owner!, { root: leased.workDir, relative: TEX_SUBDIR }, glyphDir ? this.params.glyphs!.names : undefined);
        },
      }),
      ...(onPlan && {
        onPlan: (plan: Extract<WorkerMessage, { type: 'plan' }>) =>
          onPlan({ runTimes: plan.runTimes, timeBasedFrom: plan.timeBasedFrom, ...(plan.sounds && { sounds: plan.sounds }) }),
      }),
      job: (leased) => ({
        mode: 'render',
        code: request.code,
        scene: request.scene,
        quality: request.quality,
        format: request.format,
        seed: request.seed,
        outputDir: path.join(leased.jobDir, MEDIA_SUBDIR),
        // A part needs no plan: the plan that made it was run by the scene's first task.
        plan: !request.range,
        ...(onPlan && { planGate: true }),
        ...(glyphDir !== undefined && { glyphDir }),
        ...(seeded > 0 && { texSeedDir: path.join(leased.jobDir, TEX_SEED_SUBDIR) }),
        ...(files.length > 0 && { projectDir: path.join(leased.jobDir, PROJECT_SUBDIR) }),
        ...(request.range && { range: request.range }),
        ...(onSegment && request.format === 'mp4' && { live: true }),
      }),
      describe: () => ({ animations, boundaries, ...(planFailure !== undefined && { planFailure }) }),
    });
  }

  async stitch(request: StitchParams): Promise<RenderAttempt> {
    return this.runJob({
      worker: 'stitch',
      format: request.format,
      timeoutSeconds: request.timeoutSeconds,
      signal: request.signal,
      prepare: async (leased) => {
        // The directory is new (mkdir fails on anything already there) and each file is created, never followed.
        const dir = path.join(leased.workDir, PARTS_SUBDIR);
        await fs.promises.mkdir(dir, { mode: 0o755 });
        for (const [i, open] of request.parts.entries()) {
          const file = path.join(dir, `${i}.${request.format}`);
          const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
          const handle = await fs.promises.open(file, flags, 0o644);
          await pipeline(await open(), handle.createWriteStream());
        }
      },
      job: (leased) => ({
        mode: 'stitch',
        scene: request.scene,
        quality: request.quality,
        format: request.format,
        outputDir: path.join(leased.jobDir, MEDIA_SUBDIR),
        parts: request.parts.map((_, i) => path.join(leased.jobDir, PARTS_SUBDIR, `${i}.${request.format}`)),
      }),
      describe: () => ({ boundaries: {} }),
    });
  }

  /** Copies one live segment out of the running sandbox and hands it on; a segment that cannot be is skipped. */
  private async passSegment(
    leased: LeasedWorker,
    message: SegmentMessage,
    onSegment: (segment: LiveSegmentFile) => Promise<void>,
    budget: { bytesLeft: number },
  ): Promise<void> {
    if (budget.bytesLeft <= 0) return;
    // Beside the worker's directory, not in it: nothing of the sandbox reaches it.
    const copy = `${leased.workDir}.live-${message.index}.ts`;
    try {
      const copied = await copyLiveFile({ workDir: leased.workDir, relative: path.posix.join(MEDIA_SUBDIR, message.file), to: copy, maxBytes: budget.bytesLeft });
      if (!copied.ok) return;
      budget.bytesLeft -= copied.bytes;
      await onSegment({ index: message.index, seconds: message.seconds, filePath: copy, bytes: copied.bytes });
    } catch {
      // A live segment is a courtesy: the render's own outcome never depends on it.
    } finally {
      await fs.promises.rm(copy, { force: true });
    }
  }

  private async runJob(params: {
    format: RenderSceneParams['format'];
    timeoutSeconds: number;
    signal: AbortSignal;
    job: (leased: LeasedWorker) => WorkerJob;
    prepare?: (leased: LeasedWorker) => Promise<void>;
    /** After the worker has exited, before anything of its directory is checked. */
    afterRun?: (leased: LeasedWorker, outcome: WorkerOutcome) => Promise<void>;
    onMessage?: (message: WorkerMessage, leased: LeasedWorker) => void;
    /** Awaited once the worker has ended: what its messages started. */
    drain?: () => Promise<void>;
    onPlan?: (plan: Extract<WorkerMessage, { type: 'plan' }>) => Promise<PlanVerdict>;
    describe: () => { animations?: number; boundaries: Boundaries; planFailure?: string };
    worker?: 'render' | 'stitch';
  }): Promise<RenderAttempt> {
    const leased = params.worker === 'stitch' ? this.params.pool.takeStitcher() : this.params.pool.take();
    const started = process.hrtime.bigint();
    let outcome: WorkerOutcome;
    const hostDisk = watchHostDisk(leased.workDir);
    let hostDiskWasFull = false;
    try {
      try {
        await params.prepare?.(leased);
      } catch (error) {
        if (!(error instanceof ProjectFileUnavailable)) throw error;
        const log = leased.worker.output().text;
        await leased.release();
        return { ok: false, failure: { reason: 'files_unavailable', message: error.message }, log, renderSeconds: 0, ...params.describe(), dispose: async () => undefined };
      }
      outcome = await leased.worker.run({
        job: params.job(leased),
        timeoutSeconds: params.timeoutSeconds,
        signal: params.signal,
        ...(params.onMessage && { onMessage: (message: WorkerMessage) => params.onMessage!(message, leased) }),
        ...(params.onPlan && { onPlan: params.onPlan }),
      });
      await params.drain?.();
    } catch (error) {
      await leased.release();
      throw error;
    } finally {
      hostDiskWasFull = hostDisk.stop();
    }
    const renderSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    let sandboxUsage = await leased.worker.usage();
    await params.afterRun?.(leased, outcome);
    const sound = outcome.kind === 'result' && outcome.sound === true;
    const base = {
      log: leased.worker.output().text,
      renderSeconds,
      ...params.describe(),
      ...(sound && { sound }),
      ...(sandboxUsage && { sandboxUsage }),
      dispose: () => leased.release(),
    };

    if (outcome.kind !== 'result') {
      const failure = failureOf(outcome);
      const words = `${base.log}\n${failure.reason === 'scene_error' ? `${failure.message}\n${failure.traceback ?? ''}` : ''}`;
      if (ranOutOfDiskUnexplained(words) && hostDiskWasFull) {
        return { ...base, ok: false, failure: { reason: 'host_disk_full', message: `less than ${HOST_DISK_RESERVE_BYTES} bytes free where renders write` } };
      }
      return { ...base, ok: false, failure };
    }
    // Every process of the sandbox is dead: the file is taken out of its directory, then read by a reader of our own.
    const taken = await takeOutput({ workDir: leased.workDir, relative: path.posix.join(MEDIA_SUBDIR, outcome.file), maxBytes: this.params.maxOutputBytes });
    if (!taken.ok) {
      const failure: RawRenderFailure =
        taken.reason === 'output_too_large'
          ? { reason: 'output_too_large', bytes: taken.bytes ?? 0, limitBytes: this.params.maxOutputBytes }
          : { reason: 'output_invalid', message: taken.message };
      return { ...base, ok: false, failure };
    }
    const described = await describeOutput({ pool: this.params.pool, filePath: taken.filePath, format: params.format });
    sandboxUsage = combineSandboxUsage(sandboxUsage, described.usage);
    const measured = { ...base, ...(sandboxUsage && { sandboxUsage }) };
    if (!described.ok) return { ...measured, ok: false, failure: { reason: 'output_invalid', message: described.message } };
    const { media } = described;
    return {
      ...measured,
      ok: true,
      file: {
        filePath: taken.filePath,
        contentType: CONTENT_TYPES[params.format],
        bytes: taken.bytes,
        durationSeconds: params.format === 'png' ? null : media.durationSeconds,
        width: media.width,
        height: media.height,
        ...(media.audioCodec && { audioCodec: media.audioCodec }),
      },
    };
  }
}

function failureOf(outcome: Exclude<WorkerOutcome, { kind: 'result' }>): RawRenderFailure {
  switch (outcome.kind) {
    case 'error': {
      const { kind, message, exception, line, traceback } = outcome.error;
      if (kind === 'scene_error') return { reason: 'scene_error', message, exception, line, traceback };
      return { reason: kind, message };
    }
    case 'timeout':
      return { reason: 'timeout', seconds: outcome.seconds };
    case 'cancelled':
      return { reason: 'cancelled' };
    case 'stopped':
      return { reason: 'stopped' };
    case 'crashed':
      return { reason: 'worker_crashed', stage: outcome.stage, exitCode: outcome.exitCode, signal: outcome.signal };
    case 'protocol_violation':
      return { reason: 'protocol_violation', detail: outcome.detail };
  }
}
