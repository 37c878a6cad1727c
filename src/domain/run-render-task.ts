import { faultPoint } from '../chaos/fault-points';
import type { RenderError } from '../contracts/job';
import type { RenderSceneTask } from '../contracts/task-payload';
import { logKey, outputKey, sceneFilesPrefix } from './blob-keys';
import { classifyRenderFailure } from './classify-render-failure';
import { followIdenticalRender } from './follow-identical-render';
import type { RenderAttempt } from './ports/scene-renderer';
import { RetryableTaskError } from './retryable-task-error';
import { planGateFor } from './split/plan-gate';
import { recordPartAttempt } from './split/run-part-task';
import { resumeSplit } from './split/split-tasks';
import { jobFileSources } from './project-files/job-file-sources';
import { renderNotices } from './render-notices';
import type { RunRenderTaskDeps } from './render-task-deps';
import { liveSegmentsOf } from './live/live-segments-of';
import { removeFilesOfDeletedJob } from './remove-files-of-deleted-job';
import { attemptUsage } from './costs/attempt-usage';

/**
 * Handles one delivery of a render task. Deliveries are at least once, so this is idempotent: a scene that is
 * already terminal is acknowledged without work, and one with a live lease elsewhere is left to its holder.
 *
 * Resolves when the task is done (answer 2xx); throws RetryableTaskError when it should be delivered again.
 */
export async function runRenderTask(
  deps: RunRenderTaskDeps,
  params: { task: RenderSceneTask; retryCount: number; maxAttempts: number; signal: AbortSignal },
): Promise<void> {
  const { jobId, scene } = params.task;
  const deliveryStartedAt = deps.clock.now();
  const log = deps.logger.child({ jobId, scene, retryCount: params.retryCount });
  // Queues what is due of a scene that went on in parts.
  const resumeParts = () => resumeSplit({ jobStore: deps.jobStore, taskQueue: deps.split?.taskQueue }, { jobId, scene });
  const { leaseMs } = deps;
  const claim = await deps.jobStore.claimScene({ jobId, scene, leaseMs, now: deps.clock.now() });
  if (!claim.claimed) {
    if (claim.reason === 'leased') throw new RetryableTaskError('the scene is being rendered by another delivery');
    log.info('render task skipped', { reason: claim.reason });
    if (claim.reason === 'missing') await removeFilesOfDeletedJob(deps.blobStore, { jobId, scene });
    // A redelivery after the scene went on in parts, perhaps before they were all queued: queue what is due.
    if (claim.reason === 'split') await resumeParts();
    // A redelivery after the outcome was recorded but before the notice went out: send it now.
    if (claim.reason === 'terminal') await deps.notify?.({ jobId });
    return;
  }
  const { job, leaseToken } = claim;
  const stop = new AbortController();
  const onDeliveryAbort = () => stop.abort(params.signal.reason);
  params.signal.addEventListener('abort', onDeliveryAbort, { once: true });

  const gate = planGateFor(deps.split && { jobStore: deps.jobStore, clock: deps.clock, ...deps.split, watchMs: deps.heartbeatMs }, {
    job,
    scene,
    leaseToken,
    abort: (reason) => stop.abort(new Error(reason)),
  });

  let progress = 0;
  let beating = false;
  const heartbeat = setInterval(() => {
    if (beating || gate?.handedOver) return; // the scene's lease ended with the hand-over
    beating = true;
    deps.jobStore
      .heartbeatScene({ jobId, scene, leaseToken, progress, leaseMs, now: deps.clock.now() })
      .then((held) => held || stop.abort(new Error('lease lost: the scene was cancelled or taken over')))
      .catch((error: Error) => log.warn('heartbeat failed', { error: error.message }))
      .finally(() => (beating = false));
  }, deps.heartbeatMs);

  let attempt: RenderAttempt | undefined;
  const live = liveSegmentsOf(deps, job, scene);
  try {
    if (deps.resultCache) {
      const follow = { resultCache: deps.resultCache, jobStore: deps.jobStore, blobStore: deps.blobStore, clock: deps.clock, pollMs: deps.heartbeatMs };
      const shared = await followIdenticalRender(follow, { job, scene, waitMs: job.timeoutSeconds * 1000, signal: stop.signal });
      if (shared) {
        clearInterval(heartbeat);
        const recorded = await deps.jobStore.finishScene({ jobId, scene, leaseToken, outcome: shared, now: deps.clock.now() });
        if (!recorded) await deps.blobStore.deletePrefix({ prefix: sceneFilesPrefix(jobId, scene) });
        log.info('render outcome', { outcome: recorded ? 'succeeded' : 'discarded', cacheHit: true, attempt: claim.attempt });
        await deps.notify?.({ jobId });
        return;
      }
    }
    attempt = await deps.renderer.render({
      owner: job.owner,
      code: job.code,
      files: jobFileSources(deps.blobStore, job),
      scene,
      quality: job.quality,
      format: job.format,
      timeoutSeconds: job.timeoutSeconds,
      seed: deps.seed,
      signal: stop.signal,
      onProgress: (value) => {
        progress = value;
        gate?.reportProgress(value);
      },
      ...(gate && { onPlan: (plan) => gate.decide(plan) }),
      ...(live && { onSegment: (segment) => live.publish(segment) }),
    });
    await live?.flush();
    clearInterval(heartbeat);
    gate?.close();
    const outcomeLog = log.child({ attempt: claim.attempt, renderSeconds: round(attempt.renderSeconds), animations: attempt.animations });

    if (gate?.handedOver) {
      // This delivery rendered the scene's first part: it is recorded like any part. Interrupted, it leaves the part
      // to the part's own task.
      outcomeLog.info('render outcome', { outcome: 'split', parts: gate.handedOver.split!.parts.length });
      const stopped = !attempt.ok && attempt.failure.reason === 'stopped';
      if (params.signal.aborted || stopped) return await resumeParts();
      await recordPartAttempt(deps, {
        job,
        scene,
        index: 0,
        attempt,
        deliveryStartedAt,
        retryCount: params.retryCount,
        maxAttempts: params.maxAttempts,
        log: outcomeLog.child({ part: 0 }),
      });
      return;
    }
    if (gate?.handOverRefused) {
      // The lease went while the scene was planned: whoever holds the scene now (or its cancel) decides.
      outcomeLog.info('render outcome', { outcome: 'discarded' });
      return;
    }
    if (params.signal.aborted) {
      // The delivery was abandoned (shutdown or dispatch deadline): give the scene back for the next delivery.
      await deps.jobStore.releaseScene({ jobId, scene, leaseToken, now: deps.clock.now() });
      throw new RetryableTaskError('the delivery was interrupted');
    }
    if (!attempt.ok && attempt.failure.reason === 'cancelled') {
      outcomeLog.info('render outcome', { outcome: 'cancelled' });
      return;
    }

    const logBlob = logKey(jobId, scene);
    await deps.blobStore.putText({ key: logBlob, text: attempt.log, contentType: 'text/plain; charset=utf-8' });

    if (attempt.ok) {
      const key = outputKey(jobId, scene, job.format);
      const stored = await deps.blobStore.putFile({ key, filePath: attempt.file.filePath, contentType: attempt.file.contentType });
      faultPoint('finish.after-upload');
      const { filePath: _local, ...described } = attempt.file;
      const notices = renderNotices(job.format, attempt);
      const usage = attemptUsage(attempt, { deliveryStartedAt, now: deps.clock.now(), pricing: deps.pricing, kind: 'whole', quality: job.quality, log: outcomeLog });
      const recorded = await deps.jobStore.finishScene({
        jobId,
        scene,
        leaseToken,
        outcome: {
          status: 'succeeded',
          output: { ...described, bytes: stored.bytes, blobKey: key },
          logKey: logBlob,
          ...(attempt.planFailure !== undefined && { planFailure: attempt.planFailure }),
          ...(notices.length > 0 && { notices }),
          ...(usage && { usage }),
        },
        now: deps.clock.now(),
      });
      if (!recorded) {
        // Cancelled or deleted while rendering: the files belong to no scene any more.
        await deps.blobStore.deletePrefix({ prefix: sceneFilesPrefix(jobId, scene) });
      }
      faultPoint('finish.after-record');
      const cacheKey = job.scenes.find((s) => s.name === scene)?.renderKey;
      if (recorded && cacheKey) await deps.resultCache?.remember({ owner: job.owner, key: cacheKey, render: { jobId, scene } });
      outcomeLog.info('render outcome', { outcome: recorded ? 'succeeded' : 'discarded', bytes: stored.bytes });
      await deps.notify?.({ jobId });
      return;
    }

    const classified = classifyRenderFailure(attempt.failure, attempt.log);
    if (classified.retryable) {
      const lastAttempt = params.retryCount + 1 >= params.maxAttempts;
      if (lastAttempt) {
        const error: RenderError = { code: 'internal_error', message: `the render failed on our side ${params.maxAttempts} times: ${classified.reason}` };
        await deps.jobStore.failScene({ jobId, scene, error, now: deps.clock.now() });
        outcomeLog.error('render outcome', { outcome: 'failed', code: error.code, reason: classified.reason });
        await deps.notify?.({ jobId });
        return;
      }
      await deps.jobStore.releaseScene({ jobId, scene, leaseToken, now: deps.clock.now() });
      outcomeLog.warn('render outcome', { outcome: 'retrying', reason: classified.reason });
      throw new RetryableTaskError(classified.reason);
    }
    const usage = attemptUsage(attempt, { deliveryStartedAt, now: deps.clock.now(), pricing: deps.pricing, kind: 'whole', quality: job.quality, log: outcomeLog });
    await deps.jobStore.finishScene({
      jobId,
      scene,
      leaseToken,
      outcome: { status: 'failed', error: classified.error, logKey: logBlob, ...(usage && { usage }) },
      now: deps.clock.now(),
    });
    outcomeLog.info('render outcome', { outcome: 'failed', code: classified.error.code });
    await deps.notify?.({ jobId });
  } catch (error) {
    if (error instanceof RetryableTaskError) throw error;
    // Our side broke (storage, job store): hand the scene back so the redelivery can claim it at once, or, on the
    // queue's last attempt, fail it rather than leave it waiting for a delivery that will never come.
    log.error('render task failed on our side', { error: (error as Error).message });
    if (gate?.handedOver) {
      // The scene is in parts now: whatever this delivery did not record, the parts' own tasks render.
      await resumeParts().catch((queueError: Error) => {
        throw new RetryableTaskError(queueError.message);
      });
      return;
    }
    if (params.retryCount + 1 >= params.maxAttempts) {
      const failure: RenderError = { code: 'internal_error', message: `the render failed on our side ${params.maxAttempts} times` };
      await deps.jobStore.failScene({ jobId, scene, error: failure, now: deps.clock.now() }).catch(() => undefined);
      await deps.notify?.({ jobId }).catch(() => undefined);
      return;
    }
    await deps.jobStore.releaseScene({ jobId, scene, leaseToken, now: deps.clock.now() }).catch(() => undefined);
    throw new RetryableTaskError((error as Error).message);
  } finally {
    clearInterval(heartbeat);
    gate?.close();
    params.signal.removeEventListener('abort', onDeliveryAbort);
    await attempt?.dispose();
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
