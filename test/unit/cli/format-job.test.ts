import type { JobView, SceneView } from '../../../src/client';
import { formatCost, formatJob, sceneMaking, sceneOutcome } from '../../../src/cli/format-job';

const NO_COST = { cpuSeconds: 0, wallSeconds: 0, peakMemoryBytes: 0, instanceSeconds: 0, estimatedUsd: 0 };
const scene = (fields: Partial<SceneView>): SceneView => ({ name: 'Intro', status: 'succeeded', progress: 1, attempts: 1, cost: NO_COST, ...fields });

describe('how the CLI tells how a scene was made', () => {
  it('says nothing of a scene rendered whole in one piece', () => {
    expect(sceneMaking(scene({}))).toBe('');
  });

  it('names a reused render, a split and a fallback with its reason', () => {
    expect(sceneMaking(scene({ cacheHit: true }))).toBe('reused an identical earlier render');
    expect(sceneMaking(scene({ split: { parts: 3 } }))).toBe('split into 3 parts');
    expect(sceneMaking(scene({ split: { parts: 3, fallbackReason: "the scene's state differs" } }))).toBe("rendered whole: the scene's state differs");
  });

  it('puts it on the scene line of a job', () => {
    const job: JobView = {
      id: 'j1', status: 'succeeded', progress: 1, quality: 'low', format: 'mp4', timeoutSeconds: 60, metadata: {},
      scenes: [scene({ name: 'Long', split: { parts: 2 } }), scene({ name: 'Short' })],
      cost: NO_COST,
      createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z',
    };
    const lines = formatJob(job).split('\n');
    expect(lines[1]).toMatch(/^ {2}Long +succeeded +split into 2 parts$/);
    expect(lines[2]).toMatch(/^ {2}Short +succeeded$/);
  });

  it('says how much of a rendering scene can be watched live already', () => {
    const live = { playlistUrl: '/v1/renders/j1/scenes/Intro/live.m3u8', ended: false };
    expect(sceneOutcome(scene({ status: 'rendering', progress: 0.42, live: { ...live, segments: 3 } }))).toBe('42%  3 animations live');
    expect(sceneOutcome(scene({ status: 'rendering', progress: 0.1, live: { ...live, segments: 1 } }))).toBe('10%  1 animation live');
    expect(sceneOutcome(scene({ status: 'rendering', progress: 0, live: { ...live, segments: 0 } }))).toBe('0%');
  });

  it('says what each scene and the job cost, with the date of the prices', () => {
    const long = { cpuSeconds: 21.44, wallSeconds: 12.06, peakMemoryBytes: 640 * 1024 * 1024, instanceSeconds: 12.31, estimatedUsd: 0.000719, pricedAt: '2026-12-06' };
    const job: JobView = {
      id: 'j1', status: 'succeeded', progress: 1, quality: 'high', format: 'mp4', timeoutSeconds: 60, metadata: {},
      scenes: [scene({ name: 'Long', cost: long }), scene({ name: 'Reused', cacheHit: true })],
      cost: long,
      createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z',
    };
    const lines = formatJob(job).split('\n');
    expect(lines[1]).toMatch(/^ {2}Long +succeeded +21\.4 CPU s, 12\.1 s rendering, 12\.3 instance s, peak 640 MiB, ~\$0\.00072$/);
    expect(lines[2]).toMatch(/^ {2}Reused +succeeded +reused an identical earlier render$/);
    expect(lines[3]).toBe('  cost: 21.4 CPU s, 12.1 s rendering, 12.3 instance s, peak 640 MiB, ~$0.00072 (Cloud Run prices of 2026-12-06)');
    expect(formatCost({ ...long, cpuSeconds: null, peakMemoryBytes: null })).toBe('12.1 s rendering, 12.3 instance s, ~$0.00072');
  });
});
