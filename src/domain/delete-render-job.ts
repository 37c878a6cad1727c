import type { BlobStore } from './ports/blob-store';
import type { Clock } from './ports/clock';
import type { JobStore } from './ports/job-store';
import type { TaskQueue } from './ports/task-queue';
import { cancelRenderJob } from './cancel-render-job';
import { jobPrefix } from './blob-keys';

/** Stops the job's renders, then removes its files and its record. */
export async function deleteRenderJob(
  deps: { jobStore: JobStore; taskQueue: TaskQueue; blobStore: BlobStore; clock: Clock },
  params: { id: string; owner: string },
): Promise<void> {
  await cancelRenderJob(deps, params);
  await deps.blobStore.deletePrefix({ prefix: jobPrefix(params.id) });
  await deps.jobStore.deleteJob({ id: params.id });
}
