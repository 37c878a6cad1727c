import type { SceneRecord } from '../job';
import type { LiveSegment } from './live-segment';

/**
 * The scene with these segments recorded, or null when it has them all already. Idempotent: an index is kept
 * once (a redelivery renders the same frames again), and the list stays in index order whatever order
 * deliveries record in.
 */
export function withLiveSegments(scene: SceneRecord, segments: readonly LiveSegment[]): SceneRecord | null {
  const known = new Map((scene.live?.segments ?? []).map((segment) => [segment.index, segment]));
  let added = false;
  for (const segment of segments) {
    if (known.has(segment.index)) continue;
    known.set(segment.index, { index: segment.index, seconds: segment.seconds });
    added = true;
  }
  if (!added) return null;
  return { ...scene, live: { segments: [...known.values()].sort((a, b) => a.index - b.index) } };
}
