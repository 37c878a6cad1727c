import type { JobView, SceneView } from '../../src/contracts/job';
import { storedScene } from '../support/job-record';
import { frameHashes } from '../support/frame-hashes';
import { ffprobe, fixture, type ServiceHarness } from '../support/service-harness';
import { startWholeAndSplit } from '../support/whole-and-split';

// Split rendering against the real thing: each scene rendered whole by one service and in animation ranges by
// another, both real Manim at low quality; the two movies must decode to the same frames.
jest.setTimeout(300_000);

let whole: ServiceHarness;
let split: ServiceHarness;

beforeAll(async () => {
  ({ whole, split } = await startWholeAndSplit());
});

afterAll(async () => {
  await Promise.all([whole?.stop(), split?.stop()]);
});

async function renderBoth(file: string): Promise<{ whole: JobView; split: JobView }> {
  const body = { code: fixture(file), quality: 'low' };
  const [a, b] = await Promise.all([whole.submit(body), split.submit(body)]);
  const [doneWhole, doneSplit] = await Promise.all([whole.waitFor(a.id, undefined, 240_000), split.waitFor(b.id, undefined, 240_000)]);
  return { whole: doneWhole, split: doneSplit };
}

function sceneOf(job: JobView, name: string): SceneView {
  const scene = job.scenes.find((s) => s.name === name);
  if (!scene) throw new Error(`no scene ${name} in ${JSON.stringify(job)}`);
  return scene;
}

async function expectSameFrames(jobs: { whole: JobView; split: JobView }, scene: string): Promise<void> {
  expect(sceneOf(jobs.whole, scene)).toMatchObject({ status: 'succeeded' });
  expect(sceneOf(jobs.split, scene)).toMatchObject({ status: 'succeeded' });
  const [a, b] = await Promise.all([frameHashes(await whole.download(jobs.whole, scene)), frameHashes(await split.download(jobs.split, scene))]);
  expect(b.length).toBe(a.length);
  expect(b.length).toBeGreaterThan(0);
  expect(b).toEqual(a);
}

describe('split rendering', () => {
  it('renders long_timeline.py in three parts, joined into the very frames of the whole render', async () => {
    const jobs = await renderBoth('long_timeline.py');
    const scene = sceneOf(jobs.split, 'LongTimeline');
    expect(scene.split).toEqual({ parts: 3 });
    expect(sceneOf(jobs.whole, 'LongTimeline').split).toBeUndefined();
    await expectSameFrames(jobs, 'LongTimeline');
    const probe = await ffprobe(await split.download(jobs.split, 'LongTimeline'));
    expect(probe).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    expect(probe.durationSeconds).toBeCloseTo(21.7, 0);

    // Its cost is every part's and the join's: each part's worker imports Manim and replays the scene to its range.
    const stored = storedScene(split.dataDir, jobs.split.id, 'LongTimeline');
    const usages = [...stored.split!.parts.map((part) => part.rendered!.usage!), stored.usage!];
    expect(usages.every((usage) => usage.cpuSeconds! > 0 && usage.instanceSeconds >= usage.wallSeconds)).toBe(true);
    expect(scene.cost.cpuSeconds).toBeCloseTo(usages.reduce((sum, usage) => sum + usage.cpuSeconds!, 0), 2);
    expect(scene.cost.instanceSeconds).toBeCloseTo(usages.reduce((sum, usage) => sum + usage.instanceSeconds, 0), 2);
    expect(scene.cost.cpuSeconds).toBeGreaterThan(sceneOf(jobs.whole, 'LongTimeline').cost.cpuSeconds!);
  });

  it.each([
    ['tiny.py', ['TinyCircle']],
    ['text_transform.py', ['TitleSwap']],
    ['tex_equation.py', ['EulerSteps']],
    ['multi_scene.py', ['PartOne', 'PartTwo', 'PartThree']],
    ['camera_and_3d.py', ['ZoomOnDot', 'SpinningCube']],
    ['random_colors.py', ['RandomTiles']],
  ])('renders %s split with the frames of the whole render', async (file, scenes) => {
    const jobs = await renderBoth(file);
    for (const name of scenes) {
      const scene = sceneOf(jobs.split, name);
      expect(scene.split?.fallbackReason).toBeUndefined();
      expect(scene.split?.parts).toBeGreaterThanOrEqual(2);
      await expectSameFrames(jobs, name);
    }
  });

  it('does not split a scene whose dt updater runs from its first animation, and says why', async () => {
    const jobs = await renderBoth('dt_updater.py');
    const scene = sceneOf(jobs.split, 'SpinningWithDt');
    expect(scene.split).toEqual({ parts: 0, fallbackReason: expect.stringMatching(/time-based \(dt\) updater/) });
    await expectSameFrames(jobs, 'SpinningWithDt');
  });

  it('falls back to a whole render when the parts disagree where they meet, and says where', async () => {
    const jobs = await renderBoth('frame_counter.py');
    const scene = sceneOf(jobs.split, 'FrameCounter');
    expect(scene.split?.parts).toBeGreaterThanOrEqual(2);
    expect(scene.split?.fallbackReason).toMatch(/scene's state differs where part \d ends and part \d starts \(after animation \d+\): mobjects/);
    await expectSameFrames(jobs, 'FrameCounter');
  });
});
