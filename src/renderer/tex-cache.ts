import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { readFilesBeneath } from './untrusted/read-beneath';

/** Manim names a compiled formula after a hash of its whole TeX file (template and expression): the key. */
const FORMULA_NAME = /^[0-9a-f]{16,64}\.svg$/;
const MAX_FORMULA_BYTES = 1024 * 1024;
const KEY_FILE = '.naming-key';

/**
 * Formulas a principal's renders compiled (`latex` + `dvisvgm`, about 0.3 s each), kept for that principal's next
 * renders on this renderer: a scene re-rendered with other timings, or another scene using the same formulas,
 * starts with them in its TeX directory and Manim does not compile them again.
 *
 * Kept per principal because the files were written inside a render, by a process that ran the principal's code: a
 * scene could store anything under a formula's name, and that must reach no one else. A principal can only spoil
 * its own later renders, as it could by sending other code. Files are taken once the worker is dead (nothing can
 * change them while they are checked), only regular files named as Manim names them, each size-capped; the whole
 * cache is bounded, least recently used first out. A principal's directory is named by a keyed hash (the key is
 * the renderer's own, made at first start), so no one can compute another principal's from their name.
 */
export class TexCache {
  /** Bytes held, for all principals: counted once from the disk, then kept up to date; trimming recounts. */
  private bytes: number | undefined;

  private readonly key: Buffer;

  constructor(private readonly params: { root: string; maxBytes: number; logger: Logger }) {
    fs.mkdirSync(params.root, { recursive: true, mode: 0o700 });
    this.key = namingKey(path.join(params.root, KEY_FILE));
  }

  /**
   * Copies the principal's formulas into `dir` (made here, inside a worker's own directory, readable by it), for the
   * render to start its TeX directory with. Returns how many. Never throws: a render without them compiles its own.
   */
  async seed(principal: string, dir: string): Promise<number> {
    const source = this.dirOf(principal);
    try {
      const names = (await fs.promises.readdir(source)).filter((name) => FORMULA_NAME.test(name));
      if (names.length === 0) return 0;
      await fs.promises.mkdir(dir, { mode: 0o755 });
      const now = new Date();
      for (const name of names) {
        await fs.promises.copyFile(path.join(source, name), path.join(dir, name), fs.constants.COPYFILE_EXCL);
        // Used now: the last to go when the cache is trimmed.
        await fs.promises.utimes(path.join(source, name), now, now);
      }
      return names.length;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.params.logger.warn('tex cache not seeded', { error: (error as Error).message });
      return 0;
    }
  }

  /**
   * Keeps the formulas a finished render left in its TeX directory, but for the names in `except` (what the render
   * was given from elsewhere, the shared glyphs). Call only once the worker is dead. Returns how many new ones were
   * kept. Never throws.
   */
  async collect(principal: string, tex: { root: string; relative: string }, except: ReadonlySet<string> = new Set()): Promise<number> {
    let kept = 0;
    try {
      const target = this.dirOf(principal);
      await fs.promises.mkdir(target, { recursive: true, mode: 0o700 });
      this.bytes ??= await this.countBytes();
      // Opened beneath the worker's directory with nothing followed: a TeX directory swapped for a link is empty.
      const formulas = await readFilesBeneath({
        ...tex,
        wanted: (name) => FORMULA_NAME.test(name) && !except.has(name),
        maxBytes: MAX_FORMULA_BYTES,
      });
      for (const { name, data } of formulas) {
        if (!(await writeNew(path.join(target, name), data))) continue;
        kept++;
        this.bytes += data.length;
      }
      if (this.bytes > this.params.maxBytes) await this.trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.params.logger.warn('tex cache not updated', { error: (error as Error).message });
    }
    return kept;
  }

  private dirOf(principal: string): string {
    return path.join(this.params.root, createHmac('sha256', this.key).update(principal).digest('hex').slice(0, 32));
  }

  private async countBytes(): Promise<number> {
    return (await this.files()).reduce((sum, f) => sum + f.bytes, 0);
  }

  /** Removes the least recently used formulas, of any principal, until the cache fits its bound. */
  private async trim(): Promise<void> {
    const files = await this.files();
    let total = files.reduce((sum, f) => sum + f.bytes, 0);
    files.sort((a, b) => a.usedAt - b.usedAt);
    for (const f of files) {
      if (total <= this.params.maxBytes) break;
      await fs.promises.rm(f.file, { force: true });
      total -= f.bytes;
    }
    this.bytes = total;
  }

  private async files(): Promise<Array<{ file: string; bytes: number; usedAt: number }>> {
    const files: Array<{ file: string; bytes: number; usedAt: number }> = [];
    for (const entry of await fs.promises.readdir(this.params.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = entry.name;
      for (const name of await fs.promises.readdir(path.join(this.params.root, dir))) {
        const file = path.join(this.params.root, dir, name);
        const stat = await fs.promises.stat(file);
        files.push({ file, bytes: stat.size, usedAt: stat.mtimeMs });
      }
    }
    return files;
  }
}

/** Writes a new file; false if the name is taken (the first file under a name stays). */
async function writeNew(file: string, data: Buffer): Promise<boolean> {
  return fs.promises.writeFile(file, data, { flag: 'wx', mode: 0o644 }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw error;
    },
  );
}

/** The key principal directories are named with: read from `file`, or made there at first start. */
function namingKey(file: string): Buffer {
  try {
    fs.writeFileSync(file, randomBytes(32), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = fs.readFileSync(file);
  if (key.length < 32) throw new Error('the TeX cache key is too short');
  return key;
}
