import type { BatchView } from '../../src/contracts/batch';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

jest.setTimeout(180_000);

let service: ServiceHarness;

beforeAll(async () => {
  service = await startService();
});

afterAll(async () => {
  await service.stop();
});

async function waitForBatch(id: string): Promise<BatchView> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const batch = (await (await service.request('GET', `/v1/batches/${id}`)).json()) as BatchView;
    if (['succeeded', 'failed', 'cancelled'].includes(batch.status)) return batch;
    if (Date.now() > deadline) throw new Error(JSON.stringify(batch));
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('batches', () => {
  it('fans inline items out into one job each, records rejected items, and counts per status', async () => {
    const body = {
      name: 'nightly',
      defaults: { quality: 'low' },
      items: [{ code: fixture('tiny.py') }, { code: fixture('syntax_error.py') }, { code: fixture('multi_scene.py'), scenes: ['PartTwo'] }],
    };
    const res = await service.request('POST', '/v1/batches', body, { 'idempotency-key': 'nightly-2026-11-21T02:00Z' });
    expect(res.status).toBe(202);
    const created = (await res.json()) as BatchView;
    expect(created.items.map((i) => i.index)).toEqual([0, 1, 2]);
    expect(created.items.map((i) => Boolean(i.jobId))).toEqual([true, false, true]);
    expect(created.items[1]!.status).toBe('failed');
    expect(created.items[1]!.error).toMatchObject({ code: 'syntax_error' });

    const done = await waitForBatch(created.id);
    expect(done.counts).toEqual({ queued: 0, rendering: 0, succeeded: 2, failed: 1, cancelled: 0 });
    expect(done.status).toBe('failed');
    expect(done.progress).toBe(1);
    const job = await service.job(done.items[0]!.jobId!);
    expect(job).toMatchObject({ status: 'succeeded', quality: 'low' });
    // What the batch cost is what its jobs cost.
    const other = await service.job(done.items[2]!.jobId!);
    expect(job.cost.instanceSeconds).toBeGreaterThan(0);
    expect(done.cost.instanceSeconds).toBeCloseTo(job.cost.instanceSeconds + other.cost.instanceSeconds, 2);
    expect(done.cost.cpuSeconds).toBeCloseTo(job.cost.cpuSeconds! + other.cost.cpuSeconds!, 2);
    expect(done.cost.estimatedUsd).toBeCloseTo(job.cost.estimatedUsd + other.cost.estimatedUsd, 9);

    // The scheduler fires twice for the same time: the second run creates nothing.
    const again = await service.request('POST', '/v1/batches', body, { 'idempotency-key': 'nightly-2026-11-21T02:00Z' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as BatchView).id).toBe(created.id);
    const changed = await service.request('POST', '/v1/batches', { ...body, name: 'other' }, { 'idempotency-key': 'nightly-2026-11-21T02:00Z' });
    expect(changed.status).toBe(422);
  });

  it('refuses a Cloud Storage source in local mode and a body with both or neither', async () => {
    const gcs = await service.request('POST', '/v1/batches', { source: { gcsPrefix: 'gs://bucket/scenes/' } });
    expect(gcs.status).toBe(400);
    expect(await gcs.json()).toMatchObject({ error: { code: 'source_unavailable' } });
    expect((await service.request('POST', '/v1/batches', { name: 'x' })).status).toBe(400);
    expect((await service.request('GET', '/v1/batches/nosuchbatch')).status).toBe(404);
  });

  it('returns the same job for a repeated render submit with the same Idempotency-Key', async () => {
    const body = { code: fixture('tiny.py'), quality: 'low' };
    const first = await service.request('POST', '/v1/renders', body, { 'idempotency-key': 'submit-1' });
    const second = await service.request('POST', '/v1/renders', body, { 'idempotency-key': 'submit-1' });
    expect([first.status, second.status]).toEqual([202, 200]);
    expect(((await first.json()) as { id: string }).id).toBe(((await second.json()) as { id: string }).id);
  });
});

describe('batches from Cloud Scheduler', () => {
  it('creates one batch per scheduled run, however often the run is delivered', async () => {
    const service = await startService({ WARM_WORKER: 'false' });
    try {
      const body = { items: [{ code: fixture('syntax_error.py') }] };
      const run = (time: string) => ({ 'x-cloudscheduler-jobname': 'projects/p/locations/l/jobs/nightly', 'x-cloudscheduler-scheduletime': time });
      const first = (await (await service.request('POST', '/v1/batches', body, run('2026-11-21T02:00:00Z'))).json()) as BatchView;
      const retried = await service.request('POST', '/v1/batches', body, run('2026-11-21T02:00:00Z'));
      expect(retried.status).toBe(200);
      expect(((await retried.json()) as BatchView).id).toBe(first.id);
      const nextNight = (await (await service.request('POST', '/v1/batches', body, run('2026-11-22T02:00:00Z'))).json()) as BatchView;
      expect(nextNight.id).not.toBe(first.id);
    } finally {
      await service.stop();
    }
  });
});
