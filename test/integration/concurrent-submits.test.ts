import type { JobView } from '../../src/contracts/job';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

// Submits that race each other through the real service: the active-scenes quota and idempotency keys must hold
// for requests that arrive together, not only one after another.
jest.setTimeout(120_000);

const QUOTA = 7;
let service: ServiceHarness;

beforeAll(async () => {
  service = await startService({ QUOTA_ACTIVE_SCENES: String(QUOTA), QUOTA_SUBMITS_PER_MINUTE: '1000' });
});

afterAll(async () => {
  await service.stop();
});

async function cancelAll(ids: string[]): Promise<void> {
  for (const id of ids) await service.request('POST', `/v1/renders/${id}/cancel`);
  for (const id of ids) await service.waitFor(id);
}

describe('concurrent submits', () => {
  it('lets no more scenes past the active-scenes quota than it allows, however many submits arrive at once', async () => {
    // Three scenes per job: 15 jobs at once would be 45 scenes against a quota of 7.
    const code = fixture('multi_scene.py');
    const answers = await Promise.all(Array.from({ length: 15 }, () => service.request('POST', '/v1/renders', { code, quality: 'low' })));
    const accepted = answers.filter((res) => res.status === 202);
    const refused = answers.filter((res) => res.status === 429);
    expect(accepted.length + refused.length).toBe(15);
    expect(accepted.length).toBe(2); // 2 × 3 = 6 ≤ 7 < 9
    for (const res of refused) expect(((await res.json()) as { error: { code: string } }).error.code).toBe('quota_exceeded');
    const jobs = await Promise.all(accepted.map(async (res) => (await res.json()) as JobView));
    await cancelAll(jobs.map((job) => job.id));
  });

  it('answers every one of many identical submits with one Idempotency-Key with the same job, and makes one', async () => {
    const body = { code: fixture('tiny.py'), quality: 'low' };
    const headers = { 'idempotency-key': `race-${Date.now()}` };
    const answers = await Promise.all(Array.from({ length: 8 }, () => service.request('POST', '/v1/renders', body, headers)));
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(7);
    const ids = new Set(await Promise.all(answers.map(async (res) => ((await res.json()) as JobView).id)));
    expect(ids.size).toBe(1);
    const listed = (await (await service.request('GET', '/v1/renders?pageSize=100')).json()) as { jobs: JobView[] };
    expect(listed.jobs.filter((job) => ids.has(job.id))).toHaveLength(1);
    const [id] = [...ids];
    expect((await service.waitFor(id!)).status).toBe('succeeded');
  });

  it('refuses a file with more scenes than a job may render before looking any of them up', async () => {
    const classes = Array.from({ length: 2000 }, (_, i) => `class S${i}(Scene):\n    def construct(self):\n        pass\n`).join('\n');
    const res = await service.request('POST', '/v1/renders', { code: `from manim import *\n\n${classes}`, quality: 'low' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'too_many_scenes', details: { scenes: 2000, limit: 100 } } });
  });
});
