import type { OutputFormat, Quality } from '../../contracts/quality';

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
}

/** A file a render produced, already checked: a regular file inside the render's own directory, probed. */
export interface RenderedFile {
  filePath: string;
  contentType: string;
  bytes: number;
  durationSeconds: number | null;
  width: number;
  height: number;
}

/** Why a render did not produce a file, before classification into the user's fault or ours. */
export type RawRenderFailure =
  | { reason: 'scene_error'; exception?: string; message: string; line?: number; traceback?: string }
  | { reason: 'scene_not_found'; message: string }
  | { reason: 'no_output'; message: string }
  | { reason: 'timeout'; seconds: number }
  | { reason: 'cancelled' }
  | { reason: 'worker_crashed'; stage: 'startup' | 'job'; exitCode: number | null; signal: string | null }
  | { reason: 'protocol_violation'; detail: string }
  | { reason: 'output_invalid'; message: string }
  | { reason: 'output_too_large'; bytes: number; limitBytes: number };

export type RenderAttempt = ({ ok: true; file: RenderedFile } | { ok: false; failure: RawRenderFailure }) & {
  /** The render's captured stdout and stderr, size-bounded. */
  log: string;
  /** Wall-clock seconds from handing the job to the worker until it ended. */
  renderSeconds: number;
  /** Animations the plan pass counted, when there was one. */
  animations?: number;
  /** Removes the render's directory; call once the file is stored. */
  dispose(): Promise<void>;
};

/** Renders one scene in an isolated worker. Implementation: src/renderer/manim-scene-renderer.ts. */
export interface SceneRenderer {
  render(params: RenderSceneParams): Promise<RenderAttempt>;
}
