import type fs from 'node:fs';
import { readdir } from 'node:fs/promises';
import { entryPath, openBeneath, openEntry, UntrustedPathError } from './open-beneath';

/**
 * Reads a small file a dead sandbox left, opened beneath `root` with no component followed (open-beneath.ts), as a
 * regular file of at most `maxBytes`; the check and the read use the same descriptor.
 */
export async function readFileBeneath(params: { root: string; relative: string; maxBytes: number }): Promise<Buffer> {
  const handle = await openBeneath({ root: params.root, relative: params.relative, kind: 'file' });
  try {
    return await readCapped(handle, params.maxBytes);
  } finally {
    await handle.close();
  }
}

/**
 * Reads every regular file of a directory a dead sandbox left whose name `wanted` accepts, each at most `maxBytes`:
 * the directory is opened beneath `root` without following anything, listed through its descriptor, and each entry
 * opened from it without following it. Entries that are not regular files or are too large are left out.
 * Resolves to nothing if the directory is not there.
 */
export async function readFilesBeneath(params: {
  root: string;
  relative: string;
  wanted: (name: string) => boolean;
  maxBytes: number;
}): Promise<Array<{ name: string; data: Buffer }>> {
  let dir: fs.promises.FileHandle;
  try {
    dir = await openBeneath({ root: params.root, relative: params.relative, kind: 'directory' });
  } catch (error) {
    if (error instanceof UntrustedPathError) return [];
    throw error;
  }
  try {
    const files: Array<{ name: string; data: Buffer }> = [];
    for (const name of await readdir(entryPath(dir, '.'))) {
      if (!params.wanted(name)) continue;
      const entry = await openEntry({ dir, name, kind: 'file' }).catch((error: unknown) => {
        if (error instanceof UntrustedPathError) return undefined;
        throw error;
      });
      if (!entry) continue;
      try {
        files.push({ name, data: await readCapped(entry, params.maxBytes) });
      } catch (error) {
        if (!(error instanceof UntrustedPathError)) throw error;
      } finally {
        await entry.close();
      }
    }
    return files;
  } finally {
    await dir.close();
  }
}

async function readCapped(handle: fs.promises.FileHandle, maxBytes: number): Promise<Buffer> {
  const stat = await handle.stat();
  if (stat.size > maxBytes) throw new UntrustedPathError(`the file is over ${maxBytes} bytes`);
  const data = await handle.readFile();
  if (data.length > maxBytes) throw new UntrustedPathError(`the file is over ${maxBytes} bytes`);
  return data;
}
