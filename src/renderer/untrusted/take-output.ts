import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { entryPath, openBeneath, openEntry, UntrustedPathError } from './open-beneath';

export type TakenOutput =
  | { ok: true; filePath: string; bytes: number }
  | { ok: false; reason: 'output_invalid' | 'output_too_large'; message: string; bytes?: number };

/** A real movie is written without holes; a little slack covers a filesystem's rounding and metadata. */
const SPARSE_SLACK_BYTES = 1024 * 1024;

/**
 * Takes the file a dead sandbox reported as its output out of the sandbox's directory: opened beneath `workDir`
 * with no component followed (open-beneath.ts), required to be a regular file with one name, non-empty, without
 * holes, and at most `maxBytes` counted both as its length and as the blocks it holds on disk; then moved (renamed
 * through the directory descriptor, not the path) into a directory the service makes now, where nothing of the
 * scene can reach it. Returns that path, for the service to read the file from.
 *
 * Call only once every process of the sandbox is dead: then the checked file is the one moved.
 */
export async function takeOutput(params: { workDir: string; relative: string; maxBytes: number }): Promise<TakenOutput> {
  const name = path.posix.basename(params.relative);
  let dir: fs.promises.FileHandle | undefined;
  let file: fs.promises.FileHandle | undefined;
  try {
    dir = await openBeneath({ root: params.workDir, relative: path.posix.dirname(params.relative), kind: 'directory' });
    file = await openEntry({ dir, name, kind: 'file' });
    const stat = await file.stat();
    const allocated = stat.blocks * 512;
    const counted = Math.max(stat.size, allocated);
    if (counted > params.maxBytes) {
      return { ok: false, reason: 'output_too_large', message: `the output is ${counted} bytes; the limit is ${params.maxBytes}`, bytes: counted };
    }
    if (stat.size === 0) return { ok: false, reason: 'output_invalid', message: 'the output is empty' };
    if (stat.size > allocated + SPARSE_SLACK_BYTES) return { ok: false, reason: 'output_invalid', message: 'the output is a sparse file, not a written movie' };
    if (stat.nlink !== 1) return { ok: false, reason: 'output_invalid', message: 'the output has more than one name (a hard link)' };

    const takenDir = path.join(params.workDir, `.taken-${randomUUID()}`);
    await fs.promises.mkdir(takenDir, { mode: 0o700 });
    const taken = path.join(takenDir, safeName(name));
    await fs.promises.rename(entryPath(dir, name), taken);
    const moved = await fs.promises.lstat(taken);
    if (moved.ino !== stat.ino || moved.dev !== stat.dev) throw new UntrustedPathError('the output changed while it was taken');
    return { ok: true, filePath: taken, bytes: stat.size };
  } catch (error) {
    if (error instanceof UntrustedPathError) return { ok: false, reason: 'output_invalid', message: `the reported output is refused: ${error.message}` };
    throw error;
  } finally {
    await file?.close();
    await dir?.close();
  }
}

/** The name the taken file gets: the reported one if it is plain, else a neutral one (it is only a local name). */
function safeName(name: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,200}$/.test(name) ? name : 'output';
}
