import type { OutputFormat, Quality } from '../contracts/quality';
import type { RenderError, SceneStatus } from '../contracts/job';

/** What a finished scene produced, as stored. The API turns `blobKey` into a URL. */
export interface StoredOutput {
  blobKey: string;
  contentType: string;
  bytes: number;
  durationSeconds: number | null;
  width: number;
  height: number;
}

/** One scene of a job: the unit that is queued, rendered and retried on its own. */
export interface SceneRecord {
  name: string;
  status: SceneStatus;
  progress: number;
  /** Render attempts started (claims taken), including the current one. */
  attempts: number;
  /** Who holds the render right now and until when; set only while `rendering`. */
  lease?: { token: string; expiresAt: string };
  output?: StoredOutput;
  error?: RenderError;
  logKey?: string;
  /** What makes this render the same as another (domain/render-key.ts); set at submit. */
  renderKey?: string;
  /** Succeeded at submit time from an identical earlier render, without rendering. */
  cacheHit?: boolean;
  startedAt?: string;
  finishedAt?: string;
  updatedAt: string;
}

/** A render job as stored: the request it was made from and the state of each of its scenes. */
export interface JobRecord {
  id: string;
  owner: string;
  code: string;
  quality: Quality;
  format: OutputFormat;
  timeoutSeconds: number;
  metadata: Record<string, string>;
  /** Where a `render.finished` event goes once the job is terminal. */
  webhookUrl?: string;
  /** The batch this job is an item of. */
  batchId?: string;
  scenes: SceneRecord[];
  createdAt: string;
  updatedAt: string;
}

export const TERMINAL_STATUSES: ReadonlySet<SceneStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export function isTerminal(status: SceneStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}
