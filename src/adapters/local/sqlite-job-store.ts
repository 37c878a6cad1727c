import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { summariseJobStatus } from '../../domain/job-status';
import { isTerminal, type JobRecord, type SceneRecord } from '../../domain/job';
import { decodePageToken, encodePageToken } from '../../domain/page-token';
import type { ClaimResult, JobPage, JobStore, ListJobsParams } from '../../domain/ports/job-store';
import {
  cancelTransition,
  claimTransition,
  failTransition,
  finishTransition,
  heartbeatTransition,
  releaseTransition,
} from '../../domain/scene-transitions';
import { checkActiveScenesQuota } from '../../domain/active-scenes-quota';
import { ConflictError } from '../../domain/errors';
import { inTransaction, openSqlite } from './open-sqlite';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    active_scenes INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (owner, created_at DESC, id DESC);
  CREATE INDEX IF NOT EXISTS jobs_by_owner_status ON jobs (owner, status, created_at DESC, id DESC);
  CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (status, created_at, id);
  CREATE INDEX IF NOT EXISTS jobs_by_age ON jobs (created_at, id);
  CREATE TABLE IF NOT EXISTS scenes (
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (job_id, name)
  );
`;

type JobRow = { record: string };

/** Scenes still queued or rendering. */
function activeScenes(scenes: SceneRecord[]): number {
  return scenes.filter((s) => !isTerminal(s.status)).length;
}
type SceneRow = { record: string };

/**
 * The embedded job store: one SQLite file. A job row holds the request; each scene has its own row, so
 * updating one scene never rewrites another. The job's summarised status is kept in a column for listing.
 */
export class SqliteJobStore implements JobStore {
  private readonly db: DatabaseSync;

  constructor(params: { filePath: string }) {
    this.db = openSqlite(params.filePath);
    this.db.exec(SCHEMA);
    migrateActiveScenes(this.db);
  }

  close(): void {
    this.db.close();
  }

  async createJob({ job, maxActiveScenes }: { job: JobRecord; maxActiveScenes?: number }): Promise<void> {
    const { scenes, ...jobFields } = job;
    inTransaction(this.db, () => {
      if (this.db.prepare('SELECT 1 FROM jobs WHERE id = ?').get(job.id)) throw new ConflictError(`a job with id ${job.id} already exists`);
      // One synchronous transaction: no other submit can store a job between the count and the insert.
      if (maxActiveScenes !== undefined) checkActiveScenesQuota({ job, active: this.activeScenesOf(job.owner), limit: maxActiveScenes });
      this.db
        .prepare('INSERT INTO jobs (id, owner, status, active_scenes, created_at, record) VALUES (?, ?, ?, ?, ?, ?)')
        .run(job.id, job.owner, summariseJobStatus(scenes), activeScenes(scenes), job.createdAt, JSON.stringify(jobFields));
      const insertScene = this.db.prepare('INSERT INTO scenes (job_id, position, name, record) VALUES (?, ?, ?, ?)');
      scenes.forEach((scene, position) => insertScene.run(job.id, position, scene.name, JSON.stringify(scene)));
    });
  }

  async getJob({ id }: { id: string }): Promise<JobRecord | null> {
    return this.readJob(id);
  }

  async listJobs(params: ListJobsParams): Promise<JobPage> {
    const where = ['owner = ?'];
    const args: string[] = [params.owner];
    if (params.status) {
      where.push('status = ?');
      args.push(params.status);
    }
    if (params.pageToken) {
      const cursor = decodePageToken(params.pageToken);
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      args.push(cursor.createdAt, cursor.createdAt, cursor.id);
    }
    const rows = this.db
      .prepare(`SELECT id FROM jobs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(...args, params.pageSize + 1) as Array<{ id: string }>;
    const page = rows.slice(0, params.pageSize);
    const jobs = page.map((row) => this.readJob(row.id)).filter((job): job is JobRecord => job !== null);
    const last = jobs[jobs.length - 1];
    return rows.length > params.pageSize && last
      ? { jobs, nextPageToken: encodePageToken({ createdAt: last.createdAt, id: last.id }) }
      : { jobs };
  }

  async listUnfinishedJobs(params: { createdBefore: Date; pageSize: number; pageToken?: string }): Promise<JobPage> {
    const where = ["status IN ('queued', 'rendering')", 'created_at < ?'];
    const args: string[] = [params.createdBefore.toISOString()];
    if (params.pageToken) {
      const cursor = decodePageToken(params.pageToken);
      where.push('(created_at > ? OR (created_at = ? AND id > ?))');
      args.push(cursor.createdAt, cursor.createdAt, cursor.id);
    }
    const rows = this.db
      .prepare(`SELECT id, created_at FROM jobs WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT ?`)
      .all(...args, params.pageSize + 1) as Array<{ id: string; created_at: string }>;
    const page = rows.slice(0, params.pageSize);
    const jobs = page.map((row) => this.readJob(row.id)).filter((job): job is JobRecord => job !== null);
    const last = page[page.length - 1];
    return rows.length > params.pageSize && last ? { jobs, nextPageToken: encodePageToken({ createdAt: last.created_at, id: last.id }) } : { jobs };
  }

  async claimScene(params: { jobId: string; scene: string; leaseMs: number; now: Date }): Promise<ClaimResult> {
    return inTransaction(this.db, (): ClaimResult => {
      const scene = this.readScene(params.jobId, params.scene);
      if (!scene) return { claimed: false, reason: 'missing' };
      const token = randomUUID();
      const decision = claimTransition(scene, { token, leaseMs: params.leaseMs, now: params.now });
      if ('refused' in decision) return { claimed: false, reason: decision.refused };
      this.writeScene(params.jobId, decision.scene);
      // The job turns `rendering` with its first claim: keep the listed status in step, as every other change does.
      this.refreshJob(params.jobId, params.now);
      const job = this.readJob(params.jobId);
      if (!job) return { claimed: false, reason: 'missing' };
      return { claimed: true, leaseToken: token, attempt: decision.scene.attempts, job };
    });
  }

  async heartbeatScene(params: Parameters<JobStore['heartbeatScene']>[0]): Promise<boolean> {
    const beat = (scene: SceneRecord) => heartbeatTransition(scene, { token: params.leaseToken, ...params });
    return this.changeScene(params.jobId, params.scene, beat) !== null;
  }

  async finishScene(params: Parameters<JobStore['finishScene']>[0]): Promise<boolean> {
    const finish = (scene: SceneRecord) => finishTransition(scene, { token: params.leaseToken, outcome: params.outcome, now: params.now });
    return this.changeScene(params.jobId, params.scene, finish) !== null;
  }

  async releaseScene(params: Parameters<JobStore['releaseScene']>[0]): Promise<boolean> {
    const release = (scene: SceneRecord) => releaseTransition(scene, { token: params.leaseToken, now: params.now });
    return this.changeScene(params.jobId, params.scene, release) !== null;
  }

  async failScene(params: Parameters<JobStore['failScene']>[0]): Promise<boolean> {
    return this.changeScene(params.jobId, params.scene, (scene) => failTransition(scene, params)) !== null;
  }

  async updateScene(params: Parameters<JobStore['updateScene']>[0]): Promise<SceneRecord | null> {
    return this.changeScene(params.jobId, params.scene, params.change);
  }

  async cancelJob({ id, now }: { id: string; now: Date }): Promise<JobRecord | null> {
    return inTransaction(this.db, () => {
      const job = this.readJob(id);
      if (!job) return null;
      for (const scene of job.scenes) {
        const cancelled = cancelTransition(scene, { now });
        if (cancelled) this.writeScene(id, cancelled);
      }
      this.refreshJob(id, now);
      return this.readJob(id);
    });
  }

  /** Ids of jobs of any principal and status created before `before`, oldest first: what local retention removes. */
  jobsCreatedBefore(params: { before: Date; limit: number }): Array<{ id: string; owner: string }> {
    return this.db
      .prepare('SELECT id, owner FROM jobs WHERE created_at < ? ORDER BY created_at, id LIMIT ?')
      .all(params.before.toISOString(), params.limit) as Array<{ id: string; owner: string }>;
  }

  async deleteJob({ id }: { id: string }): Promise<boolean> {
    const result = this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id);
    return Number(result.changes) > 0;
  }

  async countActiveScenes({ owner }: { owner: string }): Promise<number> {
    return this.activeScenesOf(owner);
  }

  private activeScenesOf(owner: string): number {
    // Kept per job by every change (like the summarised status), so the quota check reads one indexed range.
    const row = this.db
      .prepare("SELECT COALESCE(SUM(active_scenes), 0) AS n FROM jobs WHERE owner = ? AND status IN ('queued', 'rendering')")
      .get(owner) as { n: number };
    return Number(row.n);
  }

  private changeScene(jobId: string, name: string, change: (scene: SceneRecord) => SceneRecord | null): SceneRecord | null {
    return inTransaction(this.db, () => {
      const scene = this.readScene(jobId, name);
      const next = scene && change(scene);
      if (!next) return null;
      this.writeScene(jobId, next);
      this.refreshJob(jobId, new Date(next.updatedAt));
      return next;
    });
  }

  private readScene(jobId: string, name: string): SceneRecord | null {
    const row = this.db.prepare('SELECT record FROM scenes WHERE job_id = ? AND name = ?').get(jobId, name) as
      | SceneRow
      | undefined;
    return row ? (JSON.parse(row.record) as SceneRecord) : null;
  }

  private writeScene(jobId: string, scene: SceneRecord): void {
    this.db.prepare('UPDATE scenes SET record = ? WHERE job_id = ? AND name = ?').run(JSON.stringify(scene), jobId, scene.name);
  }

  /** Recomputes the job's summarised status and touches its update time after a scene changed. */
  private refreshJob(jobId: string, now: Date): void {
    const job = this.readJob(jobId);
    if (!job) return;
    const { scenes, ...jobFields } = job;
    this.db
      .prepare('UPDATE jobs SET status = ?, active_scenes = ?, record = ? WHERE id = ?')
      .run(summariseJobStatus(scenes), activeScenes(scenes), JSON.stringify({ ...jobFields, updatedAt: now.toISOString() }), jobId);
  }

  private readJob(id: string): JobRecord | null {
    const row = this.db.prepare('SELECT record FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    if (!row) return null;
    const scenes = (
      this.db.prepare('SELECT record FROM scenes WHERE job_id = ? ORDER BY position').all(id) as SceneRow[]
    ).map((s) => JSON.parse(s.record) as SceneRecord);
    return { ...(JSON.parse(row.record) as Omit<JobRecord, 'scenes'>), scenes };
  }
}

/** Adds and fills `active_scenes` in a database made before it existed. */
function migrateActiveScenes(db: DatabaseSync): void {
  const columns = db.prepare('PRAGMA table_info(jobs)').all() as Array<{ name: string }>;
  if (columns.some((c) => c.name === 'active_scenes')) return;
  db.exec(`ALTER TABLE jobs ADD COLUMN active_scenes INTEGER NOT NULL DEFAULT 0;
    UPDATE jobs SET active_scenes = (SELECT COUNT(*) FROM scenes WHERE scenes.job_id = jobs.id
      AND json_extract(scenes.record, '$.status') IN ('queued', 'rendering'));`);
}
