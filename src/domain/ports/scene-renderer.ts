import type { SandboxUsage } from '../costs/resource-usage';
import type { Readable } from 'node:stream';
import type { OutputFormat, Quality } from '../../contracts/quality';
import type { SceneBoundary } from '../job';
import type { LiveSegmentFile } from '../live/live-segment';
import type { ScenePlan } from '../split/plan-split';

export interface RenderSceneParams {
  code: string;
  scene: string;
  quality: Quality;
  format: OutputFormat;
  timeoutSeconds: number;
  seed: number;
  /** Aborting stops the render promptly (the job was cancelled, or the lease was lost). */
  signal: AbortSignal;
  /** Fraction of the scene's animations done, 0..1. */
  onProgress(progress: number): void;
  /**
   * Called with the plan before anything is rendered; decides what is rendered (see PlanVerdict). If it throws, the
   * render ends as if it had said not to render (`stopped`).
   */
  onPlan?(plan: ScenePlan): Promise<PlanVerdict>;
  /**
   * With this, each finished animation becomes a live segment: called in order with the service's own copy of it
   * (removed once the promise settles). Whatever it throws, the render goes on.
   */
  onSegment?(segment: LiveSegmentFile): Promise<void>;
  /** Render only this animation range, describing the scene at its ends (a part of a split render). */
  range?: AnimationSpan;
  /** The job's owner: the render may start with the formulas this principal's renders compiled, and adds its own. */
  owner?: string;
  /** The project's files, laid out in the scene's working directory before it runs. */
  files?: readonly ProjectFileSource[];
}

/** One project file of a render: where the scene sees it, which bytes it must be, and how to read them. */
export interface ProjectFileSource {
  path: string;
  sha256: string;
  size: number;
  open(): Promise<Readable>;
}

/**
 * What to render once the plan is known: the scene, one range of it (the first part of a split render, on the
 * worker that planned it), or nothing (the attempt fails with `stopped`).
 */
export type PlanVerdict = { render: false } | { render: true; range?: AnimationSpan };

/** Animations `from`..`upto` (inclusive; null: to the end), of which the plan counted `animations`. */
export interface AnimationSpan {
  from: number;
  upto: number | null;
  animations?: number;
}

/** Join the movies of a split render's parts, in order, into one; nothing is decoded or encoded. */
export interface StitchParams {
  scene: string;
  quality: Quality;
  format: OutputFormat;
  /** Each part's movie, opened when it is needed. */
  parts: Array<() => Promise<Readable>>;
  timeoutSeconds: number;
  signal: AbortSignal;
}

/** A file a render produced, already checked: a regular file inside the render's own directory, probed. */
export interface RenderedFile {
  filePath: string;
  contentType: string;
  bytes: number;
  durationSeconds: number | null;
  width: number;
  height: number;
  /** The codec of its audio track, as the reader found it; absent: none. */
  audioCodec?: string;
}

/** Why a render did not produce a file, before classification into the user's fault or ours. */
export type RawRenderFailure =
  | { reason: 'scene_error'; exception?: string; message: string; line?: number; traceback?: string }
  | { reason: 'scene_not_found'; message: string }
  | { reason: 'no_output'; message: string }
  | { reason: 'timeout'; seconds: number }
  | { reason: 'cancelled' }
  /** The plan callback said not to render here. */
  | { reason: 'stopped' }
  | { reason: 'worker_crashed'; stage: 'startup' | 'job'; exitCode: number | null; signal: string | null }
  | { reason: 'protocol_violation'; detail: string }
  | { reason: 'output_invalid'; message: string }
  | { reason: 'output_too_large'; bytes: number; limitBytes: number }
  /** The renderer's own disk filled up under the render (not the scene's quota): our side, tried again. */
  | { reason: 'host_disk_full'; message: string }
  /** A project file of the job could not be laid out: it is no longer stored, or not the bytes it should be. */
  | { reason: 'files_unavailable'; message: string };

export type RenderAttempt = ({ ok: true; file: RenderedFile } | { ok: false; failure: RawRenderFailure }) & {
  /** The render's captured stdout and stderr, size-bounded. */
  log: string;
  /** Wall-clock seconds from handing the job to the worker until it ended. */
  renderSeconds: number;
  /** What its sandboxes used (the render's and its output reader's), as their supervisors measured; none unsandboxed. */
  sandboxUsage?: SandboxUsage;
  /** Animations the plan pass counted, when there was one. */
  animations?: number;
  /** Why the plan pass failed, when it did and the worker rendered the scene whole without it. */
  planFailure?: string;
  /** The render worker said the scene added sound. */
  sound?: boolean;
  /** For a range: the scene's state where the range starts (unless at 0) and where it ends (unless at the end). */
  boundaries: { start?: SceneBoundary; end?: SceneBoundary };
  /** Removes the render's directory; call once the file is stored. */
  dispose(): Promise<void>;
};

/** Renders one scene (or joins its parts) in an isolated worker. Implementation: src/renderer/manim-scene-renderer.ts. */
export interface SceneRenderer {
  render(params: RenderSceneParams): Promise<RenderAttempt>;
  stitch(params: StitchParams): Promise<RenderAttempt>;
}
