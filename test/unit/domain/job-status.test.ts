import type { SceneStatus } from '../../../src/contracts/job';
import { summariseJobProgress, summariseJobStatus } from '../../../src/domain/job-status';

const scenes = (...statuses: SceneStatus[]) => statuses.map((status) => ({ status }));

describe('summariseJobStatus', () => {
  it('is queued while every scene is queued', () => {
    expect(summariseJobStatus(scenes('queued', 'queued'))).toBe('queued');
  });

  it('is rendering once one scene started and another is unfinished', () => {
    expect(summariseJobStatus(scenes('rendering', 'queued'))).toBe('rendering');
    expect(summariseJobStatus(scenes('succeeded', 'queued'))).toBe('rendering');
    expect(summariseJobStatus(scenes('failed', 'rendering'))).toBe('rendering');
  });

  it('is succeeded when every scene succeeded', () => {
    expect(summariseJobStatus(scenes('succeeded', 'succeeded'))).toBe('succeeded');
  });

  it('is failed when any finished scene failed, even beside a cancelled one', () => {
    expect(summariseJobStatus(scenes('succeeded', 'failed'))).toBe('failed');
    expect(summariseJobStatus(scenes('cancelled', 'failed', 'succeeded'))).toBe('failed');
  });

  it('is cancelled when a scene was cancelled and none failed', () => {
    expect(summariseJobStatus(scenes('succeeded', 'cancelled'))).toBe('cancelled');
  });

  it('calls a job without scenes failed rather than leaving it queued forever', () => {
    expect(summariseJobStatus([])).toBe('failed');
  });
});

describe('summariseJobProgress', () => {
  it('is the mean of the unfinished scenes progress', () => {
    expect(
      summariseJobProgress([
        { status: 'rendering', progress: 0.5 },
        { status: 'queued', progress: 0 },
      ]),
    ).toBeCloseTo(0.25);
  });

  it('counts a terminal scene as done whatever progress it reached', () => {
    expect(
      summariseJobProgress([
        { status: 'failed', progress: 0.2 },
        { status: 'cancelled', progress: 0 },
        { status: 'rendering', progress: 0.4 },
        { status: 'succeeded', progress: 1 },
      ]),
    ).toBeCloseTo(3.4 / 4);
  });

  it('is 1 when every scene is terminal and 0 for no scenes', () => {
    expect(summariseJobProgress([{ status: 'cancelled', progress: 0.1 }])).toBe(1);
    expect(summariseJobProgress([])).toBe(0);
  });

  it('never exceeds 1 even if a stored progress does', () => {
    expect(summariseJobProgress([{ status: 'rendering', progress: 3 }])).toBe(1);
  });
});
