import { QuotaExceededError } from './errors';
import { isTerminal, type JobRecord } from './job';

/** How long a caller over the active-scenes quota is told to wait before trying again. */
const RETRY_AFTER_SECONDS = 30;

/**
 * The active-scenes quota's check, for the job stores to run inside the transaction that stores a job: `active`
 * must have been read in that same transaction, so two submits at once cannot both pass on the same count.
 */
export function checkActiveScenesQuota(params: { job: JobRecord; active: number; limit: number }): void {
  const adding = params.job.scenes.filter((scene) => !isTerminal(scene.status)).length;
  if (adding > 0 && params.active + adding > params.limit) throw activeScenesExceeded(params.active, params.limit);
}

export function activeScenesExceeded(active: number, limit: number): QuotaExceededError {
  return new QuotaExceededError(`${active} scenes are already queued or rendering for you; the limit is ${limit}`, RETRY_AFTER_SECONDS, { active, limit });
}
