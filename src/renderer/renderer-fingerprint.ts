import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What renders are made with, for render keys: the pinned Manim build (python/requirements.txt), the encoder
 * settings the worker gives it (python/manim_worker/encoding.py) and the seed. Changing either changes every key,
 * so no cached render made otherwise is ever reused.
 */
export function rendererFingerprint(params: { appRoot: string; seed: number }): string {
  const requirements = fs.readFileSync(path.join(params.appRoot, 'python', 'requirements.txt'), 'utf8');
  const manim = /^manim==(\S+)$/m.exec(requirements)?.[1] ?? 'unknown';
  const encoding = createHash('sha256').update(fs.readFileSync(path.join(params.appRoot, 'python', 'manim_worker', 'encoding.py'))).digest('hex').slice(0, 16);
  return `manim=${manim};encoding=${encoding};seed=${params.seed}`;
}
