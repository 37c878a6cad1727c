import type { SceneStatus } from '../../../src/contracts/job';
import type { SceneRecord } from '../../../src/domain/job';
import type { SceneOutcome } from '../../../src/domain/ports/job-store';
import {
  cancelTransition,
  claimTransition,
  failTransition,
  finishTransition,
  heartbeatTransition,
  releaseTransition,
} from '../../../src/domain/scene-transitions';
import { declineSplitTransition, fallBackTransition, startSplitTransition } from '../../../src/domain/split/split-transitions';
import { LEASE_MS, T0, at, queuedScene, renderingScene } from './scene-fixtures';

function terminalScene(status: Extract<SceneStatus, 'succeeded' | 'failed' | 'cancelled'>): SceneRecord {
  return { ...queuedScene(), status, attempts: 1, finishedAt: T0.toISOString() };
}

const success: SceneOutcome = {
  status: 'succeeded',
  output: { blobKey: 'jobs/j/Intro/Intro.mp4', contentType: 'video/mp4', bytes: 10, durationSeconds: 1, width: 854, height: 480 },
  logKey: 'jobs/j/Intro/render.log',
};
const failure: SceneOutcome = { status: 'failed', error: { code: 'scene_error', message: 'boom', line: 3 } };

describe('claimTransition', () => {
  it('takes a queued scene: rendering, one more attempt, a lease ending leaseMs from now', () => {
    const decision = claimTransition(queuedScene(), { token: 't1', leaseMs: LEASE_MS, now: T0 });
    expect(decision).toEqual({
      scene: {
        name: 'Intro',
        status: 'rendering',
        progress: 0,
        attempts: 1,
        lease: { token: 't1', expiresAt: at(LEASE_MS).toISOString() },
        startedAt: T0.toISOString(),
        updatedAt: T0.toISOString(),
      },
    });
  });

  it('refuses a claim while another lease is live', () => {
    expect(claimTransition(renderingScene(), { token: 't2', leaseMs: LEASE_MS, now: at(LEASE_MS - 1) })).toEqual({
      refused: 'leased',
    });
  });

  it('takes over an expired lease, counting a second attempt and keeping the first start time', () => {
    const decision = claimTransition(renderingScene(), { token: 't2', leaseMs: LEASE_MS, now: at(LEASE_MS) });
    if (!('scene' in decision)) throw new Error(`refused: ${decision.refused}`);
    expect(decision.scene.attempts).toBe(2);
    expect(decision.scene.lease).toEqual({ token: 't2', expiresAt: at(2 * LEASE_MS).toISOString() });
    expect(decision.scene.startedAt).toBe(T0.toISOString());
    expect(decision.scene.updatedAt).toBe(at(LEASE_MS).toISOString());
  });

  it('resets the progress an earlier attempt reached', () => {
    const beaten = heartbeatTransition(renderingScene(), { token: 'held', progress: 0.7, leaseMs: LEASE_MS, now: T0 })!;
    const decision = claimTransition(beaten, { token: 't2', leaseMs: LEASE_MS, now: at(10 * LEASE_MS) });
    expect('scene' in decision && decision.scene.progress).toBe(0);
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)('refuses to claim a %s scene', (status) => {
    expect(claimTransition(terminalScene(status), { token: 't', leaseMs: LEASE_MS, now: T0 })).toEqual({ refused: 'terminal' });
  });

  describe('of a scene rendered in parts', () => {
    const ranges = [
      { from: 0, upto: 1, seconds: 5 },
      { from: 2, upto: 3, seconds: 5 },
    ];
    const inParts = () => startSplitTransition(renderingScene(), { token: 'held', ranges, now: at(1000) })!;

    it('refuses a claim while the parts are being rendered, though no lease is held', () => {
      // Long after the whole render's lease would have ended: only the part and stitch tasks may work on it.
      expect(claimTransition(inParts(), { token: 't2', leaseMs: LEASE_MS, now: at(10 * LEASE_MS) })).toEqual({ refused: 'split' });
    });

    it('claims a scene whose parts fell back to a whole render, as another attempt', () => {
      const fallenBack = fallBackTransition(inParts(), { reason: 'parts disagree', now: at(2000) })!;
      const decision = claimTransition(fallenBack, { token: 't2', leaseMs: LEASE_MS, now: at(3000) });
      if (!('scene' in decision)) throw new Error(`refused: ${decision.refused}`);
      expect(decision.scene).toMatchObject({ status: 'rendering', attempts: 2, lease: { token: 't2' }, split: { fallback: 'parts disagree' } });
    });

    it('takes over the expired lease of a scene whose split was declined', () => {
      const declined = declineSplitTransition(renderingScene(), { token: 'held', reason: 'a dt updater', now: at(500) })!;
      expect(claimTransition(declined, { token: 't2', leaseMs: LEASE_MS, now: at(LEASE_MS - 1) })).toEqual({ refused: 'leased' });
      expect('scene' in claimTransition(declined, { token: 't2', leaseMs: LEASE_MS, now: at(LEASE_MS) })).toBe(true);
    });
  });
});

describe('heartbeatTransition', () => {
  it('records progress and extends the lease for the holder', () => {
    const next = heartbeatTransition(renderingScene(), { token: 'held', progress: 0.4, leaseMs: LEASE_MS, now: at(5000) });
    expect(next).toMatchObject({
      status: 'rendering',
      progress: 0.4,
      lease: { token: 'held', expiresAt: at(5000 + LEASE_MS).toISOString() },
      updatedAt: at(5000).toISOString(),
    });
  });

  it('never moves progress backwards and clamps it to 0..1', () => {
    const first = heartbeatTransition(renderingScene(), { token: 'held', progress: 0.6, leaseMs: LEASE_MS, now: T0 })!;
    expect(heartbeatTransition(first, { token: 'held', progress: 0.2, leaseMs: LEASE_MS, now: T0 })!.progress).toBe(0.6);
    expect(heartbeatTransition(first, { token: 'held', progress: 7, leaseMs: LEASE_MS, now: T0 })!.progress).toBe(1);
  });

  it('refuses a stale token, a queued scene and a terminal one', () => {
    const params = { progress: 0.5, leaseMs: LEASE_MS, now: T0 };
    expect(heartbeatTransition(renderingScene(), { ...params, token: 'someone-else' })).toBeNull();
    expect(heartbeatTransition(queuedScene(), { ...params, token: 'held' })).toBeNull();
    expect(heartbeatTransition({ ...terminalScene('cancelled'), lease: { token: 'held', expiresAt: at(LEASE_MS).toISOString() } }, { ...params, token: 'held' })).toBeNull();
  });
});

describe('finishTransition', () => {
  it('records a success: progress 1, the output and log, no lease', () => {
    const next = finishTransition(renderingScene(), { token: 'held', outcome: success, now: at(9000) })!;
    expect(next.status).toBe('succeeded');
    expect(next.progress).toBe(1);
    expect(next.output).toEqual(success.output);
    expect(next.logKey).toBe(success.logKey);
    expect(next.finishedAt).toBe(at(9000).toISOString());
    expect(next.lease).toBeUndefined();
    expect(next.error).toBeUndefined();
  });

  it('records a failure with its error and keeps the attempts', () => {
    const next = finishTransition(renderingScene(), { token: 'held', outcome: failure, now: at(9000) })!;
    expect(next).toMatchObject({ status: 'failed', error: failure.error, attempts: 1 });
    expect(next.lease).toBeUndefined();
    expect(next.output).toBeUndefined();
  });

  it('needs the lease token', () => {
    expect(finishTransition(renderingScene(), { token: 'stale', outcome: success, now: T0 })).toBeNull();
    expect(finishTransition(queuedScene(), { token: 'held', outcome: success, now: T0 })).toBeNull();
  });

  it('never changes a finished scene again', () => {
    const done = finishTransition(renderingScene(), { token: 'held', outcome: success, now: T0 })!;
    expect(finishTransition(done, { token: 'held', outcome: failure, now: at(1) })).toBeNull();
  });
});

describe('releaseTransition', () => {
  it('puts the scene back in the queue without its lease, keeping the attempt count', () => {
    const beaten = heartbeatTransition(renderingScene(), { token: 'held', progress: 0.5, leaseMs: LEASE_MS, now: T0 })!;
    const next = releaseTransition(beaten, { token: 'held', now: at(100) })!;
    expect(next).toMatchObject({ status: 'queued', progress: 0, attempts: 1, updatedAt: at(100).toISOString() });
    expect(next.lease).toBeUndefined();
  });

  it('needs the lease token', () => {
    expect(releaseTransition(renderingScene(), { token: 'stale', now: T0 })).toBeNull();
    expect(releaseTransition(terminalScene('succeeded'), { token: 'held', now: T0 })).toBeNull();
  });
});

describe('failTransition', () => {
  const error = { code: 'internal_error', message: 'retries exhausted' };

  it('fails a queued or rendering scene whoever holds it, dropping the lease', () => {
    expect(failTransition(queuedScene(), { error, now: T0 })).toMatchObject({ status: 'failed', error });
    const next = failTransition(renderingScene(), { error, now: at(5) })!;
    expect(next).toMatchObject({ status: 'failed', error, finishedAt: at(5).toISOString() });
    expect(next.lease).toBeUndefined();
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)('leaves a %s scene alone', (status) => {
    expect(failTransition(terminalScene(status), { error, now: T0 })).toBeNull();
  });
});

describe('cancelTransition', () => {
  it('cancels a queued or rendering scene, dropping the lease', () => {
    expect(cancelTransition(queuedScene(), { now: T0 })).toMatchObject({ status: 'cancelled', finishedAt: T0.toISOString() });
    const next = cancelTransition(renderingScene(), { now: at(5) })!;
    expect(next.status).toBe('cancelled');
    expect(next.lease).toBeUndefined();
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)('leaves a %s scene alone', (status) => {
    expect(cancelTransition(terminalScene(status), { now: T0 })).toBeNull();
  });
});
