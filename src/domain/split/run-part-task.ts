import { faultPoint } from '../../chaos/fault-points';
import { randomUUID } from 'node:crypto';
import { jobFileSources } from '../project-files/job-file-sources';
import { liveSegmentsOf } from '../live/live-segments-of';
import { removeFilesOfDeletedJob } from '../remove-files-of-deleted-job';
import type { RenderError } from '../../contracts/job';
import type { RenderPartTask } from '../../contracts/task-payload';
import type { Logger } from '../../logging/logger';
import { logKey, partKeys, partsPrefix } from '../blob-keys';
import { classifyRenderFailure } from '../classify-render-failure';
import { isSplitActive, isTerminal, type JobRecord } from '../job';
import type { RenderAttempt } from '../ports/scene-renderer';
import { failTransition } from '../scene-transitions';
import type { RunRenderTaskDeps } from '../render-task-deps';
import { afterSplitChange, fallBackToWhole, onTaskError, retryOrFallBack } from './fall-back';
import { PROGRESS_EVERY_HEARTBEATS, reportPartProgress } from './report-part-progress';
import { enqueueNextSplitTasks } from './split-tasks';
import { recordPartTransition } from './split-transitions';
import { abortWhenUnwanted } from './watch-scene';
import { attemptUsage } from '../costs/attempt-usage';

/**
 * Renders one animation range of a split scene and records it; the last part to be recorded queues the join.
 * Deliveries are at least once: a part already recorded is not rendered again, and of two deliveries rendering
 * the same part at once the first to record wins (each stored its files under its own keys).
 *
 * A part that cannot be rendered for reasons of our own, after the last attempt, or that disagrees with its
 * neighbours, sends the scene back to be rendered whole. A scene error fails the scene: the whole render would
 * meet the same error.
 */
export async function runPartTask(
  deps: RunRenderTaskDeps,
  params: { task: RenderPartTask; retryCount: number; maxAttempts: number; signal: AbortSignal },
): Promise<void> {
  const { jobId, scene: sceneName, part: index } = params.task;
  const deliveryStartedAt = deps.clock.now();
  const log = deps.logger.child({ jobId, scene: sceneName, part: index, retryCount: params.retryCount });
  const job = await deps.jobStore.getJob({ id: jobId });
  const scene = job?.scenes.find((s) => s.name === sceneName);
  const part = scene?.split?.parts[index];
  if (!job || !scene || !part || isTerminal(scene.status) || !isSplitActive(scene) || part.rendered) {
    log.info('part task skipped', { reason: 'nothing to render' });
    if (!job) await removeFilesOfDeletedJob(deps.blobStore, { jobId, scene: sceneName });
    // A redelivery after this part was recorded, before its follow-up was queued: queue it now.
    if (job && scene && !isTerminal(scene.status) && deps.split) await enqueueNextSplitTasks(deps.split.taskQueue, job, scene);
    return;
  }

  const progress = reportPartProgress(deps, { jobId, scene: sceneName, index, everyMs: deps.heartbeatMs * PROGRESS_EVERY_HEARTBEATS });
  const work = abortWhenUnwanted({
    jobStore: deps.jobStore,
    jobId,
    scene: sceneName,
    intervalMs: deps.heartbeatMs,
    delivery: params.signal,
    wanted: (s) => !isTerminal(s.status) && isSplitActive(s) && !s.split!.parts[index]?.rendered,
  });

  let attempt: RenderAttempt | undefined;
  const live = liveSegmentsOf(deps, job, sceneName);
  try {
    attempt = await deps.renderer.render({
      owner: job.owner,
      code: job.code,
      files: jobFileSources(deps.blobStore, job),
      scene: sceneName,
      quality: job.quality,
      format: job.format,
      timeoutSeconds: job.timeoutSeconds,
      seed: deps.seed,
      signal: work.signal,
      onProgress: progress.report,
      range: { from: part.from, upto: part.upto, animations: part.animations },
      ...(live && { onSegment: (segment) => live.publish(segment) }),
    });
    await live?.flush();
    work.end();
    progress.stop();
    const outcomeLog = log.child({ renderSeconds: Math.round(attempt.renderSeconds * 1000) / 1000 });
    // Interrupted (shutdown, dispatch deadline): another delivery renders the part, or, after the last, a whole render.
    if (params.signal.aborted) throw new Error('the delivery was interrupted');

    await recordPartAttempt(deps, { job, scene: sceneName, index, attempt, deliveryStartedAt, retryCount: params.retryCount, maxAttempts: params.maxAttempts, log: outcomeLog });
  } catch (error) {
    await onTaskError(deps, error, {
      job,
      scene: sceneName,
      retryCount: params.retryCount,
      maxAttempts: params.maxAttempts,
      log,
      logMessage: 'part task failed on our side',
      fallbackReason: (message) => `part ${index + 1} failed on our side ${params.maxAttempts} times: ${message}`,
    });
  } finally {
    work.end();
    progress.stop();
    await attempt?.dispose();
  }
}

/**
 * Records how one render of a part ended: its files and boundaries (falling back to a whole render if they
 * disagree with a neighbour's), a fallback if it could not be rendered, or the scene's failure if the scene itself
 * failed; then queues what is due next. Throws RetryableTaskError for a failure on our side that another delivery
 * may not meet, until the last attempt, which falls back instead.
 */
export async function recordPartAttempt(
  deps: RunRenderTaskDeps,
  params: { job: JobRecord; scene: string; index: number; attempt: RenderAttempt; deliveryStartedAt: Date; retryCount: number; maxAttempts: number; log: Logger },
): Promise<void> {
  const { job, scene: sceneName, index, attempt, log } = params;
  const jobId = job.id;
  const part = job.scenes.find((s) => s.name === sceneName)?.split?.parts[index];
  if (!attempt.ok && attempt.failure.reason === 'cancelled') {
    log.info('part outcome', { outcome: 'stopped' });
    return;
  }
  if (!attempt.ok && attempt.failure.reason === 'no_output') {
    // The range was never reached: this run of the scene played fewer animations than its plan did.
    const reason = `part ${index + 1} rendered nothing: this run of the scene did not reach animation ${part?.from}`;
    log.warn('part outcome', { outcome: 'fallback', reason });
    await fallBackToWhole(deps, { job, scene: sceneName, reason });
    return;
  }
  if (!attempt.ok) {
    const classified = classifyRenderFailure(attempt.failure, attempt.log);
    if (!classified.retryable) {
      await failScene(deps, { jobId, scene: sceneName, error: classified.error, log: attempt.log });
      log.info('part outcome', { outcome: 'failed', code: classified.error.code });
      return;
    }
    const fallbackReason = `part ${index + 1} failed on our side ${params.maxAttempts} times: ${classified.reason}`;
    const last = params.retryCount + 1 >= params.maxAttempts;
    log.warn('part outcome', { outcome: last ? 'fallback' : 'retrying', reason: last ? fallbackReason : classified.reason });
    await retryOrFallBack(deps, { job, scene: sceneName, retryCount: params.retryCount, maxAttempts: params.maxAttempts, reason: classified.reason, fallbackReason });
    return;
  }

  const keys = partKeys(jobId, sceneName, index, job.format, randomUUID());
  await deps.blobStore.putFile({ key: keys.movie, filePath: attempt.file.filePath, contentType: attempt.file.contentType });
  await deps.blobStore.putText({ key: keys.log, text: attempt.log, contentType: 'text/plain; charset=utf-8' });
  faultPoint('part.after-upload');
  const { start, end } = attempt.boundaries;
  const usage = attemptUsage(attempt, { deliveryStartedAt: params.deliveryStartedAt, now: deps.clock.now(), pricing: deps.pricing, kind: 'part', quality: job.quality, log });
  const rendered = { blobKey: keys.movie, logKey: keys.log, renderSeconds: attempt.renderSeconds, ...(start && { start }), ...(end && { end }), ...(usage && { usage }) };
  const next = await deps.jobStore.updateScene({
    jobId,
    scene: sceneName,
    now: deps.clock.now(),
    change: (s) => recordPartTransition(s, { index, rendered, now: deps.clock.now() }),
  });
  log.info('part outcome', { outcome: next ? 'rendered' : 'discarded', fallback: next?.split?.fallback });
  // Not recorded (another delivery was first, or the scene moved on): the files belong to nothing.
  if (!next) return deps.blobStore.deletePrefix({ prefix: keys.prefix });
  faultPoint('part.after-record');
  await afterSplitChange(deps, job, next);
}

/** Fails a split scene because of the scene itself, keeping the failing part's log as the scene's. */
async function failScene(deps: RunRenderTaskDeps, params: { jobId: string; scene: string; error: RenderError; log: string }): Promise<void> {
  const key = logKey(params.jobId, params.scene);
  await deps.blobStore.putText({ key, text: params.log, contentType: 'text/plain; charset=utf-8' });
  const failed = await deps.jobStore.updateScene({
    jobId: params.jobId,
    scene: params.scene,
    now: deps.clock.now(),
    change: (s) => {
      const next = failTransition(s, { error: params.error, now: deps.clock.now() });
      return next && { ...next, logKey: key };
    },
  });
  if (failed) {
    await deps.blobStore.deletePrefix({ prefix: partsPrefix(params.jobId, params.scene) });
    await deps.notify?.({ jobId: params.jobId });
  }
}
