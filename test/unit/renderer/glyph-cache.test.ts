import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../src/logging/create-logger';
import { GlyphCache } from '../../../src/renderer/glyph-cache';
import type { LeasedWorker } from '../../../src/renderer/worker/warm-worker-pool';
import type { WorkerOutcome, WorkerProcess } from '../../../src/renderer/worker/worker-process';

/** What the service takes from the glyph worker's directory, and what it refuses, with a scripted worker. */

const GLYPH_A = `${'a'.repeat(16)}.svg`;
const GLYPH_B = `${'b'.repeat(16)}.svg`;

let root: string;
let cacheDir: string;
let workDir: string;
let released: boolean;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'glyph-cache-'));
  cacheDir = path.join(root, 'glyphs');
  workDir = path.join(root, 'worker');
  fs.mkdirSync(path.join(workDir, 'media', 'Tex'), { recursive: true });
  GlyphCache.prepare(cacheDir);
  released = false;
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A cache whose worker, when run, writes `files` (relative to its media directory) and ends with `outcome`. */
function cacheWith(files: Record<string, string>, outcome: WorkerOutcome): GlyphCache {
  const worker = {
    run: async () => {
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(workDir, 'media', name), text);
      return outcome;
    },
  } as unknown as WorkerProcess;
  const leased: LeasedWorker = {
    worker,
    workDir,
    jobDir: workDir,
    release: async () => {
      released = true;
    },
  };
  return new GlyphCache({ dir: cacheDir, pool: { startOneOff: () => leased }, logger: createLogger({ level: 'silent' }) });
}

const manifest = (names: string[]) => ({ 'glyphs.json': JSON.stringify(names) });
const result: WorkerOutcome = { kind: 'result', file: 'glyphs.json' };

describe('GlyphCache', () => {
  it('copies the glyphs its manifest lists and says how many it holds', async () => {
    const cache = cacheWith({ [`Tex/${GLYPH_A}`]: '<svg>a</svg>', [`Tex/${GLYPH_B}`]: '<svg>b</svg>', ...manifest([`Tex/${GLYPH_A}`, `Tex/${GLYPH_B}`]) }, result);
    expect(cache.status.detail).toBe('not started');
    expect(cache.readyDir).toBeUndefined();
    const building = cache.build();
    expect(cache.status).toEqual({ ok: true, detail: 'building' });
    expect(await building).toBe(2);
    expect(cache.status).toEqual({ ok: true, detail: '2 glyphs' });
    expect(cache.readyDir).toBe(cacheDir);
    expect(fs.readdirSync(cacheDir).sort()).toEqual([GLYPH_A, GLYPH_B]);
    expect(fs.readFileSync(path.join(cacheDir, GLYPH_B), 'utf8')).toBe('<svg>b</svg>');
    expect(released).toBe(true);
  });

  it('is not built, and says why, when the worker fails', async () => {
    const cache = cacheWith({}, { kind: 'error', error: { type: 'error', kind: 'no_output', message: 'the glyphs could not be compiled: no latex' } });
    expect(await cache.build()).toBe(0);
    expect(cache.status).toEqual({ ok: true, detail: 'not built: the glyphs could not be compiled: no latex' });
    expect(cache.readyDir).toBeUndefined();
    expect(released).toBe(true);
  });

  it.each([
    ['a name outside the TeX directory', [`../${GLYPH_A}`]],
    ['a name that is not a glyph hash', ['Tex/extra.svg']],
    ['not a list', { 'Tex/x.svg': true }],
    ['a good glyph, then a bad name', [`Tex/${GLYPH_A}`, 'Tex/extra.svg']],
  ])('refuses a manifest with %s and copies nothing', async (_label, names) => {
    const cache = cacheWith({ [`Tex/${GLYPH_A}`]: '<svg/>', 'Tex/extra.svg': '<svg/>', 'glyphs.json': JSON.stringify(names) }, result);
    expect(await cache.build()).toBe(0);
    expect(cache.status.detail).toMatch(/^not built: /);
    expect(cache.readyDir).toBeUndefined();
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });

  it('refuses a listed glyph that is a symlink, whatever it points at', async () => {
    const secret = path.join(root, 'secret.txt');
    fs.writeFileSync(secret, 'not for renders');
    fs.symlinkSync(secret, path.join(workDir, 'media', 'Tex', GLYPH_A));
    const cache = cacheWith(manifest([`Tex/${GLYPH_A}`]), result);
    expect(await cache.build()).toBe(0);
    expect(cache.status.detail).toMatch(/^not built: /);
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });
});
