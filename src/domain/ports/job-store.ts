import type { ResourceUsage } from '../costs/resource-usage';
import type { JobStatus } from '../../contracts/job';
import type { JobRecord, SceneRecord, StoredOutput } from '../job';
import type { RenderError } from '../../contracts/job';

export interface ListJobsParams {
  owner: string;
  status?: JobStatus;
  pageSize: number;
  /** Opaque cursor from a previous page. */
  pageToken?: string;
}

export interface JobPage {
  jobs: JobRecord[];
  nextPageToken?: string;
}

/** The outcome of trying to take a scene for rendering. */
export type ClaimResult =
  | { claimed: true; leaseToken: string; attempt: number; job: JobRecord }
  /** Someone else holds a live lease: a redelivered task must not start a second render. */
  | { claimed: false; reason: 'leased' }
  /** The scene already finished (or was cancelled): nothing to do, ever. */
  | { claimed: false; reason: 'terminal' }
  /** The scene is being rendered in parts (domain/split/): only its part and stitch tasks work on it. */
  | { claimed: false; reason: 'split' }
  | { claimed: false; reason: 'missing' };

/** How a render ended, recorded once. */
export type SceneOutcome =
  | { status: 'succeeded'; output: StoredOutput; logKey?: string; cacheHit?: boolean; planFailure?: string; notices?: string[]; usage?: ResourceUsage }
  | { status: 'failed'; error: RenderError; logKey?: string; usage?: ResourceUsage };

/**
 * Durable record of jobs and their scenes. Implementations: SQLite (embedded) and Firestore.
 *
 * State changes are guarded in the store, not by callers: a scene goes `queued → rendering` only through a
 * claim with a lease; a live lease cannot be claimed again; an expired one can (the holder crashed);
 * a terminal scene never changes again.
 */
export interface JobStore {
  /**
   * Stores a new job (ConflictError if its id exists). With `maxActiveScenes`, it is stored only if the owner's
   * queued and rendering scenes, counted in the same transaction, stay within it (else QuotaExceededError).
   */
  createJob(params: { job: JobRecord; maxActiveScenes?: number }): Promise<void>;
  getJob(params: { id: string }): Promise<JobRecord | null>;
  listJobs(params: ListJobsParams): Promise<JobPage>;
  /**
   * Every principal's jobs that are not finished (queued or rendering) and were created before `createdBefore`,
   * oldest first: what the repair of lost work (domain/repair/) looks through.
   */
  listUnfinishedJobs(params: { createdBefore: Date; pageSize: number; pageToken?: string }): Promise<JobPage>;
  claimScene(params: { jobId: string; scene: string; leaseMs: number; now: Date }): Promise<ClaimResult>;
  /**
   * Records progress and extends the lease. Returns false when the lease is no longer held
   * (the scene was cancelled, finished, or taken over): the render must stop.
   */
  heartbeatScene(params: {
    jobId: string;
    scene: string;
    leaseToken: string;
    progress: number;
    leaseMs: number;
    now: Date;
  }): Promise<boolean>;
  /** Ends a render. Returns false (and changes nothing) when the lease is no longer held. */
  finishScene(params: { jobId: string; scene: string; leaseToken: string; outcome: SceneOutcome; now: Date }): Promise<boolean>;
  /** Gives a scene back to the queue after a failure on our side, keeping its attempt count. */
  releaseScene(params: { jobId: string; scene: string; leaseToken: string; now: Date }): Promise<boolean>;
  /**
   * Applies `change` to one scene atomically (it may run more than once under contention) and returns the scene as
   * changed, or null when `change` refused (returned null) or there is no such scene. For transitions with
   * rules of their own, such as those of a split render (domain/split/split-transitions.ts).
   */
  updateScene(params: { jobId: string; scene: string; now: Date; change: (scene: SceneRecord) => SceneRecord | null }): Promise<SceneRecord | null>;
  /** Fails a scene that is not terminal, whoever holds it (e.g. retries exhausted). */
  failScene(params: { jobId: string; scene: string; error: RenderError; now: Date }): Promise<boolean>;
  /** Cancels every scene that is not terminal. Returns the job as it is afterwards, or null if unknown. */
  cancelJob(params: { id: string; now: Date }): Promise<JobRecord | null>;
  /** Returns false if there was no such job. */
  deleteJob(params: { id: string }): Promise<boolean>;
  /** Scenes of `owner` that are queued or rendering: what the concurrency quota counts. */
  countActiveScenes(params: { owner: string }): Promise<number>;
}
