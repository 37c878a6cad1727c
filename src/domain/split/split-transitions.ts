import type { ResourceUsage } from '../costs/resource-usage';
import { isSplitActive, isTerminal, type ScenePart, type SceneRecord, type StoredOutput } from '../job';
import { holdsLease } from '../scene-transitions';
import type { AnimationRange } from './partition';
import { boundaryMismatch } from './verify-boundaries';

/**
 * The transitions of a split render, as pure functions applied through JobStore.updateScene:
 *
 *   rendering (leased) ──start split──▶ rendering in parts (no lease; claims refused)
 *        ──record part × K──▶ … ──stitched──▶ succeeded
 *   rendering in parts ──parts disagree / a part cannot be rendered──▶ queued, whole (split.fallback says why)
 *   rendering (leased) ──decline──▶ rendering (leased), whole (split.fallback says why)
 *
 * A part is recorded once; the first record wins. Each returns the new record, or null to change nothing.
 */

/** Share of a split scene's progress its parts make; the join makes the rest. */
const PARTS_SHARE = 0.9;

export function startSplitTransition(
  scene: SceneRecord,
  params: { token: string; ranges: AnimationRange[]; now: Date },
): SceneRecord | null {
  // Fewer than two ranges is no split: the scene would wait for a join that has nothing to join.
  if (!holdsLease(scene, params.token) || scene.split || params.ranges.length < 2) return null;
  const { lease: _handedOver, ...rest } = scene;
  const last = params.ranges.length - 1;
  // The last part renders to the end, whatever the plan counted: nothing after it can be lost.
  const parts: ScenePart[] = params.ranges.map((r, i) => ({
    from: r.from,
    upto: i === last ? null : r.upto,
    seconds: r.seconds,
    animations: r.upto - r.from + 1,
  }));
  return { ...rest, progress: 0, split: { parts }, updatedAt: params.now.toISOString() };
}

/** Long enough to split but unsafe to: the claim holder renders it whole, and the record says why. */
export function declineSplitTransition(scene: SceneRecord, params: { token: string; reason: string; now: Date }): SceneRecord | null {
  if (!holdsLease(scene, params.token) || scene.split) return null;
  return { ...scene, split: { parts: [], fallback: params.reason }, updatedAt: params.now.toISOString() };
}

/**
 * Records a rendered part. If it disagrees with a neighbour already rendered, the scene falls back to a whole
 * render in the same change (check `split.fallback` on the result).
 */
export function recordPartTransition(
  scene: SceneRecord,
  params: { index: number; rendered: NonNullable<ScenePart['rendered']>; now: Date },
): SceneRecord | null {
  if (isTerminal(scene.status) || !isSplitActive(scene)) return null;
  const part = scene.split!.parts[params.index];
  if (!part || part.rendered) return null;
  const { progress: _reported, ...unreported } = part;
  const parts = scene.split!.parts.map((p, i) => (i === params.index ? { ...unreported, rendered: params.rendered } : p));
  const mismatch = boundaryMismatch(parts);
  if (mismatch) return fallBackTransition({ ...scene, split: { parts } }, { reason: mismatch, now: params.now });
  return { ...scene, progress: Math.max(scene.progress, splitProgress(parts)), split: { parts }, updatedAt: params.now.toISOString() };
}

/** How far a part's render has come, while it renders. Refused once the part is recorded (or the split is over). */
export function partProgressTransition(scene: SceneRecord, params: { index: number; progress: number; now: Date }): SceneRecord | null {
  if (isTerminal(scene.status) || !isSplitActive(scene)) return null;
  const part = scene.split!.parts[params.index];
  if (!part || part.rendered) return null;
  const progress = Math.max(part.progress ?? 0, Math.min(1, Math.max(0, params.progress)));
  const parts = scene.split!.parts.map((p, i) => (i === params.index ? { ...p, progress } : p));
  return { ...scene, progress: Math.max(scene.progress, splitProgress(parts)), split: { ...scene.split!, parts }, updatedAt: params.now.toISOString() };
}

/** The scene's progress from its parts', weighed by their seconds of video; the join makes the last share. */
function splitProgress(parts: ScenePart[]): number {
  const total = parts.reduce((sum, p) => sum + p.seconds, 0);
  const done = parts.reduce((sum, p) => sum + p.seconds * (p.rendered ? 1 : (p.progress ?? 0)), 0);
  return total > 0 ? (done / total) * PARTS_SHARE : 0;
}

/** The parts cannot make the scene: it goes back to the queue, to be rendered whole. */
export function fallBackTransition(scene: SceneRecord, params: { reason: string; now: Date }): SceneRecord | null {
  if (isTerminal(scene.status) || !isSplitActive(scene)) return null;
  const { lease: _none, ...rest } = scene;
  return { ...rest, status: 'queued', progress: 0, split: { ...scene.split!, fallback: params.reason }, updatedAt: params.now.toISOString() };
}

/** The joined movie is stored: the scene has succeeded. Refused unless every part is recorded and they agree. */
export function finishStitchTransition(
  scene: SceneRecord,
  params: { output: StoredOutput; logKey: string; usage?: ResourceUsage; now: Date },
): SceneRecord | null {
  if (isTerminal(scene.status) || !isSplitActive(scene) || !allPartsRendered(scene)) return null;
  const now = params.now.toISOString();
  const usage = params.usage && { usage: params.usage };
  return { ...scene, status: 'succeeded', progress: 1, output: params.output, logKey: params.logKey, ...usage, finishedAt: now, updatedAt: now };
}

export function allPartsRendered(scene: SceneRecord): boolean {
  return !!scene.split && scene.split.parts.length > 0 && scene.split.parts.every((p) => p.rendered);
}
