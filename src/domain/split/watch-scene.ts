import type { SceneRecord } from '../job';
import type { JobStore } from '../ports/job-store';

/**
 * Looks at a scene every `intervalMs` while work on it runs without a lease of its own (a part, a join), and calls
 * `stop` once the work is no longer wanted: the scene was cancelled, deleted, or fell back to a whole render.
 * Returns the function that ends the watch.
 */
export function watchScene(params: {
  jobStore: JobStore;
  jobId: string;
  scene: string;
  intervalMs: number;
  wanted: (scene: SceneRecord) => boolean;
  stop: (reason: string) => void;
}): () => void {
  let looking = false;
  const timer = setInterval(() => {
    if (looking) return;
    looking = true;
    params.jobStore
      .getJob({ id: params.jobId })
      .then((job) => {
        const scene = job?.scenes.find((s) => s.name === params.scene);
        if (!scene || !params.wanted(scene)) params.stop('the scene was cancelled, deleted or is rendered whole now');
      })
      .catch(() => undefined) // a failed look is not a reason to stop; the next one decides
      .finally(() => (looking = false));
  }, params.intervalMs);
  return () => clearInterval(timer);
}
