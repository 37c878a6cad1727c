import { NotFoundError } from './errors';
import type { JobRecord } from './job';
import type { JobStore } from './ports/job-store';

/** A job, if `owner` created it. Another principal's job is reported exactly like a missing one. */
export async function getOwnedJob(jobStore: JobStore, params: { id: string; owner: string }): Promise<JobRecord> {
  const job = await jobStore.getJob({ id: params.id });
  if (!job || job.owner !== params.owner) throw new NotFoundError(`no render job ${params.id}`);
  return job;
}
