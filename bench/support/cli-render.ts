import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { TreeSampler, type TreeMemory } from './proc-tree';
import { REPO } from './service-process';
import { settings } from './settings';

export const PYTHON = settings.python ?? path.join(REPO, '.venv', 'bin', 'python');
export const SCENES_DIR = path.join(REPO, 'test', 'fixtures', 'scenes');

export type Quality = 'low' | 'high';
export const QUALITY_FLAG: Record<Quality, string> = { low: 'l', high: 'h' };

export interface CliRun {
  seconds: number;
  memory: TreeMemory;
  /** The rendered movie (inside `workDir`). */
  file: string;
  workDir: string;
}

/**
 * `python -m manim render -q<q> FILE SCENE` as the services we replace run it: a new process per render, in a
 * fresh directory with a fresh media dir (so Manim's partial-movie cache never hits). Timed from spawn to exit.
 * `extraArgs` adds flags such as `-n a,b` (an animation range).
 */
export async function cliRender(params: {
  file: string;
  scene: string;
  quality: Quality;
  extraArgs?: string[];
  keep?: boolean;
}): Promise<CliRun> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-cli-bench-'));
  const mediaDir = path.join(workDir, 'media');
  const args = ['-m', 'manim', 'render', `-q${QUALITY_FLAG[params.quality]}`, '--media_dir', mediaDir, ...(params.extraArgs ?? []), params.file, params.scene];
  const started = performance.now();
  const child = spawn(PYTHON, args, { cwd: workDir, stdio: ['ignore', 'ignore', 'pipe'] });
  const sampler = new TreeSampler(() => (child.pid ? [child.pid] : []));
  let tail = '';
  child.stderr!.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-3000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const seconds = (performance.now() - started) / 1000;
  const memory = sampler.stop();
  if (code !== 0) throw new Error(`manim render ${params.file} exited ${code}:\n${tail}`);
  const file = findMovie(mediaDir, params.scene);
  if (!params.keep) fs.rmSync(workDir, { recursive: true, force: true });
  return { seconds, memory, file, workDir };
}

function findMovie(dir: string, scene: string): string {
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop()!;
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory() && entry.name !== 'partial_movie_files') stack.push(full);
      else if (entry.isFile() && entry.name === `${scene}.mp4`) return full;
    }
  }
  return '';
}
