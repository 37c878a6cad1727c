import { createHash, randomUUID } from 'node:crypto';
import { Timestamp, type Firestore, type CollectionReference, type DocumentReference, type DocumentSnapshot, type Query } from '@google-cloud/firestore';
import type { JobStatus } from '../../contracts/job';
import { checkActiveScenesQuota } from '../../domain/active-scenes-quota';
import { ConflictError, ValidationError } from '../../domain/errors';
import type { JobRecord, SceneRecord } from '../../domain/job';
import type { ClaimResult, JobPage, JobStore, ListJobsParams } from '../../domain/ports/job-store';
import {
  cancelTransition,
  claimTransition,
  failTransition,
  finishTransition,
  heartbeatTransition,
  releaseTransition,
} from '../../domain/scene-transitions';
import type { Logger } from '../../logging/logger';
import {
  expiryOf,
  fromJobDocument,
  fromSceneDocument,
  jobSummary,
  sceneDocumentId,
  sceneUpdate,
  toJob,
  toJobDocument,
  toSceneDocument,
  type JobDocument,
} from './firestore-job-documents';
import { buildQuery, firestoreJobQueries, JOBS_COLLECTION, SCENES_COLLECTION } from './firestore-job-queries';
import { GrpcCode, grpcCodeOf, isExpiredTransaction } from './grpc-code';
import { retryOnConflict } from './retry-on-conflict';
import { afterPageToken, readJobPage } from './firestore-job-pages';
import { createFirestoreClient } from './firestore-client';

/** Runs of a submit's transaction the server may drop while it waits for the owner's lock (isExpiredTransaction). */
const EXPIRED_TRANSACTION_ATTEMPTS = 5;

export interface FirestoreJobStoreOptions {
  projectId: string;
  /** Defaults to `(default)`. */
  databaseId?: string;
  /** host:port of the Firestore emulator (plain-text gRPC, no credentials); unset in production. */
  emulatorHost?: string;
  /** Days after its creation when Firestore's TTL policy may delete a job and its scenes. */
  retentionDays?: number;
  logger?: Logger;
}

/** A job and its scenes are written in one batch, and Firestore takes at most 500 writes per batch. */
const MAX_SCENES = 499;
/** One small document per owner that every submit of theirs writes: what makes the quota check atomic. */
const OWNER_LOCKS_COLLECTION = 'owner-locks';

/** A job's documents read together (one BatchGetDocuments: a consistent snapshot). */
interface JobSnapshot {
  job: DocumentSnapshot;
  /** In the job's scene order; a scene document may be missing only if the job is being deleted. */
  scenes: DocumentSnapshot[];
}

type Plan<R> = (scenes: SceneRecord[]) => { changed: SceneRecord[] } | { refused: R };

/**
 * The JobStore on Firestore: `renderJobs/{jobId}` (the request, owner, times, and the status summarised from the
 * scenes, for listing) and `renderJobs/{jobId}/scenes/{scene}`, one document per scene.
 *
 * Every change is optimistic: read, apply the pure transition from scene-transitions.ts, write with a
 * `lastUpdateTime` precondition, and on a conflict read again and retry. (Preconditions rather than transactions:
 * a transaction locks what it reads and contended ones wait on each other; a stale precondition just fails fast.)
 *
 * Keeping the summary right when several scenes finish at once: a transition that can change the job's status
 * (claim, finish, release, fail, cancel) writes its scene documents and the job document's `status` and
 * `activeScenes` in one atomic batch, with preconditions on all of them, after reading the job and all its scenes
 * in one consistent snapshot. Two such transitions on scenes of one job therefore conflict on the job document:
 * one commits, the other re-reads (now seeing the first one's scene) and retries, so the summary is always that of
 * the scenes as committed. Heartbeats, the only frequent writes, cannot change the status: they write only their
 * own scene document, so they never contend with other scenes.
 */
export class FirestoreJobStore implements JobStore {
  private readonly db: Firestore;
  private readonly jobs: CollectionReference;
  private readonly retentionDays: number;

  constructor(private readonly options: FirestoreJobStoreOptions) {
    this.db = createFirestoreClient(options);
    this.jobs = this.db.collection(JOBS_COLLECTION);
    this.retentionDays = options.retentionDays ?? 30;
  }

  /** Closes the client's channels. */
  async close(): Promise<void> {
    await this.db.terminate();
  }

  async createJob({ job, maxActiveScenes }: { job: JobRecord; maxActiveScenes?: number }): Promise<void> {
    if (job.scenes.length > MAX_SCENES) {
      throw new ValidationError('too_many_scenes', `a job can have at most ${MAX_SCENES} scenes`, { limit: MAX_SCENES });
    }
    const expireAt = expiryOf(job, this.retentionDays);
    const writeJob = (writer: { create(ref: DocumentReference, data: FirebaseFirestore.DocumentData): unknown }) => {
      writer.create(this.jobs.doc(job.id), toJobDocument(job, expireAt));
      for (const scene of job.scenes) writer.create(this.sceneRef(job.id, scene.name), toSceneDocument(scene, expireAt));
    };
    try {
      if (maxActiveScenes === undefined) {
        const batch = this.db.batch();
        writeJob(batch);
        await batch.commit();
        return;
      }
      const storeWithinQuota = () => this.db.runTransaction(async (tx) => {
        // Every submit of an owner reads and writes the owner's lock document first: two submits at once are
        // serialised by it, so the second counts the first's job. The count alone would not conflict, since
        // a query does not lock documents that do not exist yet.
        const lock = this.db.collection(OWNER_LOCKS_COLLECTION).doc(createHash('sha256').update(job.owner).digest('hex'));
        await tx.get(lock);
        const active = sumActiveScenes(await tx.get(this.activeJobsOf(job.owner)));
        checkActiveScenesQuota({ job, active, limit: maxActiveScenes });
        tx.set(lock, { submittedAt: job.createdAt });
        writeJob(tx);
        // Submits of one owner contend on its lock by design: room for a burst of them to take turns.
      }, { maxAttempts: 20 });
      for (let attempt = 1; ; attempt++) {
        try {
          await storeWithinQuota();
          break;
        } catch (error) {
          if (!isExpiredTransaction(error) || attempt >= EXPIRED_TRANSACTION_ATTEMPTS) throw error;
        }
      }
    } catch (error) {
      if (grpcCodeOf(error) === GrpcCode.ALREADY_EXISTS) throw new ConflictError(`a job with id ${job.id} already exists`);
      throw error;
    }
  }

  async getJob({ id }: { id: string }): Promise<JobRecord | null> {
    const snapshot = await this.read(id);
    return snapshot && toJob(snapshot.job, snapshot.scenes);
  }

  async listJobs(params: ListJobsParams): Promise<JobPage> {
    const shape = params.status ? firestoreJobQueries.jobsByOwnerAndStatus : firestoreJobQueries.jobsByOwner;
    const query = afterPageToken(buildQuery(this.db, shape, { owner: params.owner, status: params.status }), params.pageToken);
    return this.page(query, params.pageSize);
  }

  async listUnfinishedJobs(params: { createdBefore: Date; pageSize: number; pageToken?: string }): Promise<JobPage> {
    const unfinished = buildQuery(this.db, firestoreJobQueries.unfinishedJobs, { status: ['queued', 'rendering'] });
    const query = afterPageToken(unfinished.where('createdAt', '<', Timestamp.fromDate(params.createdBefore)), params.pageToken);
    return this.page(query, params.pageSize);
  }

  async claimScene(params: { jobId: string; scene: string; leaseMs: number; now: Date }): Promise<ClaimResult> {
    const token = randomUUID();
    const result = await this.change<'missing' | 'leased' | 'terminal' | 'split'>(params.jobId, params.now, (scenes) => {
      const scene = scenes.find((s) => s.name === params.scene);
      if (!scene) return { refused: 'missing' };
      const decision = claimTransition(scene, { token, leaseMs: params.leaseMs, now: params.now });
      return 'refused' in decision ? decision : { changed: [decision.scene] };
    });
    if ('refused' in result) return { claimed: false, reason: result.refused };
    const attempt = result.job.scenes.find((s) => s.name === params.scene)!.attempts;
    return { claimed: true, leaseToken: token, attempt, job: result.job };
  }

  async heartbeatScene(params: Parameters<JobStore['heartbeatScene']>[0]): Promise<boolean> {
    // Only this scene's document: a heartbeat never changes the job's status.
    const ref = this.sceneRef(params.jobId, params.scene);
    return retryOnConflict(`heartbeat ${params.jobId}/${params.scene}`, this.options.logger, async () => {
      const snap = await ref.get();
      if (!snap.exists) return false;
      const scene = fromSceneDocument(snap.data()!);
      const next = heartbeatTransition(scene, { token: params.leaseToken, ...params });
      if (!next) return false;
      await ref.update(sceneUpdate(scene, next), { lastUpdateTime: snap.updateTime! });
      return true;
    });
  }

  async finishScene(params: Parameters<JobStore['finishScene']>[0]): Promise<boolean> {
    const finish = (scene: SceneRecord) => finishTransition(scene, { token: params.leaseToken, outcome: params.outcome, now: params.now });
    return (await this.changeOne(params.jobId, params.scene, params.now, finish)) !== null;
  }

  async releaseScene(params: Parameters<JobStore['releaseScene']>[0]): Promise<boolean> {
    const release = (scene: SceneRecord) => releaseTransition(scene, { token: params.leaseToken, now: params.now });
    return (await this.changeOne(params.jobId, params.scene, params.now, release)) !== null;
  }

  async failScene(params: Parameters<JobStore['failScene']>[0]): Promise<boolean> {
    return (await this.changeOne(params.jobId, params.scene, params.now, (scene) => failTransition(scene, params))) !== null;
  }

  async cancelJob({ id, now }: { id: string; now: Date }): Promise<JobRecord | null> {
    const result = await this.change(id, now, (scenes) => ({
      changed: scenes.flatMap((scene) => cancelTransition(scene, { now }) ?? []),
    }));
    return 'job' in result ? result.job : null;
  }

  async deleteJob({ id }: { id: string }): Promise<boolean> {
    const jobRef = this.jobs.doc(id);
    const snap = await jobRef.get();
    if (!snap.exists) return false;
    const batch = this.db.batch();
    for (const name of snap.get('sceneNames') as string[]) batch.delete(this.sceneRef(id, name));
    // Only one of two concurrent deletes finds the job.
    batch.delete(jobRef, { exists: true });
    try {
      await batch.commit();
      return true;
    } catch (error) {
      if (grpcCodeOf(error) === GrpcCode.NOT_FOUND) return false;
      throw error;
    }
  }

  async countActiveScenes({ owner }: { owner: string }): Promise<number> {
    return sumActiveScenes(await this.activeJobsOf(owner).get());
  }

  /** The owner's queued and rendering jobs, each with its count of active scenes (what the quota sums). */
  private activeJobsOf(owner: string): FirebaseFirestore.Query {
    const active: JobStatus[] = ['queued', 'rendering'];
    return buildQuery(this.db, firestoreJobQueries.activeJobsOfOwner, { owner, status: active }).select('activeScenes');
  }

  async updateScene(params: Parameters<JobStore['updateScene']>[0]): Promise<SceneRecord | null> {
    return this.changeOne(params.jobId, params.scene, params.now, params.change);
  }

  /** Applies a transition of one scene; null when it is refused (or the scene is unknown), else the scene after. */
  private async changeOne(
    jobId: string,
    name: string,
    now: Date,
    transition: (scene: SceneRecord) => SceneRecord | null,
  ): Promise<SceneRecord | null> {
    const result = await this.change(jobId, now, (scenes) => {
      const scene = scenes.find((s) => s.name === name);
      const next = scene && transition(scene);
      return next ? { changed: [next] } : { refused: 'refused' as const };
    });
    return 'job' in result ? (result.job.scenes.find((s) => s.name === name) ?? null) : null;
  }

  /**
   * Reads the job and all its scenes, lets `plan` decide which scenes change, and commits those scenes with the
   * job's new summary in one batch guarded by preconditions; on a conflict, starts again from a fresh read.
   */
  private async change<R>(jobId: string, now: Date, plan: Plan<R>): Promise<{ job: JobRecord } | { refused: R | 'missing' }> {
    return retryOnConflict(`change ${jobId}`, this.options.logger, async () => {
      const snapshot = await this.read(jobId);
      if (!snapshot) return { refused: 'missing' as const };
      const current = toJob(snapshot.job, snapshot.scenes);
      const decision = plan(current.scenes);
      if ('refused' in decision) return decision;
      if (decision.changed.length === 0) return { job: current };

      const scenes = current.scenes.map((s) => decision.changed.find((c) => c.name === s.name) ?? s);
      const jobDoc = snapshot.job.data() as JobDocument;
      const updatedAt = Timestamp.fromMillis(Math.max(jobDoc.updatedAt.toMillis(), now.getTime()));
      const batch = this.db.batch();
      for (const next of decision.changed) {
        const index = current.scenes.findIndex((s) => s.name === next.name);
        const sceneSnap = snapshot.scenes[index]!;
        batch.update(sceneSnap.ref, sceneUpdate(current.scenes[index]!, next), { lastUpdateTime: sceneSnap.updateTime! });
      }
      batch.update(snapshot.job.ref, { ...jobSummary(scenes), updatedAt }, { lastUpdateTime: snapshot.job.updateTime! });
      await batch.commit();
      return { job: fromJobDocument(jobId, { ...jobDoc, updatedAt }, scenes) };
    });
  }

  /** The job and its scenes in one consistent read; null when the job does not exist. */
  private async read(id: string): Promise<JobSnapshot | null> {
    const jobRef = this.jobs.doc(id);
    const first = await jobRef.get();
    if (!first.exists) return null;
    // Scene names never change, so the first read tells which documents the consistent read must include.
    const names = first.get('sceneNames') as string[];
    const [job, ...scenes] = await this.db.getAll(jobRef, ...names.map((name) => this.sceneRef(id, name)));
    if (!job?.exists || scenes.some((s) => !s.exists)) return null;
    return { job, scenes };
  }

  private async page(query: Query, pageSize: number): Promise<JobPage> {
    return readJobPage(this.db, await query.limit(pageSize + 1).get(), pageSize, (jobId, scene) => this.sceneRef(jobId, scene));
  }

  private sceneRef(jobId: string, scene: string): DocumentReference {
    return this.jobs.doc(jobId).collection(SCENES_COLLECTION).doc(sceneDocumentId(scene));
  }
}

function sumActiveScenes(found: FirebaseFirestore.QuerySnapshot): number {
  return found.docs.reduce((sum, doc) => sum + ((doc.get('activeScenes') as number | undefined) ?? 0), 0);
}
