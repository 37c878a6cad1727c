import type { JobRecord, SceneRecord } from '../../src/domain/job';

/** A job as the ingress stores it (low quality mp4, one minute), its scenes all `status`; for writing stores directly. */
export function jobRecord(params: { id: string; owner: string; code: string; at: Date; scenes?: string[]; status?: SceneRecord['status'] }): JobRecord {
  const at = params.at.toISOString();
  const status = params.status ?? 'queued';
  return {
    id: params.id,
    owner: params.owner,
    code: params.code,
    quality: 'low',
    format: 'mp4',
    timeoutSeconds: 60,
    metadata: {},
    scenes: (params.scenes ?? ['A']).map((name) => ({ name, status, progress: status === 'succeeded' ? 1 : 0, attempts: status === 'queued' ? 0 : 1, updatedAt: at })),
    createdAt: at,
    updatedAt: at,
  };
}
