import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
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

/** A scene as the embedded job store holds it in `dataDir` (read-only: the service may be running). */
export function storedScene(dataDir: string, jobId: string, scene: string): SceneRecord {
  const db = new DatabaseSync(path.join(dataDir, 'jobs.sqlite'), { readOnly: true });
  const row = db.prepare('SELECT record FROM scenes WHERE job_id = ? AND name = ?').get(jobId, scene) as { record: string } | undefined;
  db.close();
  if (!row) throw new Error(`no scene ${scene} of job ${jobId} in ${dataDir}`);
  return JSON.parse(row.record) as SceneRecord;
}
