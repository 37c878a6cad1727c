import type { SceneRecord } from '../../../src/domain/job';
import { claimTransition } from '../../../src/domain/scene-transitions';

/** The moment every scene fixture starts from, and a time `ms` after it. */
export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const at = (ms: number) => new Date(T0.getTime() + ms);
export const LEASE_MS = 30_000;

export function queuedScene(): SceneRecord {
  return { name: 'Intro', status: 'queued', progress: 0, attempts: 0, updatedAt: T0.toISOString() };
}

/** A scene claimed at T0 with token `held`. */
export function renderingScene(): SceneRecord {
  const decision = claimTransition(queuedScene(), { token: 'held', leaseMs: LEASE_MS, now: T0 });
  if (!('scene' in decision)) throw new Error('setup: the claim was refused');
  return decision.scene;
}
