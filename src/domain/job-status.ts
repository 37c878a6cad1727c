import type { JobStatus, SceneStatus } from '../contracts/job';
import { isTerminal } from './job';

/**
 * A job's status summarises its scenes: queued until one starts, rendering while any is unfinished,
 * then failed if any failed, cancelled if any was cancelled, otherwise succeeded.
 */
export function summariseJobStatus(scenes: ReadonlyArray<{ status: SceneStatus }>): JobStatus {
  if (scenes.length === 0) return 'failed';
  if (scenes.every((s) => s.status === 'queued')) return 'queued';
  if (!scenes.every((s) => isTerminal(s.status))) return 'rendering';
  if (scenes.some((s) => s.status === 'failed')) return 'failed';
  if (scenes.some((s) => s.status === 'cancelled')) return 'cancelled';
  return 'succeeded';
}

/** Mean of the scenes' progress; a terminal scene counts as done whatever it reached. */
export function summariseJobProgress(scenes: ReadonlyArray<{ status: SceneStatus; progress: number }>): number {
  if (scenes.length === 0) return 0;
  const sum = scenes.reduce((acc, s) => acc + (isTerminal(s.status) ? 1 : s.progress), 0);
  return Math.min(1, sum / scenes.length);
}
