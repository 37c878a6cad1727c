import { randomUUID } from 'node:crypto';
import type { StitchSceneTask } from '../../contracts/task-payload';
import { joinedOutputKey, logKey, partsPrefix } from '../blob-keys';
import { classifyRenderFailure } from '../classify-render-failure';
import { isSplitActive, isTerminal, type ScenePart } from '../job';
import type { BlobStore } from '../ports/blob-store';
import type { RenderAttempt } from '../ports/scene-renderer';
import type { RunRenderTaskDeps } from '../render-task-deps';
import { removeFilesOfDeletedJob } from '../remove-files-of-deleted-job';
import { attemptUsage } from '../costs/attempt-usage';
import { fallBackToWhole, onTaskError, retryOrFallBack } from './fall-back';
import { enqueueNextSplitTasks } from './split-tasks';
import { allPartsRendered, finishStitchTransition } from './split-transitions';
import { boundaryMismatch } from './verify-boundaries';
import { abortWhenUnwanted } from './watch-scene';

/** How much of each part's log goes into the scene's log. */
const PART_LOG_BYTES = 256 * 1024;

/**
 * Joins the parts of a split scene into its movie (in a worker: the parts were written by scene code) and records
 * the scene succeeded. Recording is guarded: of two deliveries joining at once, one records and the other removes
 * its own file, so the scene gets exactly one output.
 */
export async function runStitchTask(
  deps: RunRenderTaskDeps,
  params: { task: StitchSceneTask; retryCount: number; maxAttempts: number; signal: AbortSignal },
): Promise<void> {
  const { jobId, scene: sceneName } = params.task;
  const deliveryStartedAt = deps.clock.now();
  const log = deps.logger.child({ jobId, scene: sceneName, retryCount: params.retryCount, stitch: true });
  const job = await deps.jobStore.getJob({ id: jobId });
  const scene = job?.scenes.find((s) => s.name === sceneName);
  if (!job) return await removeFilesOfDeletedJob(deps.blobStore, { jobId, scene: sceneName });
  if (!scene) return;
  if (isTerminal(scene.status)) {
    // A redelivery after the join was recorded but before its notice went out.
    await deps.notify?.({ jobId });
    return;
  }
  if (!isSplitActive(scene) || !allPartsRendered(scene)) {
    if (deps.split) await enqueueNextSplitTasks(deps.split.taskQueue, job, scene);
    return;
  }
  const parts = scene.split!.parts;
  const mismatch = boundaryMismatch(parts);
  if (mismatch) {
    await fallBackToWhole(deps, { job, scene: sceneName, reason: mismatch });
    return;
  }

  const work = abortWhenUnwanted({
    jobStore: deps.jobStore,
    jobId,
    scene: sceneName,
    intervalMs: deps.heartbeatMs,
    delivery: params.signal,
    wanted: (s) => !isTerminal(s.status) && isSplitActive(s),
  });
  let attempt: RenderAttempt | undefined;
  try {
    attempt = await deps.renderer.stitch({
      scene: sceneName,
      quality: job.quality,
      format: job.format,
      parts: parts.map((p) => () => deps.blobStore.read({ key: p.rendered!.blobKey })),
      timeoutSeconds: job.timeoutSeconds,
      signal: work.signal,
    });
    work.end();
    if (params.signal.aborted) throw new Error('the delivery was interrupted');
    if (!attempt.ok) {
      if (attempt.failure.reason === 'cancelled') return;
      const classified = classifyRenderFailure(attempt.failure, attempt.log);
      const reason = classified.retryable ? classified.reason : classified.error.message;
      log.warn('stitch outcome', { outcome: params.retryCount + 1 < params.maxAttempts ? 'retrying' : 'fallback', reason });
      await retryOrFallBack(deps, {
        job,
        scene: sceneName,
        retryCount: params.retryCount,
        maxAttempts: params.maxAttempts,
        reason: `the join failed: ${reason}`,
        fallbackReason: `the parts could not be joined: ${reason}`,
      });
      return;
    }

    const key = joinedOutputKey(jobId, sceneName, job.format, randomUUID());
    const stored = await deps.blobStore.putFile({ key, filePath: attempt.file.filePath, contentType: attempt.file.contentType });
    const sceneLog = logKey(jobId, sceneName);
    await deps.blobStore.putText({ key: sceneLog, text: await joinedLog(deps.blobStore, parts), contentType: 'text/plain; charset=utf-8' });
    const { filePath: _local, ...described } = attempt.file;
    const output = { ...described, bytes: stored.bytes, blobKey: key };
    const usage = attemptUsage(attempt, { deliveryStartedAt, now: deps.clock.now(), pricing: deps.pricing, kind: 'join', quality: job.quality, log });
    const finished = await deps.jobStore.updateScene({
      jobId,
      scene: sceneName,
      now: deps.clock.now(),
      change: (s) => finishStitchTransition(s, { output, logKey: sceneLog, ...(usage && { usage }), now: deps.clock.now() }),
    });
    if (!finished) {
      await deps.blobStore.deletePrefix({ prefix: key.slice(0, key.lastIndexOf('/') + 1) });
      log.info('stitch outcome', { outcome: 'discarded' });
      return;
    }
    await deps.blobStore.deletePrefix({ prefix: partsPrefix(jobId, sceneName) });
    if (scene.renderKey) await deps.resultCache?.remember({ owner: job.owner, key: scene.renderKey, render: { jobId, scene: sceneName } });
    log.info('stitch outcome', { outcome: 'succeeded', parts: parts.length, bytes: stored.bytes, stitchSeconds: attempt.renderSeconds });
    await deps.notify?.({ jobId });
  } catch (error) {
    await onTaskError(deps, error, {
      job,
      scene: sceneName,
      retryCount: params.retryCount,
      maxAttempts: params.maxAttempts,
      log,
      logMessage: 'stitch task failed on our side',
      fallbackReason: (message) => `the parts could not be joined on our side ${params.maxAttempts} times: ${message}`,
    });
  } finally {
    work.end();
    await attempt?.dispose();
  }
}

/** The scene's log: each part's, headed by the animations it rendered. */
async function joinedLog(blobStore: BlobStore, parts: ScenePart[]): Promise<string> {
  const sections: string[] = [];
  for (const [i, part] of parts.entries()) {
    const range = `animations ${part.from}–${part.upto ?? 'end'}`;
    sections.push(`── part ${i + 1} of ${parts.length} (${range}) ──\n${await readText(blobStore, part.rendered!.logKey)}`);
  }
  return sections.join('\n');
}

async function readText(blobStore: BlobStore, key: string): Promise<string> {
  // Read without a range: a range of an empty object is unsatisfiable (416) in Cloud Storage.
  const stream = await blobStore.read({ key });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= PART_LOG_BYTES) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, PART_LOG_BYTES).toString('utf8');
}
