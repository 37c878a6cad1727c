import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { readFileBeneath } from './untrusted/read-beneath';
import type { WarmWorkerPool } from './worker/warm-worker-pool';

/** What a manifest may name: Manim's TeX file names (a hash) with the SVG suffix, in the TeX directory. */
const GLYPH_NAME = /^Tex\/[0-9a-f]{16,64}\.svg$/;
const MAX_GLYPHS = 64;
const MAX_GLYPH_BYTES = 256 * 1024;
const MAX_MANIFEST_BYTES = 64 * 1024;

/**
 * The TeX glyphs numbers are written with (digits, sign, point, separator), compiled once when the renderer starts
 * and shared read-only with every render: a `DecimalNumber` then costs no `latex` + `dvisvgm` run per character.
 *
 * Safe to share because nothing a user sends goes into it: a worker of its own compiles a fixed set of characters
 * with Manim's default template before any scene runs, the service copies the files it lists out of that worker's
 * directory once the worker is dead (regular files only, named as Manim names them, sizes capped), and sandboxes
 * see the directory read-only. A render copies the files into its own TeX directory; what it does there stays
 * its own.
 */
export class GlyphCache {
  private held: ReadonlySet<string> = new Set();
  private state: { ok: boolean; detail: string } = { ok: true, detail: 'not started' };

  constructor(
    private readonly params: {
      dir: string;
      /** Where sandboxes see `dir` (the same path by default). */
      insideDir?: string;
      pool: Pick<WarmWorkerPool, 'startOneOff'>;
      logger: Logger;
    },
  ) {}

  /**
   * Empties (or makes) the directory: the glyphs are rebuilt at each start, as they follow the installed Manim and
   * TeX. Call before the first sandbox is launched, which binds the directory.
   */
  static prepare(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  }

  /** The directory to hand a render (as sandboxes see it), once it holds glyphs. */
  get readyDir(): string | undefined {
    return this.held.size > 0 ? (this.params.insideDir ?? this.params.dir) : undefined;
  }

  /** The names of the glyphs it holds (none until it is ready). */
  get names(): ReadonlySet<string> {
    return this.held;
  }

  /**
   * For readiness: always ok, as renders compile their own glyphs without it, with what it holds or why not. The
   * directory fills one file at a time; this says when it is complete.
   */
  get status(): { ok: boolean; detail: string } {
    return this.state;
  }

  /** Compiles the glyphs in a sandboxed worker and copies them in. Never throws: without glyphs, renders compile their own. */
  async build(): Promise<number> {
    const log = this.params.logger.child({ component: 'glyph-cache' });
    this.state = { ok: true, detail: 'building' };
    const leased = this.params.pool.startOneOff('glyphs');
    try {
      const outcome = await leased.worker.run({ job: { mode: 'glyphs', quality: 'low', outputDir: path.join(leased.jobDir, 'media') }, timeoutSeconds: 120 });
      if (outcome.kind !== 'result') {
        const message = outcome.kind === 'error' ? outcome.error.message : outcome.kind;
        log.warn('glyph cache not built', { outcome: outcome.kind, message });
        this.state = { ok: true, detail: `not built: ${message}` };
        return 0;
      }
      // The worker is dead: nothing can change its directory while the files are read.
      const root = leased.workDir;
      const manifest = await readFileBeneath({ root, relative: path.posix.join('media', outcome.file), maxBytes: MAX_MANIFEST_BYTES });
      const names = JSON.parse(manifest.toString('utf8')) as unknown;
      if (!Array.isArray(names) || names.length > MAX_GLYPHS) throw new Error('the manifest is not a list of glyphs');
      // Every file is read before any is written: the directory holds all of the glyphs or none.
      const glyphs: Array<{ name: string; data: Buffer }> = [];
      for (const name of names) {
        if (typeof name !== 'string' || !GLYPH_NAME.test(name)) throw new Error(`not a glyph file: ${String(name).slice(0, 80)}`);
        const data = await readFileBeneath({ root, relative: path.posix.join('media', name), maxBytes: MAX_GLYPH_BYTES }).catch((error: Error) => {
          throw new Error(`${name}: ${error.message}`);
        });
        glyphs.push({ name: path.basename(name), data });
      }
      for (const glyph of glyphs) await fs.promises.writeFile(path.join(this.params.dir, glyph.name), glyph.data, { flag: 'wx', mode: 0o644 });
      this.held = new Set(glyphs.map((glyph) => glyph.name));
      this.state = { ok: true, detail: `${names.length} glyphs` };
      log.info('glyph cache built', { glyphs: names.length });
      return names.length;
    } catch (error) {
      log.warn('glyph cache not built', { error: (error as Error).message });
      this.state = { ok: true, detail: `not built: ${(error as Error).message}` };
      return 0;
    } finally {
      await leased.release();
    }
  }
}
