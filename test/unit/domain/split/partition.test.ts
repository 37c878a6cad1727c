import { partition, type AnimationRange } from '../../../../src/domain/split/partition';

const longest = (ranges: AnimationRange[]) => Math.max(...ranges.map((r) => r.seconds));

/** The smallest possible longest range, by trying every way to cut `runTimes` into `k` ranges. */
function bruteForceLongest(runTimes: number[], k: number, latestStart = runTimes.length - 1): number {
  let best = Infinity;
  const cuts = (starts: number[], next: number): void => {
    if (starts.length === k) {
      const bounds = [...starts, runTimes.length];
      const sums = starts.map((s, i) => runTimes.slice(s, bounds[i + 1]).reduce((a, b) => a + b, 0));
      best = Math.min(best, Math.max(...sums));
      return;
    }
    for (let s = next; s <= Math.min(latestStart, runTimes.length - (k - starts.length)); s++) cuts([...starts, s], s + 1);
  };
  cuts([0], 1);
  return best;
}

/** A deterministic sequence of small whole-second run times, so failures reproduce. */
function runTimesFrom(seed: number, n: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 48271) % 2147483647; // Park–Miller: exact in doubles
    return 1 + (x % 7);
  });
}

function expectContiguousCover(ranges: AnimationRange[], runTimes: number[]): void {
  expect(ranges[0]!.from).toBe(0);
  for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.from).toBe(ranges[i - 1]!.upto + 1);
  expect(ranges.at(-1)!.upto).toBe(runTimes.length - 1);
  for (const r of ranges) {
    expect(r.upto).toBeGreaterThanOrEqual(r.from);
    expect(r.seconds).toBe(runTimes.slice(r.from, r.upto + 1).reduce((a, b) => a + b, 0));
  }
}

describe('partition', () => {
  it('cuts the animations into k contiguous ranges covering 0..n-1, each upto inclusive', () => {
    const runTimes = [1, 2, 3, 4, 5, 6];
    const ranges = partition(runTimes, 3);
    expect(ranges).toHaveLength(3);
    expectContiguousCover(ranges, runTimes);
  });

  it('gives one range of everything when k is 1, and one animation per range when k is n', () => {
    expect(partition([2, 3, 4], 1)).toEqual([{ from: 0, upto: 2, seconds: 9 }]);
    expect(partition([2, 3, 4], 3)).toEqual([
      { from: 0, upto: 0, seconds: 2 },
      { from: 1, upto: 1, seconds: 3 },
      { from: 2, upto: 2, seconds: 4 },
    ]);
  });

  it('balances by seconds, not by count: long animations at the ends get ranges of their own', () => {
    // An even split by count ([5,1] [1,1] [1,5]) would make the longest range 6; the best is 5.
    expect(partition([5, 1, 1, 1, 1, 5], 3)).toEqual([
      { from: 0, upto: 0, seconds: 5 },
      { from: 1, upto: 4, seconds: 4 },
      { from: 5, upto: 5, seconds: 5 },
    ]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('makes the longest range as short as any cut can (seed %i)', (seed) => {
    const runTimes = runTimesFrom(seed, 4 + (seed % 5));
    for (let k = 1; k <= runTimes.length; k++) {
      const ranges = partition(runTimes, k);
      expect(ranges).toHaveLength(k);
      expectContiguousCover(ranges, runTimes);
      expect(longest(ranges)).toBe(bruteForceLongest(runTimes, k));
    }
  });

  it('starts no range but the first after latestStart, still covering every animation', () => {
    const runTimes = [1, 1, 1, 1, 1, 1];
    // Unconstrained, the best cut is [0,1] [2,3] [4,5]; with no start after 2 it has to be [0] [1] [2..5].
    expect(partition(runTimes, 3)).toEqual([
      { from: 0, upto: 1, seconds: 2 },
      { from: 2, upto: 3, seconds: 2 },
      { from: 4, upto: 5, seconds: 2 },
    ]);
    const ranges = partition(runTimes, 3, { latestStart: 2 });
    expectContiguousCover(ranges, runTimes);
    expect(ranges.slice(1).every((r) => r.from <= 2)).toBe(true);
    expect(ranges).toEqual([
      { from: 0, upto: 0, seconds: 1 },
      { from: 1, upto: 1, seconds: 1 },
      { from: 2, upto: 5, seconds: 4 },
    ]);
  });

  it.each([1, 2, 3, 4, 5, 6])('is still optimal under a latestStart (seed %i)', (seed) => {
    const runTimes = runTimesFrom(seed, 8);
    const latestStart = 1 + (seed % 4);
    for (let k = 1; k <= latestStart + 1; k++) {
      const ranges = partition(runTimes, k, { latestStart });
      expectContiguousCover(ranges, runTimes);
      expect(ranges.slice(1).every((r) => r.from <= latestStart)).toBe(true);
      expect(longest(ranges)).toBe(bruteForceLongest(runTimes, k, latestStart));
    }
  });

  it('refuses more ranges than animations', () => {
    expect(() => partition([1, 2], 3)).toThrow('cannot split 2 animations into 3 ranges');
  });

  it('refuses more ranges than latestStart leaves starts for', () => {
    // Ranges 2 and 3 would both have to start at 1.
    expect(() => partition([1, 1, 1, 1], 3, { latestStart: 1 })).toThrow('cannot split 4 animations into 3 ranges');
    expect(partition([1, 1, 1, 1], 2, { latestStart: 1 })).toHaveLength(2);
  });

  it('refuses fewer than one range', () => {
    expect(() => partition([1, 2], 0)).toThrow();
  });
});
