import type { JobView, SceneView } from '../../src/contracts/job';
import { DEFAULT_PRICES, estimateUsd } from '../../src/domain/costs/price-table';
import { storedScene } from '../support/job-record';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

// What each render cost, from real renders in the real sandbox: the supervisor's measure of the whole sandbox
// tree, the render's and the instance's seconds, and the estimate from the configured prices.
jest.setTimeout(300_000);

let service: ServiceHarness;
const PRICES = { COST_VCPU_SECOND_USD: '0.00002', COST_GIB_SECOND_USD: '0.000002', COST_PRICED_AT: '2026-11-30' };

beforeAll(async () => {
  service = await startService({ RESULT_CACHE: 'true', RENDERER_VCPUS: '2', RENDERER_MEMORY_GIB: '4', ...PRICES });
});

afterAll(async () => {
  await service?.stop();
});

const pricing = { prices: { pricedAt: '2026-11-30', vcpuSecondUsd: 0.00002, gibSecondUsd: 0.000002 }, instance: { vcpus: 2, memoryGiB: 4 } };

function expectConsistent(cost: SceneView['cost']): void {
  expect(cost.wallSeconds).toBeGreaterThan(0);
  expect(cost.instanceSeconds).toBeGreaterThanOrEqual(cost.wallSeconds);
  expect(cost.pricedAt).toBe('2026-11-30');
}

describe('what a render cost', () => {
  it("carries each scene's CPU, memory, render and instance seconds and the estimate, summed for the job", async () => {
    const job = await service.waitFor((await service.submit({ code: fixture('multi_scene.py'), quality: 'low' })).id);
    expect(job.status).toBe('succeeded');
    for (const scene of job.scenes) {
      const { cost } = scene;
      expectConsistent(cost);
      // Python and Manim's import alone take most of a CPU second; a low-quality scene's worker peaks far above 50 MiB.
      expect(cost.cpuSeconds).toBeGreaterThan(0.5);
      expect(cost.peakMemoryBytes).toBeGreaterThan(50 * 1024 * 1024);
      expect(cost.peakMemoryBytes).toBeLessThan(4 * 1024 ** 3);
      // Billed in 100-ms steps of the configured 2 vCPU / 4 GiB at the configured prices.
      expect(cost.estimatedUsd).toBeCloseTo(estimateUsd(cost.instanceSeconds, pricing), 9);
      // What is stored is what is shown.
      expect(storedScene(service.dataDir, job.id, scene.name).usage).toMatchObject({ cpuSeconds: cost.cpuSeconds, instanceSeconds: cost.instanceSeconds });
    }
    const sum = (pick: (s: SceneView) => number) => job.scenes.reduce((total, s) => total + pick(s), 0);
    expect(job.cost.cpuSeconds).toBeCloseTo(sum((s) => s.cost.cpuSeconds!), 2);
    expect(job.cost.instanceSeconds).toBeCloseTo(sum((s) => s.cost.instanceSeconds), 2);
    expect(job.cost.estimatedUsd).toBeCloseTo(sum((s) => s.cost.estimatedUsd), 9);
    expect(job.cost.peakMemoryBytes).toBe(Math.max(...job.scenes.map((s) => s.cost.peakMemoryBytes!)));
  });

  it('counts CPU spent outside the worker: a waited-for child and an orphaned grandchild spinning until the end', async () => {
    const job = await service.waitFor((await service.submit({ code: fixture('attacks/hidden_cpu.py'), quality: 'low' })).id);
    expect(job.status).toBe('succeeded');
    const { cost } = job.scenes[0]!;
    expectConsistent(cost);
    // The child's second, and the grandchild spinning from the start of the scene to the sandbox's end (the 1.5-s
    // sleep and the render at least): well over the 2.5 s, where the worker alone would have used under 1.5 s.
    expect(cost.cpuSeconds).toBeGreaterThan(3);
  });

  it('counts a cache hit at zero', async () => {
    const body = { code: fixture('tiny.py'), quality: 'low' };
    const first = await service.waitFor((await service.submit(body)).id);
    expect(first.cost.instanceSeconds).toBeGreaterThan(0);
    const hit: JobView = await service.submit(body);
    expect(hit.scenes[0]).toMatchObject({ cacheHit: true, cost: { cpuSeconds: 0, wallSeconds: 0, peakMemoryBytes: 0, instanceSeconds: 0, estimatedUsd: 0 } });
    expect(hit.cost.estimatedUsd).toBe(0);
  });

  it('defaults to the dated price table', () => {
    expect(DEFAULT_PRICES.pricedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(DEFAULT_PRICES.vcpuSecondUsd).toBeGreaterThan(0);
  });
});
