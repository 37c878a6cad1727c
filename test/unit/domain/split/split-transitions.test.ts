import type { SceneBoundary, ScenePart, SceneRecord, StoredOutput } from '../../../../src/domain/job';
import { cancelTransition, claimTransition, finishTransition } from '../../../../src/domain/scene-transitions';
import type { AnimationRange } from '../../../../src/domain/split/partition';
import {
  allPartsRendered,
  declineSplitTransition,
  fallBackTransition,
  finishStitchTransition,
  partProgressTransition,
  recordPartTransition,
  startSplitTransition,
} from '../../../../src/domain/split/split-transitions';
import { LEASE_MS, T0, at, queuedScene, renderingScene } from '../scene-fixtures';

/** Three ranges of equal length; the plan counted ten animations. */
const RANGES: AnimationRange[] = [
  { from: 0, upto: 2, seconds: 4 },
  { from: 3, upto: 5, seconds: 4 },
  { from: 6, upto: 9, seconds: 4 },
];
/** The scene's state after the animations where RANGES meet, as the parts describe it. */
const STATE_AFTER: Record<number, Record<string, string>> = { 2: { mobjects: 'm2', camera: 'c' }, 5: { mobjects: 'm5', camera: 'c' } };

const OUTPUT: StoredOutput = { blobKey: 'jobs/j/Intro/Intro.mp4', contentType: 'video/mp4', bytes: 10, durationSeconds: 12, width: 854, height: 480 };


/** A scene whose holder chose, at 1s, to render it in RANGES. */
function splitScene(): SceneRecord {
  const scene = startSplitTransition(renderingScene(), { token: 'held', ranges: RANGES, now: at(1000) });
  if (!scene) throw new Error('setup: the split was refused');
  return scene;
}

/** What part `index` of RANGES reports when rendered, agreeing with its neighbours unless told otherwise. */
function renderedPart(index: number, override: { start?: SceneBoundary } = {}): NonNullable<ScenePart['rendered']> {
  const before = RANGES[index - 1]?.upto;
  const after = index < RANGES.length - 1 ? RANGES[index]!.upto : undefined;
  return {
    blobKey: `jobs/j/Intro/part-${index}.mp4`,
    logKey: `jobs/j/Intro/part-${index}.log`,
    renderSeconds: 3,
    ...(before !== undefined && { start: { after: before, fingerprint: { ...STATE_AFTER[before]! } } }),
    ...(after !== undefined && { end: { after, fingerprint: { ...STATE_AFTER[after]! } } }),
    ...override,
  };
}

function record(scene: SceneRecord, index: number, now = at(2000 + index)): SceneRecord | null {
  return recordPartTransition(scene, { index, rendered: renderedPart(index), now });
}

/** splitScene with every part recorded, in order. */
function allRecorded(): SceneRecord {
  return RANGES.reduce<SceneRecord>((scene, _r, i) => record(scene, i)!, splitScene());
}

describe('startSplitTransition', () => {
  it('hands the render over to the parts: no lease, progress 0, one part per range', () => {
    const next = startSplitTransition(renderingScene(), { token: 'held', ranges: RANGES, now: at(1000) })!;
    expect(next).toEqual({
      name: 'Intro',
      status: 'rendering',
      progress: 0,
      attempts: 1,
      startedAt: T0.toISOString(),
      updatedAt: at(1000).toISOString(),
      split: {
        parts: [
          { from: 0, upto: 2, seconds: 4, animations: 3 },
          { from: 3, upto: 5, seconds: 4, animations: 3 },
          // The last part renders to the end of the scene, whatever the plan counted.
          { from: 6, upto: null, seconds: 4, animations: 4 },
        ],
      },
    });
    expect('lease' in next).toBe(false);
  });

  it('needs the lease token', () => {
    expect(startSplitTransition(renderingScene(), { token: 'stale', ranges: RANGES, now: at(1000) })).toBeNull();
    expect(startSplitTransition(queuedScene(), { token: 'held', ranges: RANGES, now: at(1000) })).toBeNull();
  });

  it('refuses a scene that already has a split, even a declined one whose lease is still held', () => {
    const declined = declineSplitTransition(renderingScene(), { token: 'held', reason: 'no', now: at(500) })!;
    expect(startSplitTransition(declined, { token: 'held', ranges: RANGES, now: at(1000) })).toBeNull();
    expect(startSplitTransition(splitScene(), { token: 'held', ranges: RANGES, now: at(1500) })).toBeNull();
  });
});

describe('declineSplitTransition', () => {
  it('keeps the lease, so the holder renders it whole, and records why', () => {
    const scene = renderingScene();
    const next = declineSplitTransition(scene, { token: 'held', reason: 'a dt updater', now: at(500) })!;
    expect(next).toEqual({ ...scene, split: { parts: [], fallback: 'a dt updater' }, updatedAt: at(500).toISOString() });
    expect(next.lease).toEqual(scene.lease);
    expect(finishTransition(next, { token: 'held', outcome: { status: 'succeeded', output: OUTPUT }, now: at(900) })?.status).toBe('succeeded');
  });

  it('needs the lease token and a scene with no split yet', () => {
    expect(declineSplitTransition(renderingScene(), { token: 'stale', reason: 'r', now: at(500) })).toBeNull();
    const declined = declineSplitTransition(renderingScene(), { token: 'held', reason: 'first', now: at(500) })!;
    expect(declineSplitTransition(declined, { token: 'held', reason: 'second', now: at(600) })).toBeNull();
  });
});

describe('recordPartTransition', () => {
  it('records a rendered part and the progress the parts made, below 1', () => {
    const next = record(splitScene(), 1, at(2000))!;
    expect(next.split!.parts[1]!.rendered).toEqual(renderedPart(1));
    expect(next.split!.parts.filter((p) => p.rendered)).toHaveLength(1);
    expect(next.progress).toBeCloseTo(0.3);
    expect(next).toMatchObject({ status: 'rendering', updatedAt: at(2000).toISOString() });
    expect(next.split!.fallback).toBeUndefined();
  });

  it('leaves some progress to the join, even with every part recorded', () => {
    const done = allRecorded();
    expect(done.progress).toBeGreaterThan(0.3 * 2);
    expect(done.progress).toBeLessThan(1);
    expect(done.status).toBe('rendering');
    expect(allPartsRendered(done)).toBe(true);
  });

  it('records a part once: the first record wins', () => {
    const once = record(splitScene(), 0)!;
    const again = recordPartTransition(once, { index: 0, rendered: { ...renderedPart(0), blobKey: 'other.mp4' }, now: at(3000) });
    expect(again).toBeNull();
  });

  it('refuses a part the split does not have', () => {
    for (const index of [3, -1]) {
      expect(recordPartTransition(splitScene(), { index, rendered: renderedPart(2), now: at(2000) })).toBeNull();
    }
  });

  it('refuses a scene that is not being rendered in parts', () => {
    expect(record(renderingScene(), 0)).toBeNull();
    expect(record(declineSplitTransition(renderingScene(), { token: 'held', reason: 'r', now: at(500) })!, 0)).toBeNull();
  });

  it('refuses a cancelled scene', () => {
    const cancelled = cancelTransition(splitScene(), { now: at(1500) })!;
    expect(record(cancelled, 0)).toBeNull();
  });

  it('refuses a scene that already fell back to a whole render', () => {
    const fallenBack = fallBackTransition(record(splitScene(), 0)!, { reason: 'part 2 failed', now: at(2500) })!;
    expect(record(fallenBack, 1)).toBeNull();
  });

  it('falls back to a whole render when the new part disagrees with a rendered neighbour', () => {
    const first = record(splitScene(), 0)!;
    const disagreeing = renderedPart(1, { start: { after: 2, fingerprint: { ...STATE_AFTER[2]!, mobjects: 'different' } } });
    const next = recordPartTransition(first, { index: 1, rendered: disagreeing, now: at(3000) })!;
    expect(next).toMatchObject({ status: 'queued', progress: 0, updatedAt: at(3000).toISOString() });
    expect(next.split!.fallback).toMatch(/mobjects/);
    expect('lease' in next).toBe(false);
    // A whole render may take it now.
    expect('scene' in claimTransition(next, { token: 'next', leaseMs: LEASE_MS, now: at(3001) })).toBe(true);
  });

  it('checks a part against the neighbour after it too', () => {
    const last = record(splitScene(), 2)!;
    const disagreeing = { ...renderedPart(1), end: { after: 5, fingerprint: { ...STATE_AFTER[5]!, camera: 'moved' } } };
    expect(recordPartTransition(last, { index: 1, rendered: disagreeing, now: at(3000) })!.split!.fallback).toMatch(/camera/);
  });
});

describe('partProgressTransition', () => {
  it('records how far a part has come, weighed by its seconds into the scene\'s progress', () => {
    const next = partProgressTransition(splitScene(), { index: 1, progress: 0.5, now: at(2000) })!;
    expect(next.split!.parts[1]!.progress).toBe(0.5);
    expect(next.progress).toBeCloseTo(0.15); // half of a third of the parts' 0.9
  });

  it('never goes back, and is dropped once the part is recorded', () => {
    const half = partProgressTransition(splitScene(), { index: 1, progress: 0.5, now: at(2000) })!;
    expect(partProgressTransition(half, { index: 1, progress: 0.2, now: at(2500) })!.split!.parts[1]!.progress).toBe(0.5);
    const recorded = record(half, 1, at(3000))!;
    expect(recorded.split!.parts[1]!.progress).toBeUndefined();
    expect(recorded.progress).toBeCloseTo(0.3);
    expect(partProgressTransition(recorded, { index: 1, progress: 0.9, now: at(3500) })).toBeNull();
  });

  it('refuses a scene that is not being rendered in parts', () => {
    expect(partProgressTransition(renderingScene(), { index: 0, progress: 0.5, now: at(2000) })).toBeNull();
  });
});

describe('finishStitchTransition', () => {
  const stitched = { output: OUTPUT, logKey: 'jobs/j/Intro/stitch.log' };

  it('refuses until every part is rendered', () => {
    let scene = splitScene();
    expect(finishStitchTransition(scene, { ...stitched, now: at(5000) })).toBeNull();
    for (const index of [0, 1]) {
      scene = record(scene, index)!;
      expect(finishStitchTransition(scene, { ...stitched, now: at(5000) })).toBeNull();
    }
  });

  it('then records the joined movie: succeeded, progress 1, output and finish time', () => {
    const next = finishStitchTransition(allRecorded(), { ...stitched, now: at(5000) })!;
    expect(next).toMatchObject({
      status: 'succeeded',
      progress: 1,
      output: OUTPUT,
      logKey: 'jobs/j/Intro/stitch.log',
      finishedAt: at(5000).toISOString(),
      updatedAt: at(5000).toISOString(),
    });
    expect(finishStitchTransition(next, { ...stitched, now: at(6000) })).toBeNull();
  });

  it('refuses a scene rendered whole', () => {
    expect(finishStitchTransition(renderingScene(), { ...stitched, now: at(5000) })).toBeNull();
    expect(finishStitchTransition(declineSplitTransition(renderingScene(), { token: 'held', reason: 'r', now: T0 })!, { ...stitched, now: at(5000) })).toBeNull();
  });

  it('refuses parts that fell back, and a cancelled scene', () => {
    const done = allRecorded();
    expect(finishStitchTransition(fallBackTransition(done, { reason: 'join failed', now: at(4000) })!, { ...stitched, now: at(5000) })).toBeNull();
    expect(finishStitchTransition(cancelTransition(done, { now: at(4000) })!, { ...stitched, now: at(5000) })).toBeNull();
  });
});

describe('fallBackTransition', () => {
  it('queues the scene for a whole render, keeping the parts and saying why', () => {
    const scene = record(splitScene(), 0)!;
    const next = fallBackTransition(scene, { reason: 'part 2 cannot be rendered', now: at(4000) })!;
    expect(next).toMatchObject({ status: 'queued', progress: 0, attempts: 1, updatedAt: at(4000).toISOString() });
    expect(next.split).toEqual({ parts: scene.split!.parts, fallback: 'part 2 cannot be rendered' });
  });

  it('refuses a terminal scene', () => {
    const succeeded = finishStitchTransition(allRecorded(), { output: OUTPUT, logKey: 'l', now: at(5000) })!;
    expect(fallBackTransition(succeeded, { reason: 'late', now: at(6000) })).toBeNull();
    expect(fallBackTransition(cancelTransition(splitScene(), { now: at(1500) })!, { reason: 'late', now: at(6000) })).toBeNull();
  });

  it('refuses a scene not being rendered in parts, or one that already fell back', () => {
    expect(fallBackTransition(renderingScene(), { reason: 'r', now: at(4000) })).toBeNull();
    const fallenBack = fallBackTransition(splitScene(), { reason: 'first', now: at(4000) })!;
    expect(fallBackTransition(fallenBack, { reason: 'second', now: at(4001) })).toBeNull();
  });
});
