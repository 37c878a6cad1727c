import { createHash } from 'node:crypto';
import type { OutputFormat, Quality } from '../contracts/quality';

/**
 * What makes two renders the same: the exact code and scene, the output asked for, and what renders it (the Manim
 * build and the seed, together the `renderer` fingerprint). The same key always renders the same bytes.
 */
export function renderKey(params: { codeDigest: string; scene: string; quality: Quality; format: OutputFormat; renderer: string }): string {
  return createHash('sha256')
    .update(JSON.stringify([params.renderer, params.quality, params.format, params.scene, params.codeDigest]))
    .digest('hex');
}

/**
 * The code's part of the render key, hashed once per submit however many scenes the file has: the scene file and
 * every project file beside it (its path and its bytes' hash), in path order, so the same project keys the same
 * however its files were listed.
 */
export function codeDigest(code: string, files: ReadonlyArray<{ path: string; sha256: string }> = []): string {
  const hash = createHash('sha256').update(code);
  if (files.length === 0) return hash.digest('hex');
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return hash.update(JSON.stringify(sorted.map((file) => [file.path, file.sha256]))).digest('hex');
}
