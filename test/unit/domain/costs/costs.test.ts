import { estimateUsd, usageRecord, type Pricing } from '../../../../src/domain/costs/price-table';
import { jobCost, NO_COST, sceneCost, sumCosts } from '../../../../src/domain/costs/scene-cost';
import type { ResourceUsage } from '../../../../src/domain/costs/resource-usage';
import type { SceneRecord } from '../../../../src/domain/job';

const pricing: Pricing = { prices: { pricedAt: '2026-12-06', vcpuSecondUsd: 0.000024, gibSecondUsd: 0.0000025 }, instance: { vcpus: 2, memoryGiB: 4 } };

const usage = (fields: Partial<ResourceUsage>): ResourceUsage => ({
  cpuSeconds: 1,
  wallSeconds: 1,
  peakMemoryBytes: 100,
  instanceSeconds: 1,
  estimatedUsd: 0.000058,
  pricedAt: '2026-12-06',
  ...fields,
});

const scene = (fields: Partial<SceneRecord>): SceneRecord => ({ name: 'S', status: 'succeeded', progress: 1, attempts: 1, updatedAt: 'x', ...fields });

describe('what a render is estimated to cost', () => {
  it('prices the instance it held: vCPUs and memory for its seconds, billed in steps of 100 ms', () => {
    // 2 vCPU × $0.000024 + 4 GiB × $0.0000025 = $0.000058 a second.
    expect(estimateUsd(10, pricing)).toBeCloseTo(0.00058, 12);
    expect(estimateUsd(10.01, pricing)).toBeCloseTo(10.1 * 0.000058, 12);
    expect(estimateUsd(0.1, pricing)).toBeCloseTo(0.0000058, 12);
    expect(estimateUsd(10, { ...pricing, prices: { ...pricing.prices, vcpuSecondUsd: 0.000018 } })).toBeCloseTo(10 * (2 * 0.000018 + 4 * 0.0000025), 12);
  });

  it('records what the sandbox measured, the render and instance seconds, and the date of the prices', () => {
    const record = usageRecord({ sandbox: { cpuSeconds: 3.21049, peakMemoryBytes: 600 << 20 }, wallSeconds: 2.5, instanceSeconds: 2.7, pricing });
    expect(record).toEqual({ cpuSeconds: 3.21, wallSeconds: 2.5, peakMemoryBytes: 600 << 20, instanceSeconds: 2.7, estimatedUsd: estimateUsd(2.7, pricing), pricedAt: '2026-12-06' });
    // Unsandboxed, nothing measured CPU or memory; an instance is held at least as long as its render.
    expect(usageRecord({ sandbox: undefined, wallSeconds: 3, instanceSeconds: 2, pricing })).toMatchObject({ cpuSeconds: null, peakMemoryBytes: null, instanceSeconds: 3 });
  });
});

describe('what a scene, a job and a batch cost', () => {
  it('sums a split scene: its parts and their join; the peak is the largest', () => {
    const split = scene({
      usage: usage({ cpuSeconds: 0.5, wallSeconds: 0.4, instanceSeconds: 0.6, peakMemoryBytes: 50, estimatedUsd: 0.1 }),
      split: {
        parts: [
          { from: 0, upto: 3, seconds: 10, animations: 4, rendered: { blobKey: 'a', logKey: 'a', renderSeconds: 5, usage: usage({ cpuSeconds: 9, wallSeconds: 5, instanceSeconds: 5.5, peakMemoryBytes: 700, estimatedUsd: 0.2 }) } },
          { from: 4, upto: null, seconds: 10, animations: 4, rendered: { blobKey: 'b', logKey: 'b', renderSeconds: 6, usage: usage({ cpuSeconds: 10, wallSeconds: 6, instanceSeconds: 6.5, peakMemoryBytes: 650, estimatedUsd: 0.3, pricedAt: '2026-12-07' }) } },
        ],
      },
    });
    expect(sceneCost(split)).toEqual({ cpuSeconds: 19.5, wallSeconds: 11.4, peakMemoryBytes: 700, instanceSeconds: 12.6, estimatedUsd: 0.6, pricedAt: '2026-12-07' });
  });

  it('counts a cache hit and a scene not rendered yet as nothing', () => {
    expect(sceneCost(scene({ cacheHit: true, usage: usage({}) }))).toEqual(NO_COST);
    expect(sceneCost(scene({ status: 'queued' }))).toEqual(NO_COST);
  });

  it('sums a job over its scenes, and keeps CPU unknown only where nothing measured it', () => {
    const job = { scenes: [scene({ usage: usage({ cpuSeconds: 2 }) }), scene({ usage: usage({ cpuSeconds: null, peakMemoryBytes: null }) }), scene({ cacheHit: true })] };
    expect(jobCost(job)).toMatchObject({ cpuSeconds: 2, wallSeconds: 2, instanceSeconds: 2, peakMemoryBytes: 100 });
    expect(sumCosts([usage({ cpuSeconds: null, peakMemoryBytes: null })])).toMatchObject({ cpuSeconds: null, peakMemoryBytes: null, wallSeconds: 1 });
  });
});
