import fs from 'node:fs';

/** Why a path a sandbox made cannot be opened: said without any host path, since it may reach a user. */
export class UntrustedPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UntrustedPathError';
  }
}

const COMPONENT = /^[^/\0]+$/;
// (libuv opens every descriptor close-on-exec.)
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
const FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

/**
 * Opens `relative` inside `root` one component at a time, each one relative to the directory opened before it and
 * none of them followed if it is a symbolic link: the equivalent of `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`,
 * which Node has no binding for. Each step opens `/proc/self/fd/<dir>/<name>` with `O_NOFOLLOW`: the kernel resolves
 * the descriptor's magic link to the very directory already opened, then looks `name` up in it without following it.
 *
 * `root` must be a directory the service made; everything below it may have been made by a scene. Call this only
 * once every process of that scene's sandbox is dead, so nothing can change what is opened afterwards.
 */
export async function openBeneath(params: { root: string; relative: string; kind: 'file' | 'directory' }): Promise<fs.promises.FileHandle> {
  if (params.relative.startsWith('/')) throw new UntrustedPathError('the path is absolute');
  const components = params.relative.split('/').filter((part) => part !== '' && part !== '.');
  let current = await fs.promises.open(params.root, DIRECTORY_FLAGS);
  try {
    for (const [index, name] of components.entries()) {
      const last = index === components.length - 1;
      const next = await openEntry({ dir: current, name, kind: last ? params.kind : 'directory' });
      await current.close();
      current = next;
    }
    if (components.length === 0 && params.kind === 'file') throw new UntrustedPathError('the path is not a regular file');
    return current;
  } catch (error) {
    await current.close();
    throw error;
  }
}

/**
 * Opens the entry `name` of an open directory without following it, and checks it is what `kind` says. A FIFO
 * planted under the name cannot hang the open (`O_NONBLOCK`, which changes nothing for a regular file).
 */
export async function openEntry(params: { dir: fs.promises.FileHandle; name: string; kind: 'file' | 'directory' }): Promise<fs.promises.FileHandle> {
  const { name, kind } = params;
  if (name === '..' || name === '.' || !COMPONENT.test(name)) throw new UntrustedPathError('the path climbs out of its directory');
  const flags = kind === 'file' ? FILE_FLAGS : DIRECTORY_FLAGS;
  const handle = await fs.promises.open(entryPath(params.dir, name), flags).catch((error: NodeJS.ErrnoException) => {
    throw explain(error, kind);
  });
  const stat = await handle.stat();
  if (kind === 'file' && !stat.isFile()) {
    await handle.close();
    throw new UntrustedPathError('the path is not a regular file');
  }
  return handle;
}

/** The path of an entry of an open directory, resolved through the descriptor (for rename and copy). */
export function entryPath(dir: fs.promises.FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

function explain(error: NodeJS.ErrnoException, kind: 'file' | 'directory'): Error {
  switch (error.code) {
    case 'ELOOP':
      return new UntrustedPathError('the path passes through a symbolic link');
    case 'ENOTDIR':
      return new UntrustedPathError(kind === 'directory' ? 'the path passes through a symbolic link or a file' : 'the path passes through a file');
    case 'ENOENT':
      return new UntrustedPathError('the path does not exist');
    default:
      return new UntrustedPathError(`the path cannot be opened (${error.code ?? 'unknown error'})`);
  }
}
