import type { OutputFormat, Quality } from '../contracts/quality';
import type { RenderError, SceneStatus } from '../contracts/job';
import type { JobFileView as JobFile } from '../contracts/project-files';
import type { ResourceUsage } from './costs/resource-usage';
import type { SceneLive } from './live/live-segment';

/** What a finished scene produced, as stored. The API turns `blobKey` into a URL. */
export interface StoredOutput {
  blobKey: string;
  contentType: string;
  bytes: number;
  durationSeconds: number | null;
  width: number;
  height: number;
  /** The codec of its audio track; absent: it has none. */
  audioCodec?: string;
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
  /** Set once the plan chose to render the scene in animation ranges, or why it is rendered whole after all. */
  split?: SceneSplit;
  /** Why the plan pass failed where the render did not (the scene was rendered whole, without a plan). */
  planFailure?: string;
  /** The animations finished so far as live segments (domain/live/); mp4 renders only. */
  live?: SceneLive;
  /** Times the repair of lost work queued the scene again (domain/repair/): the generation of its task's name. */
  repairs?: number;
  /** What the user should know of a render that succeeded (e.g. a gif has no room for the scene's sound). */
  notices?: string[];
  /** What its recorded render used: the whole render, or the join of its parts (each part's is with the part). */
  usage?: ResourceUsage;
  startedAt?: string;
  finishedAt?: string;
  updatedAt: string;
}

/** The scene's state where an animation range starts or ends, as a part's worker described it (scene_state.py). */
export interface SceneBoundary {
  /** The index of the animation the state follows. */
  after: number;
  fingerprint: Record<string, string>;
  /** The part skipped animations while a `dt` updater was in the scene (skipping advances it in one step). */
  timeBasedUpdatersSkipped?: boolean;
}

/** One animation range of a split scene. */
export interface ScenePart {
  from: number;
  /** Inclusive; null: to the end of the scene. */
  upto: number | null;
  /** Seconds of video the plan gave the range, and how many animations. */
  seconds: number;
  animations: number;
  /** How far its render has come (0..1), reported now and then until it is recorded. */
  progress?: number;
  /** Set once the part is rendered and stored. */
  rendered?: { blobKey: string; logKey: string; renderSeconds: number; start?: SceneBoundary; end?: SceneBoundary; usage?: ResourceUsage };
}

/**
 * A scene rendered as animation ranges, one task each, joined by a stitch task once all agree at their
 * boundaries. With `fallback` the scene is (or will be) rendered whole, and that says why.
 */
export interface SceneSplit {
  parts: ScenePart[];
  fallback?: string;
}

/** Whether the scene's parts are being rendered (or stitched): a whole render of it must not start. */
export function isSplitActive(scene: SceneRecord): boolean {
  return scene.split !== undefined && scene.split.fallback === undefined;
}

/** A render job as stored: the request it was made from and the state of each of its scenes. */
export interface JobRecord {
  id: string;
  owner: string;
  code: string;
  /** Files laid out beside the scene in its working directory, by hash (domain/project-files/). */
  files?: JobFile[];
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
