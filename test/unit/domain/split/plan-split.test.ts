import { formatSchema } from '../../../../src/contracts/quality';
import { canSplitFormat, planSplit, type SplitPolicy } from '../../../../src/domain/split/plan-split';

const policy: SplitPolicy = { maxParts: 4, minSceneSeconds: 10, minPartSeconds: 3 };
const times = (n: number, seconds: number) => new Array<number>(n).fill(seconds);

describe('planSplit', () => {
  it('renders whole when splitting is switched off (maxParts below 2)', () => {
    expect(planSplit({ runTimes: times(10, 3), timeBasedFrom: null }, { ...policy, maxParts: 1 })).toEqual({ kind: 'whole' });
    expect(planSplit({ runTimes: times(10, 3), timeBasedFrom: null }, { ...policy, maxParts: 0 })).toEqual({ kind: 'whole' });
  });

  it('renders whole a scene with less video than minSceneSeconds', () => {
    expect(planSplit({ runTimes: times(5, 1.9), timeBasedFrom: null }, policy)).toEqual({ kind: 'whole' });
  });

  it('renders whole when fewer than two parts of minPartSeconds fit', () => {
    // 11 seconds is a long enough scene, but holds only one part of 6.
    expect(planSplit({ runTimes: [3, 3, 3, 2], timeBasedFrom: null }, { ...policy, minPartSeconds: 6 })).toEqual({ kind: 'whole' });
  });

  it('renders whole a long scene of a single animation', () => {
    expect(planSplit({ runTimes: [60], timeBasedFrom: null }, policy)).toEqual({ kind: 'whole' });
  });

  it.each([
    ['maxParts', times(10, 3), { ...policy, maxParts: 4 }, 4],
    ['the number of animations', [10, 10, 10], { ...policy, maxParts: 8 }, 3],
    ['the parts of minPartSeconds that fit', times(10, 1.5), { ...policy, maxParts: 8, minPartSeconds: 5 }, 3],
  ])('splits into as many ranges as %s allows', (_limit, runTimes, splitPolicy, parts) => {
    const decision = planSplit({ runTimes, timeBasedFrom: null }, splitPolicy);
    if (decision.kind !== 'split') throw new Error(`expected a split, got ${JSON.stringify(decision)}`);
    expect(decision.ranges).toHaveLength(parts);
    expect(decision.ranges[0]!.from).toBe(0);
    expect(decision.ranges.at(-1)!.upto).toBe(runTimes.length - 1);
    for (let i = 1; i < parts; i++) expect(decision.ranges[i]!.from).toBe(decision.ranges[i - 1]!.upto + 1);
    expect(decision.ranges.reduce((sum, r) => sum + r.seconds, 0)).toBe(runTimes.reduce((a, b) => a + b, 0));
  });

  it('balances the ranges by seconds of video', () => {
    expect(planSplit({ runTimes: [8, 1, 1, 1, 1, 1, 1, 1, 1], timeBasedFrom: null }, { ...policy, maxParts: 2 })).toEqual({
      kind: 'split',
      ranges: [
        { from: 0, upto: 0, seconds: 8 },
        { from: 1, upto: 8, seconds: 8 },
      ],
    });
  });

  it('declines a long scene with a dt updater from its first animation, saying why', () => {
    const decision = planSplit({ runTimes: times(10, 3), timeBasedFrom: 0 }, policy);
    expect(decision).toEqual({ kind: 'declined', reason: expect.stringMatching(/time-based \(dt\) updater/) });
  });

  it('does not bother declining a scene too short to split anyway', () => {
    expect(planSplit({ runTimes: times(3, 1), timeBasedFrom: 0 }, policy)).toEqual({ kind: 'whole' });
  });

  it('starts no range after the animation a dt updater appears at', () => {
    const decision = planSplit({ runTimes: times(10, 2), timeBasedFrom: 3 }, { ...policy, maxParts: 8, minPartSeconds: 2 });
    if (decision.kind !== 'split') throw new Error(`expected a split, got ${JSON.stringify(decision)}`);
    // Eight parts were wanted, but only animations 1, 2 and 3 are safe to start at: four parts.
    expect(decision.ranges).toHaveLength(4);
    expect(decision.ranges.every((r) => r.from <= 3)).toBe(true);
    expect(decision.ranges.at(-1)!.upto).toBe(9);
  });

  it('splits in two when the dt updater appears at the second animation', () => {
    const decision = planSplit({ runTimes: times(10, 3), timeBasedFrom: 1 }, policy);
    expect(decision).toEqual({
      kind: 'split',
      ranges: [
        { from: 0, upto: 0, seconds: 3 },
        { from: 1, upto: 9, seconds: 27 },
      ],
    });
  });
});

describe('planSplit on a forged plan', () => {
  it('plans 100,000 animations (the most a plan message may carry) in bounded time, with valid contiguous ranges', () => {
    const runTimes = times(100_000, 0.01);
    const decision = planSplit({ runTimes, timeBasedFrom: null }, { maxParts: 8, minSceneSeconds: 30, minPartSeconds: 8 });
    if (decision.kind !== 'split') throw new Error(`expected a split, got ${JSON.stringify(decision)}`);
    expect(decision.ranges).toHaveLength(8);
    expect(decision.ranges[0]!.from).toBe(0);
    expect(decision.ranges.at(-1)!.upto).toBe(99_999);
    for (const [i, range] of decision.ranges.entries()) if (i > 0) expect(range.from).toBe(decision.ranges[i - 1]!.upto + 1);
    // (Unbounded, the quadratic partition takes minutes on this input, past the test's time limit.)
  });

  it('keeps every cut of a grouped plan at or before the animation a dt updater appears at', () => {
    const decision = planSplit({ runTimes: times(5000, 0.02), timeBasedFrom: 2500 }, { maxParts: 8, minSceneSeconds: 30, minPartSeconds: 8 });
    if (decision.kind !== 'split') throw new Error(`expected a split, got ${JSON.stringify(decision)}`);
    expect(decision.ranges.every((r) => r.from <= 2500)).toBe(true);
    expect(decision.ranges.at(-1)!.upto).toBe(4999);
  });

  it('declines a grouped plan whose dt updater appears before the first cut could fall', () => {
    expect(planSplit({ runTimes: times(5000, 0.02), timeBasedFrom: 2 }, { maxParts: 8, minSceneSeconds: 30, minPartSeconds: 8 })).toMatchObject({ kind: 'declined' });
  });
});

describe('canSplitFormat', () => {
  it.each(formatSchema.options)('says whether %s files can be joined', (format) => {
    expect(canSplitFormat(format)).toBe(format === 'mp4' || format === 'webm');
  });
});
