import fs from 'node:fs/promises';
import path from 'node:path';
import type { ProjectFile } from '../client';
import { KINDS_BY_EXTENSION } from '../domain/project-files/file-kinds';
import { MAIN_FILE_NAME } from '../domain/project-files/project-paths';
import { readSceneFile } from './read-scene-file';
import { UsageError } from './usage-error';

/** What a project directory holds that is not the project's: Manim's output, caches, version control, hidden files. */
const SKIPPED_DIRECTORIES = new Set(['media', '__pycache__', 'node_modules']);

export interface ReadProject {
  code: string;
  files: ProjectFile[];
  /** Files left out because the service takes no file of their kind (their relative paths). */
  skipped: string[];
}

/**
 * A scene and the files beside it, as `render` sends them. `target` is a scene file, or a project directory whose
 * `scene.py` (or `main.py`) is the scene; `withDirs` adds the files under each directory, at their paths relative to
 * the scene's directory (so `--with assets/` keeps `assets/logo.png` where the scene opens it). A project directory
 * brings all its files.
 */
export async function readProject(target: string, withDirs: readonly string[]): Promise<ReadProject> {
  const stat = await fs.stat(target).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${target}: ${error.code ?? error.message}`);
  });
  const main = stat.isDirectory() ? await mainFileOf(target) : target;
  const root = path.dirname(path.resolve(main));
  const dirs = stat.isDirectory() ? [target] : withDirs;
  const files: ProjectFile[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const dir of dirs) {
    const absolute = path.resolve(dir);
    if (absolute !== root && !absolute.startsWith(root + path.sep)) {
      throw new UsageError(`--with ${dir}: not inside the scene's directory ${root}; the scene sees files by their paths from there`);
    }
    for (const file of await walk(absolute)) {
      const relative = path.relative(root, file).split(path.sep).join('/');
      if (file === path.resolve(main) || seen.has(relative)) continue;
      seen.add(relative);
      if (!KINDS_BY_EXTENSION[path.extname(file).toLowerCase()]) skipped.push(relative);
      else files.push({ path: relative, content: await fs.readFile(file) });
    }
  }
  return { code: await readSceneFile(main), files, skipped };
}

async function mainFileOf(dir: string): Promise<string> {
  for (const name of [MAIN_FILE_NAME, 'main.py']) {
    const candidate = path.join(dir, name);
    if (await fs.stat(candidate).then((s) => s.isFile(), () => false)) return candidate;
  }
  throw new UsageError(`${dir} is a directory without ${MAIN_FILE_NAME} or main.py: name the scene file, and add its files with --with DIR`);
}

/** Regular files under `dir`, sorted; symlinks are not followed (the service lays out regular files only). */
async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) found.push(...(await walk(full)));
    else if (entry.isFile()) found.push(full);
  }
  return found;
}
