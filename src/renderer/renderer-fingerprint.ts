import fs from 'node:fs';
import path from 'node:path';

/**
 * What renders are made with, for render keys: the pinned Manim build (python/requirements.txt) and the seed.
 * Bumping Manim changes every key, so no cached render from another build is ever reused.
 */
export function rendererFingerprint(params: { appRoot: string; seed: number }): string {
  const requirements = fs.readFileSync(path.join(params.appRoot, 'python', 'requirements.txt'), 'utf8');
  const manim = /^manim==(\S+)$/m.exec(requirements)?.[1] ?? 'unknown';
  return `manim=${manim};seed=${params.seed}`;
}
