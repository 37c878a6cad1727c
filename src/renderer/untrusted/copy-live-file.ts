import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { openBeneath, UntrustedPathError } from './open-beneath';

export type CopiedLiveFile = { ok: true; bytes: number } | { ok: false; message: string };

/**
 * Copies a file a live sandbox says it is done with (a live segment) to `to`, a path of the service's own that the
 * sandbox cannot reach. Unlike takeOutput, the sandbox is still running: the file is opened beneath `workDir` with
 * no component followed, must be a regular file with one name, and is read through that one descriptor, at most
 * `maxBytes` of it; if the scene changes it meanwhile, what is copied is merely other bytes of the scene's own,
 * served only to the job's owner and never parsed by the service.
 */
export async function copyLiveFile(params: { workDir: string; relative: string; to: string; maxBytes: number }): Promise<CopiedLiveFile> {
  let source: fs.promises.FileHandle | undefined;
  try {
    source = await openBeneath({ root: params.workDir, relative: params.relative, kind: 'file' });
    const stat = await source.stat();
    if (stat.nlink !== 1) return { ok: false, message: 'the segment has more than one name (a hard link)' };
    if (stat.size === 0) return { ok: false, message: 'the segment is empty' };
    if (stat.size > params.maxBytes) return { ok: false, message: `the segment is ${stat.size} bytes; the limit is ${params.maxBytes}` };
    let copied = 0;
    const capped = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        copied += chunk.length;
        if (copied > params.maxBytes) done(new UntrustedPathError('the segment grew past its limit while it was copied'));
        else done(null, chunk);
      },
    });
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    const target = await fs.promises.open(params.to, flags, 0o600);
    try {
      await pipeline(source.createReadStream({ autoClose: false, start: 0 }), capped, target.createWriteStream());
    } catch (error) {
      await fs.promises.rm(params.to, { force: true });
      throw error;
    }
    return { ok: true, bytes: copied };
  } catch (error) {
    if (error instanceof UntrustedPathError) return { ok: false, message: `the segment is refused: ${error.message}` };
    throw error;
  } finally {
    await source?.close();
  }
}
