import type { BatchView } from '../contracts/batch';
import type { BatchRecord } from './batch';
import { toBatchView } from './batch-view';
import type { JobRecord } from './job';
import type { JobStore } from './ports/job-store';

/** A batch as the API shows it, reading its items' jobs (in parallel) from the job store. */
export async function loadBatchView(jobStore: JobStore, batch: BatchRecord): Promise<BatchView> {
  const jobs = new Map<string, JobRecord>();
  await Promise.all(
    batch.items.map(async (item) => {
      const job = item.jobId ? await jobStore.getJob({ id: item.jobId }) : null;
      if (job) jobs.set(job.id, job);
    }),
  );
  return toBatchView(batch, jobs);
}
