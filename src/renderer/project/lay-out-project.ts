import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ProjectFileSource } from '../../domain/ports/scene-renderer';

/** A file of the job is gone from the store, or its stored bytes are not the ones its hash names. */
export class ProjectFileUnavailable extends Error {}

/**
 * Writes a render's project files under `root` (a directory this creates), each at its checked relative path,
 * hashed on the way in and refused unless it is the file the job names. Everything is created here, never followed
 * (O_EXCL, O_NOFOLLOW), and the files are left read-only: 0444, owned by the service, so the scene (another uid)
 * reads them and changes none. Directories are sticky and open to writes (1777), as a directory of Manim's expects
 * (SVGMobject writes its parse copy beside the SVG): the scene may add files of its own, but the sticky bit keeps
 * it from removing or renaming the project's. Each render gets its own copy, so nothing one does reaches another.
 */
export async function layOutProject(params: { root: string; files: readonly ProjectFileSource[] }): Promise<void> {
  const { root } = params;
  await fs.promises.mkdir(root, { mode: 0o755 });
  const dirs = new Set<string>([root]);
  for (const file of params.files) {
    const target = path.join(root, ...file.path.split('/'));
    // The path was checked at submit; this keeps a stored job that says otherwise inside the directory anyway.
    if (!target.startsWith(root + path.sep)) throw new ProjectFileUnavailable(`${file.path}: not a path inside the project`);
    for (let dir = path.dirname(target); !dirs.has(dir); dir = path.dirname(dir)) dirs.add(dir);
    await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await writeChecked(target, file);
  }
  for (const dir of dirs) await fs.promises.chmod(dir, 0o1777);
}

async function writeChecked(target: string, file: ProjectFileSource): Promise<void> {
  let source;
  try {
    source = await file.open();
  } catch (error) {
    if (isMissing(error)) throw new ProjectFileUnavailable(`${file.path}: its file ${file.sha256} is no longer stored (it expired or was deleted)`);
    throw error;
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      if (bytes > file.size) done(new ProjectFileUnavailable(`${file.path}: the stored file is larger than its ${file.size} bytes`));
      else done(null, chunk);
    },
  });
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  const handle = await fs.promises.open(target, flags, 0o644).catch((error: unknown) => {
    source.destroy();
    throw error;
  });
  // The write stream owns the descriptor from here and closes it, done or failed.
  await pipeline(source, counting, handle.createWriteStream());
  const actual = hash.digest('hex');
  if (actual !== file.sha256 || bytes !== file.size) {
    throw new ProjectFileUnavailable(`${file.path}: the stored bytes hash to ${actual}, not ${file.sha256}`);
  }
  await fs.promises.chmod(target, 0o444);
}

function isMissing(error: unknown): boolean {
  const { code } = error as { code?: unknown };
  return code === 'ENOENT' || code === 404;
}
