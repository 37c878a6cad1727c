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

/** The code's part of the render key, hashed once per submit however many scenes the file has. */
export function codeDigest(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}
