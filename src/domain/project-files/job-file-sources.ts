import type { JobRecord } from '../job';
import type { BlobStore } from '../ports/blob-store';
import type { ProjectFileSource } from '../ports/scene-renderer';
import { projectFileKey } from './project-file-keys';

/** The job's project files as a renderer reads them: each from its owner's stored files, by hash. */
export function jobFileSources(blobStore: BlobStore, job: Pick<JobRecord, 'owner' | 'files'>): ProjectFileSource[] {
  return (job.files ?? []).map((file) => ({
    ...file,
    open: () => blobStore.read({ key: projectFileKey(job.owner, file.sha256) }),
  }));
}
