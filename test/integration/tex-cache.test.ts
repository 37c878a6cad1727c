import fs from 'node:fs';
import path from 'node:path';
import { SqliteApiKeyStore } from '../../src/adapters/local/sqlite-api-key-store';
import { mintApiKey } from '../../src/auth/api-keys';
import type { JobView } from '../../src/contracts/job';
import { frameHashes } from '../support/frame-hashes';
import { fixture, startService, waitForGlyphCache, type ServiceHarness } from '../support/service-harness';

// Formulas a principal's renders compiled, kept for that principal's next renders, and for no one else's.
jest.setTimeout(240_000);

let service: ServiceHarness;
let otherKey: string;
let malloryKey: string;

beforeAll(async () => {
  // With the shared glyphs too, complete before the first render: they are copied into every render's TeX
  // directory, and are not the principal's to keep.
  service = await startService({ TEX_CACHE: 'true', GLYPH_CACHE: 'true' });
  await waitForGlyphCache(service);
  const keys = new SqliteApiKeyStore({ filePath: path.join(service.dataDir, 'api-keys.sqlite') });
  const minted = mintApiKey({ principal: 'someone-else', now: new Date() });
  await keys.putKey({ record: minted.record });
  const mallory = mintApiKey({ principal: 'mallory', now: new Date() });
  await keys.putKey({ record: mallory.record });
  keys.close();
  otherKey = minted.key;
  malloryKey = mallory.key;
});

afterAll(async () => {
  await service.stop();
});

async function render(headers: Record<string, string> = {}): Promise<string[]> {
  const res = await service.request('POST', '/v1/renders', { code: fixture('tex_equation.py'), quality: 'low' }, headers);
  expect(res.status).toBe(202);
  let job = (await res.json()) as JobView;
  const deadline = Date.now() + 180_000;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    job = (await (await service.request('GET', `/v1/renders/${job.id}`, undefined, headers)).json()) as JobView;
  }
  expect(job.status).toBe('succeeded');
  const video = await service.request('GET', new URL(job.scenes[0]!.output!.url, service.url).pathname, undefined, headers);
  const file = path.join(service.dataDir, `download-${job.id}.mp4`);
  fs.writeFileSync(file, Buffer.from(await video.arrayBuffer()));
  return frameHashes(file);
}

/** Renders `code` as the principal of `headers` and returns the job and its log. */
async function renderAs(code: string, headers: Record<string, string>): Promise<{ job: JobView; log: string }> {
  const res = await service.request('POST', '/v1/renders', { code, quality: 'low' }, headers);
  expect(res.status).toBe(202);
  let job = (await res.json()) as JobView;
  const deadline = Date.now() + 120_000;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    job = (await (await service.request('GET', `/v1/renders/${job.id}`, undefined, headers)).json()) as JobView;
  }
  const logs = await service.request('GET', `/v1/renders/${job.id}/scenes/${job.scenes[0]!.name}/logs`, undefined, headers);
  return { job, log: await logs.text() };
}

/** The cached formulas, per principal directory. */
function cached(): Record<string, string[]> {
  const root = path.join(service.dataDir, 'tex-cache');
  const dirs = fs.readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return Object.fromEntries(dirs.map(({ name }) => [name, fs.readdirSync(path.join(root, name)).sort()]));
}

describe('the TeX cache', () => {
  it("starts a principal's renders from the formulas its earlier renders compiled, and no one else's", async () => {
    const first = await render();
    const [[dir, formulas]] = Object.entries(cached()) as [[string, string[]]];
    expect(formulas.length).toBe(2); // one file per MathTex, the two equations; not the glyphs
    for (const name of formulas) expect(name).toMatch(/^[0-9a-f]{16,64}\.svg$/);

    // A second render with the cache as the first left it: the very same frames.
    expect(await render()).toEqual(first);

    // Only the service can write the cache; doing so here shows that renders read it rather than compile again,
    // and that another principal's render does not.
    const folder = path.join(service.dataDir, 'tex-cache', dir);
    for (const name of formulas) {
      const file = path.join(folder, name);
      // The same glyphs (so the formula's parts still match), slanted.
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/<path /g, '<path transform="skewX(20)" '));
    }
    const changed = await render();
    expect(changed.length).toBe(first.length);
    expect(changed).not.toEqual(first);
    const other = await render({ 'x-api-key': otherKey });
    expect(other).toEqual(first);
    expect(Object.keys(cached())).toHaveLength(2);
  });

  it("files none of another principal's formulas under a scene that swapped its TeX directory for a link to them", async () => {
    const before = cached();
    const [victimDir, victimFormulas] = Object.entries(before).find(([, names]) => names.length > 0)!;
    const victimPath = path.join(service.dataDir, 'tex-cache', victimDir);
    const attacker = { 'x-api-key': malloryKey };
    const code = fixture('attacks/tex_dir_swap.py').replace('OTHER_DIR = ""', `OTHER_DIR = ${JSON.stringify(victimPath)}`);
    const swap = await renderAs(code, attacker);
    expect(swap.log).toContain('ATTACK_RESULT planted');
    // The attacker's next render starts from what was filed under it: none of the victim's formulas.
    const listing = await renderAs(fixture('tex_seed_listing.py'), attacker);
    expect(listing.job.status).toBe('succeeded');
    for (const name of victimFormulas) expect(listing.log).not.toContain(name);
    // The principals of the test before hold the same formulas as their own; the attacker's directory none of them.
    for (const [dir, names] of Object.entries(cached())) {
      if (dir in before) continue;
      for (const name of victimFormulas) expect(names).not.toContain(name);
    }
  });
});
