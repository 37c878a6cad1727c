import type { Clock } from '../ports/clock';
import type { JobStore } from '../ports/job-store';
import { partProgressTransition } from './split-transitions';

/** A part reports its progress every this many heartbeats of a whole render. */
export const PROGRESS_EVERY_HEARTBEATS = 5;

/**
 * Records how far a part's render has come, at most every `everyMs`: the parts of a scene all write its one
 * record, so they report less often than a whole render's heartbeat does. Failed writes are left to the next one.
 */
export function reportPartProgress(
  deps: { jobStore: JobStore; clock: Clock },
  params: { jobId: string; scene: string; index: number; everyMs: number },
): { report(progress: number): void; stop(): void } {
  let latest = 0;
  let written = 0;
  let writing = false;
  const timer = setInterval(() => {
    if (writing || latest <= written) return;
    writing = true;
    const progress = latest;
    deps.jobStore
      .updateScene({
        jobId: params.jobId,
        scene: params.scene,
        now: deps.clock.now(),
        change: (s) => partProgressTransition(s, { index: params.index, progress, now: deps.clock.now() }),
      })
      .then(() => (written = progress))
      .catch(() => undefined)
      .finally(() => (writing = false));
  }, params.everyMs);
  return {
    report: (progress) => (latest = Math.max(latest, progress)),
    stop: () => clearInterval(timer),
  };
}
