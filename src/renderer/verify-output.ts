import fs from 'node:fs';
import path from 'node:path';

export type VerifiedOutput = { ok: true; filePath: string; bytes: number } | { ok: false; reason: 'output_invalid' | 'output_too_large'; message: string; bytes?: number };

/**
 * Checks a path a worker reported before anything reads it: it must resolve inside the render's own
 * directory without passing through a symlink, and be a regular file no larger than `maxBytes`.
 * The worker is already dead when this runs, so nothing can swap the file afterwards.
 */
export async function verifyOutput(params: { outputDir: string; reported: string; maxBytes: number }): Promise<VerifiedOutput> {
  const root = await fs.promises.realpath(params.outputDir);
  const candidate = path.resolve(root, params.reported);
  if (!candidate.startsWith(root + path.sep)) {
    return { ok: false, reason: 'output_invalid', message: 'the reported output is outside the render directory' };
  }
  let parent: string;
  try {
    parent = await fs.promises.realpath(path.dirname(candidate));
  } catch {
    return { ok: false, reason: 'output_invalid', message: 'the reported output does not exist' };
  }
  if (parent !== path.dirname(candidate)) {
    return { ok: false, reason: 'output_invalid', message: 'the output path passes through a symbolic link' };
  }
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(candidate, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ELOOP' ? 'the output is a symbolic link' : 'the reported output does not exist';
    return { ok: false, reason: 'output_invalid', message };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { ok: false, reason: 'output_invalid', message: 'the output is not a regular file' };
    if (stat.size > params.maxBytes) {
      return { ok: false, reason: 'output_too_large', message: `the output is ${stat.size} bytes; the limit is ${params.maxBytes}`, bytes: stat.size };
    }
    if (stat.size === 0) return { ok: false, reason: 'output_invalid', message: 'the output is empty' };
    return { ok: true, filePath: candidate, bytes: stat.size };
  } finally {
    await handle.close();
  }
}
