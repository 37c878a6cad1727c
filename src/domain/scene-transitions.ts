import type { RenderError } from '../contracts/job';
import { isSplitActive, isTerminal, type SceneRecord } from './job';
import type { SceneOutcome } from './ports/job-store';

/**
 * The scene state machine, as pure functions. Every job store applies these inside its own atomic update, so
 * the rules live here once:
 *
 *   queued ──claim──▶ rendering ──finish──▶ succeeded | failed
 *     ▲                  │  └──release (our failure)──▶ queued
 *     └──────────────────┘
 *   any non-terminal ──cancel──▶ cancelled;   any non-terminal ──fail──▶ failed
 *
 * A rendering scene can also go on in parts instead (split/split-transitions.ts); no claim takes it then.
 *
 * Each returns the new record, or a refusal; a terminal scene is never changed.
 */

export type ClaimDecision = { scene: SceneRecord } | { refused: 'leased' | 'terminal' | 'split' };

export function claimTransition(
  scene: SceneRecord,
  params: { token: string; leaseMs: number; now: Date },
): ClaimDecision {
  if (isTerminal(scene.status)) return { refused: 'terminal' };
  if (isSplitActive(scene)) return { refused: 'split' };
  if (scene.status === 'rendering' && scene.lease && Date.parse(scene.lease.expiresAt) > params.now.getTime()) {
    return { refused: 'leased' };
  }
  const now = params.now.toISOString();
  return {
    scene: {
      ...scene,
      status: 'rendering',
      progress: 0,
      attempts: scene.attempts + 1,
      lease: { token: params.token, expiresAt: new Date(params.now.getTime() + params.leaseMs).toISOString() },
      startedAt: scene.startedAt ?? now,
      updatedAt: now,
    },
  };
}

export function holdsLease(scene: SceneRecord, token: string): boolean {
  return scene.status === 'rendering' && scene.lease?.token === token;
}

export function heartbeatTransition(
  scene: SceneRecord,
  params: { token: string; progress: number; leaseMs: number; now: Date },
): SceneRecord | null {
  if (!holdsLease(scene, params.token)) return null;
  return {
    ...scene,
    progress: Math.max(scene.progress, Math.min(1, Math.max(0, params.progress))),
    lease: { token: params.token, expiresAt: new Date(params.now.getTime() + params.leaseMs).toISOString() },
    updatedAt: params.now.toISOString(),
  };
}

export function finishTransition(
  scene: SceneRecord,
  params: { token: string; outcome: SceneOutcome; now: Date },
): SceneRecord | null {
  if (!holdsLease(scene, params.token)) return null;
  const now = params.now.toISOString();
  const { lease: _released, ...rest } = scene;
  const base = {
    ...rest,
    status: params.outcome.status,
    finishedAt: now,
    updatedAt: now,
    logKey: params.outcome.logKey,
    ...(params.outcome.usage && { usage: params.outcome.usage }),
  };
  return params.outcome.status === 'succeeded'
    ? {
        ...base,
        progress: 1,
        output: params.outcome.output,
        ...(params.outcome.cacheHit && { cacheHit: true }),
        ...(params.outcome.planFailure !== undefined && { planFailure: params.outcome.planFailure }),
        ...(params.outcome.notices?.length && { notices: params.outcome.notices }),
      }
    : { ...base, error: params.outcome.error };
}

export function releaseTransition(scene: SceneRecord, params: { token: string; now: Date }): SceneRecord | null {
  if (!holdsLease(scene, params.token)) return null;
  const { lease: _released, ...rest } = scene;
  return { ...rest, status: 'queued', progress: 0, updatedAt: params.now.toISOString() };
}

export function failTransition(scene: SceneRecord, params: { error: RenderError; now: Date }): SceneRecord | null {
  if (isTerminal(scene.status)) return null;
  const now = params.now.toISOString();
  const { lease: _released, ...rest } = scene;
  return { ...rest, status: 'failed', error: params.error, finishedAt: now, updatedAt: now };
}

export function cancelTransition(scene: SceneRecord, params: { now: Date }): SceneRecord | null {
  if (isTerminal(scene.status)) return null;
  const now = params.now.toISOString();
  const { lease: _released, ...rest } = scene;
  return { ...rest, status: 'cancelled', finishedAt: now, updatedAt: now };
}
