import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../src/logging/create-logger';
import { TexCache } from '../../../src/renderer/tex-cache';

/** What the TeX cache keeps of a finished render, for whom, and what it hands the next render. */

const A = `${'a'.repeat(40)}.svg`;
const B = `${'b'.repeat(40)}.svg`;

let root: string;
let cache: TexCache;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tex-cache-'));
  cache = new TexCache({ root: path.join(root, 'cache'), maxBytes: 1024 * 1024, logger: createLogger({ level: 'silent' }) });
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A worker's directory whose render left `files` in its TeX directory (media/Tex), as collect is given it. */
function texDir(files: Record<string, string>): { root: string; relative: string; dir: string } {
  const workDir = fs.mkdtempSync(path.join(root, 'render-'));
  const dir = path.join(workDir, 'media', 'Tex');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return { root: workDir, relative: 'media/Tex', dir };
}

const seedDir = () => path.join(fs.mkdtempSync(path.join(root, 'worker-')), 'tex-seed');
const read = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, fs.readFileSync(path.join(dir, n), 'utf8')]));

describe('TexCache', () => {
  it("hands a principal's next render the formulas its renders compiled, and no one else", async () => {
    expect(await cache.collect('alice', texDir({ [A]: '<svg>a</svg>', 'x.tex': '\\frac', 'x.dvi': 'dvi', 'notes.svg': '<svg/>' }))).toBe(1);
    const alice = seedDir();
    expect(await cache.seed('alice', alice)).toBe(1);
    expect(read(alice)).toEqual({ [A]: '<svg>a</svg>' });
    const bob = seedDir();
    expect(await cache.seed('bob', bob)).toBe(0);
    expect(fs.existsSync(bob)).toBe(false);
  });

  it('leaves out the names it is told to (the shared glyphs a render started with)', async () => {
    expect(await cache.collect('alice', texDir({ [A]: '<svg>a</svg>', [B]: '<svg>glyph</svg>' }), new Set([B]))).toBe(1);
    const dir = seedDir();
    await cache.seed('alice', dir);
    expect(Object.keys(read(dir))).toEqual([A]);
  });

  it('keeps the first file under a name: a later render cannot replace it', async () => {
    await cache.collect('alice', texDir({ [A]: '<svg>first</svg>' }));
    expect(await cache.collect('alice', texDir({ [A]: '<svg>second</svg>', [B]: '<svg>b</svg>' }))).toBe(1);
    const dir = seedDir();
    await cache.seed('alice', dir);
    expect(read(dir)).toEqual({ [A]: '<svg>first</svg>', [B]: '<svg>b</svg>' });
  });

  it('takes no symlink, directory, FIFO or oversized file a scene left under a formula name', async () => {
    const secret = path.join(root, 'secret');
    fs.writeFileSync(secret, 'credentials');
    const tex = texDir({ [`${'c'.repeat(40)}.svg`]: 'x'.repeat(1024 * 1024 + 1) });
    fs.symlinkSync(secret, path.join(tex.dir, A));
    fs.mkdirSync(path.join(tex.dir, B));
    execFileSync('mkfifo', [path.join(tex.dir, `${'d'.repeat(40)}.svg`)]);
    expect(await cache.collect('alice', tex)).toBe(0);
    expect(await cache.seed('alice', seedDir())).toBe(0);
  });

  it("follows no TeX directory (or media directory) a scene swapped for a link into another principal's formulas", async () => {
    await cache.collect('alice', texDir({ [A]: '<svg>alice</svg>' }));
    const aliceDir = fs.readdirSync(path.join(root, 'cache'), { withFileTypes: true }).find((e) => e.isDirectory())!.name;
    const target = path.join(root, 'cache', aliceDir);

    const swappedTex = texDir({});
    fs.rmSync(swappedTex.dir, { recursive: true });
    fs.symlinkSync(target, swappedTex.dir);
    expect(await cache.collect('mallory', swappedTex)).toBe(0);

    const swappedMedia = texDir({});
    fs.rmSync(path.join(swappedMedia.root, 'media'), { recursive: true });
    fs.symlinkSync(path.dirname(target), path.join(swappedMedia.root, 'media'));
    expect(await cache.collect('mallory', { root: swappedMedia.root, relative: `media/${aliceDir}` })).toBe(0);
    expect(await cache.seed('mallory', seedDir())).toBe(0);
  });

  it("names a principal's directory by a keyed hash, not one anyone can compute from the name", async () => {
    await cache.collect('alice', texDir({ [A]: '<svg>a</svg>' }));
    const dirs = fs.readdirSync(path.join(root, 'cache'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).not.toBe(createHash('sha256').update('alice').digest('hex').slice(0, 32));
    // Another renderer (another key) names it otherwise; the same one, after a restart, the same.
    const again = new TexCache({ root: path.join(root, 'cache'), maxBytes: 1024 * 1024, logger: createLogger({ level: 'silent' }) });
    expect(await again.seed('alice', seedDir())).toBe(1);
    const other = new TexCache({ root: path.join(root, 'other'), maxBytes: 1024 * 1024, logger: createLogger({ level: 'silent' }) });
    await other.collect('alice', texDir({ [A]: '<svg>a</svg>' }));
    expect(fs.readdirSync(path.join(root, 'other'), { withFileTypes: true }).find((e) => e.isDirectory())!.name).not.toBe(dirs[0]);
  });

  it('stays within its bound, dropping the least recently used formulas first', async () => {
    const small = new TexCache({ root: path.join(root, 'small'), maxBytes: 250, logger: createLogger({ level: 'silent' }) });
    const names = ['1', '2', '3'].map((c) => `${c.repeat(40)}.svg`);
    await small.collect('alice', texDir({ [names[0]!]: 'x'.repeat(100) }));
    await new Promise((r) => setTimeout(r, 20));
    await small.collect('bob', texDir({ [names[1]!]: 'x'.repeat(100) }));
    await new Promise((r) => setTimeout(r, 20));
    await small.seed('alice', seedDir()); // alice's formula is used again: bob's is now the oldest
    await new Promise((r) => setTimeout(r, 20));
    await small.collect('carol', texDir({ [names[2]!]: 'x'.repeat(100) }));
    const [alice, bob, carol] = [seedDir(), seedDir(), seedDir()];
    expect([await small.seed('alice', alice), await small.seed('bob', bob), await small.seed('carol', carol)]).toEqual([1, 0, 1]);
  });
});
