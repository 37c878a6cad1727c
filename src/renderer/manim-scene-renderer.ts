import path from 'node:path';
import { CONTENT_TYPES } from '../contracts/quality';
import type { WorkerMessage } from '../contracts/worker-messages';
import type { RawRenderFailure, RenderAttempt, RenderSceneParams, SceneRenderer } from '../domain/ports/scene-renderer';
import { probeMedia } from './probe-media';
import { verifyOutput } from './verify-output';
import type { WarmWorkerPool } from './worker/warm-worker-pool';
import type { WorkerOutcome } from './worker/worker-process';

/** The media directory inside a worker's own directory: HOME and caches stay beside it, not in it. */
const MEDIA_SUBDIR = 'media';

/** Renders a scene on a worker from the pool, then checks and probes what it wrote. */
export class ManimSceneRenderer implements SceneRenderer {
  constructor(private readonly params: { pool: WarmWorkerPool; maxOutputBytes: number }) {}

  async render(request: RenderSceneParams): Promise<RenderAttempt> {
    const leased = this.params.pool.take();
    const outputDir = path.join(leased.workDir, MEDIA_SUBDIR);
    const started = process.hrtime.bigint();
    let animations: number | undefined;
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'plan') animations = message.animations;
      if (message.type === 'progress' && message.total) request.onProgress(Math.min(0.95, (message.done / message.total) * 0.95));
    };
    let outcome: WorkerOutcome;
    try {
      outcome = await leased.worker.run({
        job: {
          code: request.code,
          scene: request.scene,
          quality: request.quality,
          format: request.format,
          seed: request.seed,
          outputDir,
          plan: true,
        },
        timeoutSeconds: request.timeoutSeconds,
        signal: request.signal,
        onMessage,
      });
    } catch (error) {
      await leased.release();
      throw error;
    }
    const renderSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const base = { log: leased.worker.output().text, renderSeconds, animations, dispose: () => leased.release() };

    if (outcome.kind !== 'result') return { ...base, ok: false, failure: failureOf(outcome) };
    const verified = await verifyOutput({ outputDir, reported: outcome.file, maxBytes: this.params.maxOutputBytes });
    if (!verified.ok) {
      const failure: RawRenderFailure =
        verified.reason === 'output_too_large'
          ? { reason: 'output_too_large', bytes: verified.bytes ?? 0, limitBytes: this.params.maxOutputBytes }
          : { reason: 'output_invalid', message: verified.message };
      return { ...base, ok: false, failure };
    }
    try {
      // The worker read its output inside the sandbox; only a worker that could not is checked from out here.
      const media = outcome.media ?? (await probeMedia(verified.filePath));
      return {
        ...base,
        ok: true,
        file: {
          filePath: verified.filePath,
          contentType: CONTENT_TYPES[request.format],
          bytes: verified.bytes,
          durationSeconds: request.format === 'png' ? null : media.durationSeconds,
          width: media.width,
          height: media.height,
        },
      };
    } catch (error) {
      return { ...base, ok: false, failure: { reason: 'output_invalid', message: `the output is not readable media: ${(error as Error).message}` } };
    }
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
    case 'crashed':
      return { reason: 'worker_crashed', stage: outcome.stage, exitCode: outcome.exitCode, signal: outcome.signal };
    case 'protocol_violation':
      return { reason: 'protocol_violation', detail: outcome.detail };
  }
}
