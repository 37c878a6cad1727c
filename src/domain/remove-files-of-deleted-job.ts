import { sceneFilesPrefix } from './blob-keys';
import type { BlobStore } from './ports/blob-store';

/**
 * A delivery of work on a job that no longer exists: whatever an earlier delivery stored for the scene after the job
 * was deleted, and could not remove itself because it died first (a live segment, an output), goes now. Job ids are
 * never reused, so nothing under the prefix can belong to anything else.
 */
export async function removeFilesOfDeletedJob(blobStore: BlobStore, params: { jobId: string; scene: string }): Promise<void> {
  await blobStore.deletePrefix({ prefix: sceneFilesPrefix(params.jobId, params.scene) });
}
