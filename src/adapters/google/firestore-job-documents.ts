import { FieldValue, Timestamp, type DocumentData, type DocumentSnapshot, type UpdateData } from '@google-cloud/firestore';
import { summariseJobStatus } from '../../domain/job-status';
import { isTerminal, type JobRecord, type SceneRecord } from '../../domain/job';

/**
 * How a JobRecord is laid out in Firestore documents, both ways. Times the store sorts or expires by are
 * Timestamps; the scene records keep the domain's ISO strings.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** The fields of `renderJobs/{id}`. */
export interface JobDocument {
  owner: string;
  /** The status summarised from the scenes, kept in step by every transition that can change it; for listing. */
  status: string;
  /** Scenes still queued or rendering, kept with `status`; summed for the owner's concurrency quota. */
  activeScenes: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  /** When Firestore's TTL policy may delete the job (firestore.indexes.json). */
  expireAt: Timestamp;
  quality: string;
  format: string;
  timeoutSeconds: number;
  /** A list, not a map: metadata keys are the caller's, and Firestore reserves field names like `__x__`. */
  metadata: Array<{ key: string; value: string }>;
  code: string;
  /** The project files beside the scene, by hash (their bytes are in Cloud Storage). */
  files?: Array<{ path: string; sha256: string; size: number }>;
  sceneNames: string[];
  webhookUrl?: string;
  batchId?: string;
}

/** The fields of `renderJobs/{id}/scenes/{scene}`: the SceneRecord, plus the TTL field. */
export type SceneDocument = SceneRecord & { expireAt: Timestamp };

export function expiryOf(job: JobRecord, retentionDays: number): Timestamp {
  return Timestamp.fromMillis(Date.parse(job.createdAt) + retentionDays * DAY_MS);
}

export function toJobDocument(job: JobRecord, expireAt: Timestamp): JobDocument {
  return {
    owner: job.owner,
    ...jobSummary(job.scenes),
    createdAt: Timestamp.fromDate(new Date(job.createdAt)),
    updatedAt: Timestamp.fromDate(new Date(job.updatedAt)),
    expireAt,
    quality: job.quality,
    format: job.format,
    timeoutSeconds: job.timeoutSeconds,
    metadata: Object.entries(job.metadata).map(([key, value]) => ({ key, value })),
    code: job.code,
    ...(job.files?.length && { files: job.files }),
    sceneNames: job.scenes.map((s) => s.name),
    ...(job.webhookUrl && { webhookUrl: job.webhookUrl }),
    ...(job.batchId && { batchId: job.batchId }),
  };
}

/** What the job document keeps summarised from its scenes; rewritten by every transition that can change it. */
export function jobSummary(scenes: SceneRecord[]): Pick<JobDocument, 'status' | 'activeScenes'> {
  return { status: summariseJobStatus(scenes), activeScenes: scenes.filter((s) => !isTerminal(s.status)).length };
}

export function toSceneDocument(scene: SceneRecord, expireAt: Timestamp): SceneDocument {
  return { ...scene, expireAt };
}

export function fromSceneDocument(data: DocumentData): SceneRecord {
  const { expireAt: _expireAt, ...scene } = data;
  return scene as SceneRecord;
}

/**
 * The job as the domain sees it. Its `updatedAt` is the latest change of the job or any scene: a heartbeat writes
 * only its scene's document, yet the job did change.
 */
export function fromJobDocument(id: string, data: DocumentData, scenes: SceneRecord[]): JobRecord {
  const doc = data as JobDocument;
  const updatedAt = scenes.reduce((latest, s) => (s.updatedAt > latest ? s.updatedAt : latest), iso(doc.updatedAt));
  return {
    id,
    owner: doc.owner,
    code: doc.code,
    ...(doc.files?.length && { files: doc.files }),
    quality: doc.quality as JobRecord['quality'],
    format: doc.format as JobRecord['format'],
    timeoutSeconds: doc.timeoutSeconds,
    metadata: Object.fromEntries(doc.metadata.map((e) => [e.key, e.value])),
    ...(doc.webhookUrl && { webhookUrl: doc.webhookUrl }),
    ...(doc.batchId && { batchId: doc.batchId }),
    scenes,
    createdAt: iso(doc.createdAt),
    updatedAt,
  };
}

/**
 * The update that turns `before` into `after`. An update (unlike set) takes a precondition, but it only touches the
 * fields it names, so fields the transition dropped (a released lease) are deleted explicitly.
 */
export function sceneUpdate(before: SceneRecord, after: SceneRecord): UpdateData<DocumentData> {
  const update: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const value = (after as unknown as Record<string, unknown>)[key];
    update[key] = value === undefined ? FieldValue.delete() : value;
  }
  return update;
}

/** The job from its document and its scenes' documents, in the job's scene order. */
export function toJob(job: DocumentSnapshot, scenes: DocumentSnapshot[]): JobRecord {
  return fromJobDocument(job.id, job.data()!, scenes.map((s) => fromSceneDocument(s.data()!)));
}

/**
 * Scene names are Python class names, which are valid document ids except that Firestore reserves `__.*__`; those
 * get a `~` prefix, which no class name has, so the mapping stays one to one.
 */
export function sceneDocumentId(scene: string): string {
  return /^__.*__$/.test(scene) ? `~${scene}` : scene;
}

export function iso(timestamp: Timestamp): string {
  return timestamp.toDate().toISOString();
}
