import type { JobView } from '../client';
import { sceneOutcome } from './format-job';

const BAR_WIDTH = 24;

export interface ProgressView {
  update(job: JobView): void;
}

function bar(progress: number): string {
  const filled = Math.round(progress * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

/** One line per scene, redrawn in place: a bar and a percentage while it renders, its outcome once it ends. */
export function ttyProgressView(out: { write(text: string): unknown; columns?: number }): ProgressView {
  let drawn = 0;
  return {
    update(job) {
      const nameWidth = Math.max(...job.scenes.map((s) => s.name.length));
      const columns = out.columns ?? 100;
      const lines = job.scenes.map((scene) => {
        const done = scene.status !== 'queued' && scene.status !== 'rendering';
        const detail = done ? sceneOutcome(scene) : `${String(Math.floor(scene.progress * 100)).padStart(3)}%`;
        return `${scene.name.padEnd(nameWidth)}  ${bar(scene.status === 'succeeded' ? 1 : scene.progress)}  ${scene.status.padEnd(9)}  ${detail}`.slice(0, columns - 1);
      });
      // Back to the first line we drew, then rewrite every line (erasing what was there).
      const rewind = drawn > 0 ? `\x1b[${drawn}F` : '';
      out.write(`${rewind}${lines.map((line) => `\x1b[2K${line}\n`).join('')}`);
      drawn = lines.length;
    },
  };
}

/** For logs and pipes: a line when a scene changes status, and at each quarter of its progress. */
export function plainProgressView(out: { write(text: string): unknown }): ProgressView {
  const last = new Map<string, string>();
  return {
    update(job) {
      for (const scene of job.scenes) {
        const quarter = scene.status === 'rendering' ? Math.floor(scene.progress * 4) * 25 : undefined;
        const state = `${scene.status}|${quarter ?? ''}`;
        if (last.get(scene.name) === state) continue;
        last.set(scene.name, state);
        const detail = quarter !== undefined ? ` ${quarter}%` : scene.status === 'queued' ? '' : ` ${sceneOutcome(scene)}`;
        out.write(`${scene.name}: ${scene.status}${detail.trimEnd()}\n`);
      }
    },
  };
}
