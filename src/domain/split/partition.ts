/** An inclusive range of animation indices (Manim's from/upto animation numbers: play and wait calls alike). */
export interface AnimationRange {
  from: number;
  upto: number;
  /** Seconds of video the range holds, from the plan. */
  seconds: number;
}

/**
 * Splits the animations into `k` contiguous ranges whose longest holds as few seconds of video as possible
 * (frames are most of the work), by dynamic programming over the prefix sums of the planned run times.
 * No range but the first may start after `latestStart`: the animations a range skips must all be safe to skip.
 */
export function partition(runTimes: number[], k: number, options: { latestStart?: number } = {}): AnimationRange[] {
  const n = runTimes.length;
  const latestStart = options.latestStart ?? n - 1;
  if (k < 1 || k > n || k - 1 > latestStart) throw new Error(`cannot split ${n} animations into ${k} ranges`);
  const prefix = [0];
  for (const t of runTimes) prefix.push(prefix.at(-1)! + t);
  const sum = (i: number, j: number) => prefix[j]! - prefix[i]!; // animations i..j-1
  // best[p][j]: the smallest possible longest range when the first j animations form p ranges.
  const best = Array.from({ length: k + 1 }, () => new Array<number>(n + 1).fill(Infinity));
  const cut = Array.from({ length: k + 1 }, () => new Array<number>(n + 1).fill(0));
  best[0]![0] = 0;
  for (let p = 1; p <= k; p++) {
    for (let j = p; j <= n; j++) {
      for (let i = p - 1; i < j && (p === 1 || i <= latestStart); i++) {
        const cost = Math.max(best[p - 1]![i]!, sum(i, j));
        if (cost < best[p]![j]!) {
          best[p]![j] = cost;
          cut[p]![j] = i;
        }
      }
    }
  }
  const ranges: AnimationRange[] = [];
  let j = n;
  for (let p = k; p >= 1; p--) {
    const i = cut[p]![j]!;
    ranges.unshift({ from: i, upto: j - 1, seconds: sum(i, j) });
    j = i;
  }
  return ranges;
}
