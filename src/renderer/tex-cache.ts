import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';

/** Manim names a compiled formula after a hash of its whole TeX file (template and expression): the key. */
const FORMULA_NAME = /^[0-9a-f]{16,64}\.svg$/;
const MAX_FORMULA_BYTES = 1024 * 1024;

/**
 * Formulas a principal's renders compiled (`latex` + `dvisvgm`, about 0.3 s each), kept for that principal's next
 * renders on this renderer: a scene re-rendered with other timings, or another scene using the same formulas,
 * starts with them in its TeX directory and Manim does not compile them again.
 *
 * Kept per principal because the files were written inside a render, by a process that ran the principal's code: a
 * scene could store anything under a formula's name, and that must reach no one else. A principal can only spoil
 * its own later renders, as it could by sending other code. Files are taken once the worker is dead (nothing can
 * change them while they are checked), only regular files named as Manim names them, each size-capped; the whole
 * cache is bounded, least recently used first out.
 */
export class TexCache {
  /** Bytes held, for all principals: counted once from the disk, then kept up to date; trimming recounts. */
  private bytes: number | undefined;

  constructor(private readonly params: { root: string; maxBytes: number; logger: Logger }) {
    fs.mkdirSync(params.root, { recursive: true, mode: 0o700 });
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
  async collect(principal: string, texDir: string, except: ReadonlySet<string> = new Set()): Promise<number> {
    let kept = 0;
    try {
      const target = this.dirOf(principal);
      await fs.promises.mkdir(target, { recursive: true, mode: 0o700 });
      this.bytes ??= await this.countBytes();
      for (const name of await fs.promises.readdir(texDir)) {
        if (!FORMULA_NAME.test(name) || except.has(name)) continue;
        const copied = await copyRegularFile(path.join(texDir, name), path.join(target, name));
        if (copied === undefined) continue;
        kept++;
        this.bytes += copied;
      }
      if (this.bytes > this.params.maxBytes) await this.trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.params.logger.warn('tex cache not updated', { error: (error as Error).message });
    }
    return kept;
  }

  private dirOf(principal: string): string {
    return path.join(this.params.root, createHash('sha256').update(principal).digest('hex').slice(0, 32));
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
    for (const dir of await fs.promises.readdir(this.params.root)) {
      for (const name of await fs.promises.readdir(path.join(this.params.root, dir))) {
        const file = path.join(this.params.root, dir, name);
        const stat = await fs.promises.stat(file);
        files.push({ file, bytes: stat.size, usedAt: stat.mtimeMs });
      }
    }
    return files;
  }
}

/**
 * Copies `from` to a new file `to` if it is a regular file (not followed if a symlink; a FIFO does not block) under
 * the size cap; the check and the copy read the same descriptor. Returns the bytes copied, or undefined if it did
 * not copy (also when `to` exists: the first file under a name stays).
 */
async function copyRegularFile(from: string, to: string): Promise<number | undefined> {
  const source = await fs.promises.open(from, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK).catch(() => undefined);
  if (!source) return undefined;
  try {
    const stat = await source.stat();
    if (!stat.isFile() || stat.size > MAX_FORMULA_BYTES) return undefined;
    const data = await source.readFile();
    if (data.length > MAX_FORMULA_BYTES) return undefined;
    const written = await fs.promises.writeFile(to, data, { flag: 'wx', mode: 0o644 }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      },
    );
    return written ? data.length : undefined;
  } finally {
    await source.close();
  }
}
