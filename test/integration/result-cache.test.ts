import fs from 'node:fs';
import path from 'node:path';
import { SqliteApiKeyStore } from '../../src/adapters/local/sqlite-api-key-store';
import { mintApiKey } from '../../src/auth/api-keys';
import type { JobView } from '../../src/contracts/job';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

jest.setTimeout(120_000);

let service: ServiceHarness;

beforeAll(async () => {
  service = await startService({ RESULT_CACHE: 'true' });
});

afterAll(async () => {
  await service.stop();
});

async function submitAs(headers: Record<string, string>, body: Record<string, unknown>): Promise<JobView> {
  const res = await service.request('POST', '/v1/renders', body, headers);
  expect(res.status).toBe(202);
  return (await res.json()) as JobView;
}

describe('the result cache', () => {
  it('answers an identical submit at once with the earlier output, per principal, and forgets it when its job is deleted', async () => {
    const body = { code: fixture('tiny.py'), quality: 'low' };
    const first = await service.waitFor((await service.submit(body)).id);
    expect(first.status).toBe('succeeded');

    const hit = await service.submit(body);
    expect(hit.status).toBe('succeeded');
    expect(hit.scenes[0]).toMatchObject({ status: 'succeeded', cacheHit: true, attempts: 0 });
    const a = fs.readFileSync(await service.download(first, 'TinyCircle'));
    const b = fs.readFileSync(await service.download(hit, 'TinyCircle'));
    expect(b.equals(a)).toBe(true);

    // Another quality, or another principal, is another render.
    expect((await service.submit({ ...body, quality: 'medium' })).status).toBe('queued');
    const keys = new SqliteApiKeyStore({ filePath: path.join(service.dataDir, 'api-keys.sqlite') });
    const { key, record } = mintApiKey({ principal: 'someone-else', now: new Date() });
    await keys.putKey({ record });
    keys.close();
    const other = await submitAs({ 'x-api-key': key }, body);
    expect(other.scenes[0]?.cacheHit).toBeUndefined();

    // Deleting the job that rendered it ends the entry, and the copy made for the hit survives.
    expect((await service.request('DELETE', `/v1/renders/${first.id}`)).status).toBe(204);
    const after = await service.submit(body);
    expect(after.scenes[0]?.cacheHit).toBeUndefined();
    expect(fs.readFileSync(await service.download(hit, 'TinyCircle')).equals(a)).toBe(true);
    await service.waitFor(after.id);
  });
});

describe('identical renders in flight', () => {
  it('renders once for two identical submits made while the first is still rendering', async () => {
    // Two renders at a time, as two renderer instances would: the second delivery finds the first rendering.
    const parallel = await startService({ RESULT_CACHE: 'true', RENDER_CONCURRENCY: '2' });
    try {
      const body = { code: fixture('long_timeline.py'), quality: 'low' };
      const first = await parallel.submit(body);
      await parallel.waitFor(first.id, (j) => j.status === 'rendering');
      const second = await parallel.submit(body);
      expect(second.status).toBe('queued');
      const [a, b] = await Promise.all([parallel.waitFor(first.id), parallel.waitFor(second.id)]);
      expect(a.scenes[0]).toMatchObject({ status: 'succeeded' });
      expect(a.scenes[0]?.cacheHit).toBeUndefined();
      expect(b.scenes[0]).toMatchObject({ status: 'succeeded', cacheHit: true });
      // The follower finished only once the render it shared had.
      expect(b.scenes[0]!.finishedAt! >= a.scenes[0]!.finishedAt!).toBe(true);
      const bytes = async (job: JobView) => fs.readFileSync(await parallel.download(job, 'LongTimeline'));
      expect((await bytes(b)).equals(await bytes(a))).toBe(true);
    } finally {
      await parallel.stop();
    }
  });
});
