import type { BatchView } from '../contracts/batch';
import type { JobStatus } from '../contracts/job';
import type { BatchRecord } from './batch';
import type { JobRecord } from './job';
import { summariseJobProgress, summariseJobStatus } from './job-status';
import { jobCost, sumCosts } from './costs/scene-cost';

/** A batch as the API shows it: each item's job status, counts per status, and the batch's own summary. */
export function toBatchView(batch: BatchRecord, jobs: Map<string, JobRecord>): BatchView {
  const counts: Record<JobStatus, number> = { queued: 0, rendering: 0, succeeded: 0, failed: 0, cancelled: 0 };
  const items = batch.items.map((item) => {
    const job = item.jobId ? jobs.get(item.jobId) : undefined;
    // An item rejected at submit, or whose job was deleted since, counts as failed.
    const status: JobStatus = job ? summariseJobStatus(job.scenes) : 'failed';
    counts[status] += 1;
    return { index: item.index, ...(item.source && { source: item.source }), ...(item.jobId && { jobId: item.jobId }), status, ...(item.error && { error: item.error }) };
  });
  const progress = items.length === 0 ? 1 : items.reduce((sum, item) => {
    const job = item.jobId ? jobs.get(item.jobId) : undefined;
    return sum + (job ? summariseJobProgress(job.scenes) : 1);
  }, 0) / items.length;
  return {
    id: batch.id,
    ...(batch.name && { name: batch.name }),
    status: summariseJobStatus(items.map((i) => ({ status: i.status }))),
    progress,
    counts,
    items,
    cost: sumCosts(batch.items.flatMap((item) => {
      const job = item.jobId ? jobs.get(item.jobId) : undefined;
      return job ? [jobCost(job)] : [];
    })),
    createdAt: batch.createdAt,
  };
}
