import type { JobRecord } from './job';
import type { BlobStore } from './ports/blob-store';
import type { Clock } from './ports/clock';
import type { JobStore, SceneOutcome } from './ports/job-store';
import type { ResultCache } from './ports/result-cache';
import { copyEarlierRender, findIdenticalRender, isReusable } from './reuse-cached-render';

export interface FollowDeps {
  resultCache: ResultCache;
  jobStore: JobStore;
  blobStore: BlobStore;
  clock: Clock;
  /** How often to look at the identical render being waited for. */
  pollMs: number;
}

/**
 * In-flight sharing, for a scene just claimed for rendering. If the principal's identical render already succeeded,
 * its output is copied (a cache hit). If one is rendering right now elsewhere, this waits for it (at most
 * `waitMs`, and not past `signal`) and then copies it. Otherwise this scene becomes the one others follow, and
 * null says: render it.
 */
export async function followIdenticalRender(
  deps: FollowDeps,
  params: { job: JobRecord; scene: string; waitMs: number; signal: AbortSignal },
): Promise<Extract<SceneOutcome, { status: 'succeeded' }> | null> {
  const { job } = params;
  const own = job.scenes.find((s) => s.name === params.scene);
  const key = own?.renderKey;
  if (!key) return null;
  const deadline = deps.clock.now().getTime() + params.waitMs;
  for (;;) {
    const found = await findIdenticalRender(deps, { owner: job.owner, key });
    const isSelf = found?.jobId === job.id && found.scene.name === params.scene;
    const other = isSelf ? undefined : found?.scene;
    if (other && isReusable(other, key)) {
      const copy = await copyEarlierRender(deps, { earlier: other, key, jobId: job.id, scene: params.scene, format: job.format, now: deps.clock.now() });
      return { status: 'succeeded', output: copy.output!, ...(copy.logKey && { logKey: copy.logKey }), cacheHit: true };
    }
    const worthWaiting = other?.status === 'rendering' && deps.clock.now().getTime() < deadline && !params.signal.aborted;
    if (!worthWaiting) {
      await deps.resultCache.remember({ owner: job.owner, key, render: { jobId: job.id, scene: params.scene } });
      return null;
    }
    await pause(deps.pollMs, params.signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
