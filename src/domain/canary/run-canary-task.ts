import type { CanaryRenderTask } from '../../contracts/task-payload';
import type { BlobStore } from '../ports/blob-store';
import type { Clock } from '../ports/clock';
import type { SceneRenderer } from '../ports/scene-renderer';
import type { Logger } from '../../logging/logger';
import { CANARY_SCENE, CANARY_SCENE_CODE, canaryOutcomeKey, canaryPrefix, type CanaryOutcome } from './canary-outcome';

export interface RunCanaryDeps {
  blobStore: BlobStore;
  renderer: SceneRenderer;
  /** The renderer's readiness report, in its own words (the same as /readyz). */
  readiness: () => Promise<{ ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> }>;
  /** The Cloud Run revision serving this instance (K_REVISION), when there is one. */
  revision?: string;
  clock: Clock;
  logger: Logger;
  seed: number;
}

/**
 * A deploy's canary: one short scene with LaTeX and text, rendered by the revision that received the task
 * through the same sandbox and checks as any job, its video and an outcome written under `canary/<id>/` for the
 * deployer to read. A canary already answered is not rendered again (Cloud Tasks delivers at least once).
 */
export async function runCanaryTask(deps: RunCanaryDeps, params: { task: CanaryRenderTask; signal: AbortSignal }): Promise<void> {
  const { task } = params;
  const outcomeKey = canaryOutcomeKey(task.canaryId);
  if (await deps.blobStore.stat({ key: outcomeKey })) return;
  const startedAt = deps.clock.now();
  const readiness = await deps.readiness();
  const base = { canaryId: task.canaryId, revision: deps.revision ?? null, startedAt: startedAt.toISOString(), readiness: readiness.checks };
  let outcome: CanaryOutcome;
  if (!readiness.ready) {
    outcome = { ...base, ok: false, reason: 'the renderer is not ready' };
  } else {
    const attempt = await deps.renderer.render({
      code: CANARY_SCENE_CODE,
      scene: CANARY_SCENE,
      quality: 'low',
      format: 'mp4',
      timeoutSeconds: 120,
      seed: deps.seed,
      signal: params.signal,
      onProgress: () => undefined,
    });
    try {
      if (attempt.ok) {
        const videoKey = `${canaryPrefix(task.canaryId)}${CANARY_SCENE}.mp4`;
        await deps.blobStore.putFile({ key: videoKey, filePath: attempt.file.filePath, contentType: attempt.file.contentType });
        const { bytes, durationSeconds, width, height } = attempt.file;
        outcome = { ...base, ok: true, renderSeconds: attempt.renderSeconds, video: { key: videoKey, bytes, durationSeconds, width, height } };
      } else {
        outcome = { ...base, ok: false, reason: `the canary scene did not render: ${describeFailure(attempt.failure)}`, log: attempt.log.slice(-4000) };
      }
    } finally {
      await attempt.dispose();
    }
  }
  await deps.blobStore.putText({ key: outcomeKey, text: `${JSON.stringify(outcome, null, 2)}\n`, contentType: 'application/json' });
  deps.logger[outcome.ok ? 'info' : 'error']('canary render', { canaryId: task.canaryId, ok: outcome.ok, revision: outcome.revision, ...(!outcome.ok && { reason: outcome.reason }) });
}

function describeFailure(failure: { reason: string } & Record<string, unknown>): string {
  const detail = failure.message ?? failure.detail ?? failure.seconds ?? failure.stage;
  return detail === undefined ? failure.reason : `${failure.reason} (${String(detail)})`;
}
