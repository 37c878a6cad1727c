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

/**
 * The signal lease-less work on a scene runs under: aborted with its delivery (shutdown, dispatch deadline), or
 * once the scene no longer wants the work. `end` stops watching; call it once the work is over.
 */
export function abortWhenUnwanted(params: {
  jobStore: JobStore;
  jobId: string;
  scene: string;
  intervalMs: number;
  delivery: AbortSignal;
  wanted: (scene: SceneRecord) => boolean;
}): { signal: AbortSignal; end(): void } {
  const stop = new AbortController();
  const onDeliveryAbort = () => stop.abort(params.delivery.reason);
  params.delivery.addEventListener('abort', onDeliveryAbort, { once: true });
  const unwatch = watchScene({ ...params, stop: (reason) => stop.abort(new Error(reason)) });
  return {
    signal: stop.signal,
    end: () => {
      unwatch();
      params.delivery.removeEventListener('abort', onDeliveryAbort);
    },
  };
}
