/**
 * The slice of the API's wire shapes the benchmarks read (src/contracts/job.ts is the source of truth). Kept here
 * so that bench/ compiles without pulling src/ into its program: the benchmarks exercise the built service.
 */
export interface SceneView {
  name: string;
  status: 'queued' | 'rendering' | 'succeeded' | 'failed' | 'cancelled';
  progress: number;
  attempts: number;
  output?: { url: string; bytes: number; durationSeconds: number | null; width: number; height: number };
  error?: { code: string; message: string };
  startedAt?: string;
  finishedAt?: string;
  /** Anything else a scene carries (e.g. a cache-hit marker, once there is a result cache). */
  [field: string]: unknown;
}

export interface JobView {
  id: string;
  status: SceneView['status'];
  progress: number;
  scenes: SceneView[];
  createdAt: string;
  updatedAt: string;
}

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
