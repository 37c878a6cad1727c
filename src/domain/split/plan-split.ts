import type { OutputFormat } from '../../contracts/quality';
import { partition, type AnimationRange } from './partition';

/** When a scene is worth splitting, and into how many parts at most. */
export interface SplitPolicy {
  /** Parts at most; below 2, nothing is split. */
  maxParts: number;
  /** Scenes with less video than this render whole: a part's fixed cost would outweigh its share. */
  minSceneSeconds: number;
  /** Seconds of video a part should hold at least: the number of parts follows from it. */
  minPartSeconds: number;
}

/** What the worker's plan pass found (python/manim_worker/render.py). */
export interface ScenePlan {
  runTimes: number[];
  /** The first animation during or before which a `dt` updater was in the scene; no part may start after it. */
  timeBasedFrom: number | null;
  /** add_sound calls the scene made: its sound is mixed over the whole timeline, which no part holds. */
  sounds?: number;
}

export type SplitDecision =
  | { kind: 'whole' }
  /** Long enough to split, but it cannot be split safely: rendered whole, and this says why. */
  | { kind: 'declined'; reason: string }
  | { kind: 'split'; ranges: AnimationRange[] };

/** Formats whose files join losslessly with a stream copy. */
const SPLITTABLE_FORMATS: ReadonlySet<OutputFormat> = new Set(['mp4', 'webm']);

export function canSplitFormat(format: OutputFormat): boolean {
  return SPLITTABLE_FORMATS.has(format);
}

/**
 * Decides from a scene's plan whether to render it in animation ranges. A range is balanced by seconds of video,
 * the plan's estimate of its cost; parts hold at least `minPartSeconds` each.
 */
export function planSplit(plan: ScenePlan, policy: SplitPolicy): SplitDecision {
  const total = plan.runTimes.reduce((a, b) => a + b, 0);
  const wanted = Math.min(policy.maxParts, plan.runTimes.length, Math.floor(total / Math.max(policy.minPartSeconds, 1e-9)));
  if (policy.maxParts < 2 || total < policy.minSceneSeconds || wanted < 2) return { kind: 'whole' };
  if (plan.sounds) {
    return { kind: 'declined', reason: `the scene adds sound (${plan.sounds} add_sound call${plan.sounds === 1 ? '' : 's'}): its audio is mixed over the whole timeline, so it is rendered whole` };
  }
  // Ranges start at 1..latestStart; a scene with a `dt` updater from its first animation has no safe start.
  const latestStart = plan.timeBasedFrom ?? plan.runTimes.length - 1;
  const parts = Math.min(wanted, latestStart + 1);
  if (parts < 2) {
    return { kind: 'declined', reason: `a time-based (dt) updater is in the scene from animation ${plan.timeBasedFrom}: skipping animations would advance it differently` };
  }
  const ranges = partitionBounded(plan.runTimes, parts, latestStart);
  if (ranges.length < 2) {
    return { kind: 'declined', reason: `a time-based (dt) updater is in the scene from animation ${plan.timeBasedFrom}: no cut falls before it` };
  }
  return { kind: 'split', ranges };
}

/**
 * The most animations the partition weighs one by one. The plan comes from a worker that ran scene code, so its
 * length is the scene's to choose, and the partition's cost grows with its square: past this, consecutive
 * animations are grouped (cuts fall between groups), which bounds the work on the event loop to a few ms.
 */
export const MAX_PARTITIONED_ANIMATIONS = 500;

function partitionBounded(runTimes: number[], parts: number, latestStart: number): AnimationRange[] {
  const n = runTimes.length;
  if (n <= MAX_PARTITIONED_ANIMATIONS) return partition(runTimes, parts, { latestStart });
  const size = Math.ceil(n / MAX_PARTITIONED_ANIMATIONS);
  const starts: number[] = [];
  const groupTimes: number[] = [];
  for (let from = 0; from < n; from += size) {
    starts.push(from);
    groupTimes.push(runTimes.slice(from, from + size).reduce((a, b) => a + b, 0));
  }
  const latestGroup = Math.floor(latestStart / size);
  return partition(groupTimes, Math.min(parts, latestGroup + 1), { latestStart: latestGroup }).map((range) => ({
    from: starts[range.from]!,
    upto: range.upto + 1 < starts.length ? starts[range.upto + 1]! - 1 : n - 1,
    seconds: range.seconds,
  }));
}
