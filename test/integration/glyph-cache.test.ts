import fs from 'node:fs';
import path from 'node:path';
import type { JobView } from '../../src/contracts/job';
import { frameHashes } from '../support/frame-hashes';
import { fixture, glyphCacheDetail, startService, waitForGlyphCache, type ServiceHarness } from '../support/service-harness';

// The TeX glyphs of numbers, compiled once when the renderer starts and shared read-only with every render.
jest.setTimeout(240_000);

let cached: ServiceHarness;
let uncached: ServiceHarness;
let glyphDir: string;

function glyphs(): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(glyphDir).sort().map((name) => [name, fs.readFileSync(path.join(glyphDir, name), 'utf8')]));
}

async function render(service: ServiceHarness, code: string): Promise<JobView> {
  const submitted = await service.submit({ code, quality: 'low' });
  return service.waitFor(submitted.id, undefined, 180_000);
}

beforeAll(async () => {
  [cached, uncached] = await Promise.all([startService({ GLYPH_CACHE: 'true' }), startService({ GLYPH_CACHE: 'false' })]);
  glyphDir = path.join(cached.dataDir, 'glyphs');
  await waitForGlyphCache(cached);
});

afterAll(async () => {
  await Promise.all([cached?.stop(), uncached?.stop()]);
});

describe('the glyph cache', () => {
  it('holds the SVG of every character a number is written with, and nothing else', async () => {
    const names = Object.keys(glyphs());
    expect(await glyphCacheDetail(cached)).toBe(`${names.length} glyphs`);
    // 0-9, +, -, the point, the thousands separator, the ellipsis.
    expect(names.length).toBeGreaterThanOrEqual(14);
    for (const name of names) expect(name).toMatch(/^[0-9a-f]{16,64}\.svg$/);
    for (const svg of Object.values(glyphs())) expect(svg).toContain('<svg');
  });

  it('renders numbers with the very frames of a render that compiles its own glyphs', async () => {
    const [withCache, without] = await Promise.all([render(cached, fixture('counter.py')), render(uncached, fixture('counter.py'))]);
    expect(withCache.status).toBe('succeeded');
    expect(without.status).toBe('succeeded');
    const [a, b] = await Promise.all([frameHashes(await cached.download(withCache, 'Counter')), frameHashes(await uncached.download(without, 'Counter'))]);
    expect(a.length).toBeGreaterThan(0);
    expect(a).toEqual(b);
  });

  it('cannot be changed by a scene, which sees it read-only', async () => {
    const before = glyphs();
    const code = [
      'import os',
      'from manim import *',
      '',
      'class Poison(Scene):',
      '    def construct(self):',
      // Where sandboxes see the cache (bound read-only at a path of its own).
      '        folder = "/shared/glyphs"',
      '        outcomes = []',
      '        for name in os.listdir(folder):',
      '            for attempt in (lambda p: open(p, "w").write("<svg/>"), os.remove):',
      '                try:',
      '                    attempt(os.path.join(folder, name))',
      '                    outcomes.append("changed " + name)',
      '                except OSError as error:',
      '                    outcomes.append(type(error).__name__)',
      '        try:',
      '            open(os.path.join(folder, "extra.svg"), "w").write("<svg/>")',
      '            outcomes.append("added")',
      '        except OSError as error:',
      '            outcomes.append(type(error).__name__)',
      '        print("outcomes:", outcomes, flush=True)',
      '        if any(o.startswith(("changed", "added")) for o in outcomes) or not outcomes:',
      '            raise RuntimeError("the glyph cache is writable: " + ", ".join(outcomes))',
      '        self.add(Dot())',
      '        self.wait(0.2)',
      '',
    ].join('\n');
    const job = await render(cached, code);
    expect(job.scenes[0]).toMatchObject({ status: 'succeeded' });
    const log = await (await cached.request('GET', `/v1/renders/${job.id}/scenes/Poison/logs`)).text();
    // Each write, removal and addition was refused by the file system (read-only), none carried out.
    expect(log).toMatch(/^outcomes: \['OSError'(, 'OSError')+\]$/m);
    expect(glyphs()).toEqual(before);
  });

  it('is what renders start from: a glyph changed by the service shows in the next render', async () => {
    // Only the service can write the directory; doing so here shows the render reads it rather than compiling.
    const names = Object.keys(glyphs());
    const first = fs.readFileSync(path.join(glyphDir, names[0]!), 'utf8');
    for (const name of names) fs.writeFileSync(path.join(glyphDir, name), first);
    const [withCache, without] = await Promise.all([render(cached, fixture('counter.py')), render(uncached, fixture('counter.py'))]);
    expect(withCache.status).toBe('succeeded');
    const [a, b] = await Promise.all([frameHashes(await cached.download(withCache, 'Counter')), frameHashes(await uncached.download(without, 'Counter'))]);
    expect(a.length).toBe(b.length);
    expect(a).not.toEqual(b);
  });
});
