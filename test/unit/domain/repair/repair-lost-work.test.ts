import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalTaskQueue } from '../../../../src/adapters/local/local-task-queue';
import { SqliteJobStore } from '../../../../src/adapters/local/sqlite-job-store';
import { TASK_PAYLOAD_VERSION } from '../../../../src/contracts/task-payload';
import type { JobRecord } from '../../../../src/domain/job';
import { repairLostWork } from '../../../../src/domain/repair/repair-lost-work';
import { renderTaskName, repairRenderTaskName } from '../../../../src/domain/task-names';
import { createLogger } from '../../../../src/logging/create-logger';
import { jobRecord } from '../../../support/job-record';

const START = Date.parse('2030-01-01T00:00:00.000Z');
const MINUTE = 60_000;
const STALE_MS = 10 * MINUTE;

describe('repairLostWork: work whose queue entry was lost is queued again, and nothing else', () => {
  let dir: string;
  let jobStore: SqliteJobStore;
  let taskQueue: LocalTaskQueue;
  let now: number;
  const clock = { now: () => new Date(now) };
  const logger = createLogger({ level: 'silent' });
  const repair = () => repairLostWork({ jobStore, taskQueue, clock, logger }, { staleAfterMs: STALE_MS, pageSize: 2 });
  let count = 0;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repair-'));
    jobStore = new SqliteJobStore({ filePath: path.join(dir, 'jobs.sqlite') });
    // Never started: the test looks at what the queue holds, nothing is delivered.
    taskQueue = new LocalTaskQueue({
      filePath: path.join(dir, 'tasks.sqlite'),
      concurrency: 1,
      retry: { maxAttempts: 3, minBackoffMs: 10, maxBackoffMs: 100 },
      logger,
      now: () => now,
    });
    now = START;
  });

  afterEach(() => {
    taskQueue.close();
    jobStore.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A job as the ingress stores it, its tasks queued only if `queued`. */
  async function stored(options: { queued: boolean; scenes?: string[] }): Promise<JobRecord> {
    const job = jobRecord({ id: `job${++count}`, owner: 'alice', code: 'class A(Scene): pass', at: new Date(now), scenes: options.scenes });
    await jobStore.createJob({ job });
    if (options.queued) {
      await taskQueue.enqueue({
        tasks: job.scenes.map((s) => ({ name: renderTaskName(job.id, s.name), payload: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: job.id, scene: s.name }, dispatchDeadlineSeconds: 120 })),
      });
    }
    return job;
  }

  const held = async (names: string[]) => [...(await taskQueue.pendingNames({ names }))].sort();

  it('queues again the scenes of a job stored without its tasks, once they are stale, under a name of their own', async () => {
    const lost = await stored({ queued: false, scenes: ['A', 'B'] });
    expect(await repair()).toMatchObject({ requeued: 0 }); // not stale yet: it may still be on its way
    now += STALE_MS + MINUTE;
    expect(await repair()).toEqual({ jobs: 1, requeued: 2, splitsResumed: 0, waiting: 0 });
    expect(await held([repairRenderTaskName(lost.id, 'A', 1), repairRenderTaskName(lost.id, 'B', 1)])).toHaveLength(2);
    expect((await jobStore.getJob({ id: lost.id }))!.scenes.map((s) => s.repairs)).toEqual([1, 1]);
    // Its repair task is held now: a later run finds it waiting, and queues nothing more.
    now += STALE_MS + MINUTE;
    expect(await repair()).toEqual({ jobs: 1, requeued: 0, splitsResumed: 0, waiting: 2 });
  });

  it('leaves alone a scene whose task the queue still holds (a backlog, not a loss)', async () => {
    await stored({ queued: true });
    now += STALE_MS * 3;
    expect(await repair()).toEqual({ jobs: 1, requeued: 0, splitsResumed: 0, waiting: 1 });
    expect(taskQueue.stats()).toEqual({ pending: 1 });
  });

  it('queues again a scene held by a lease that expired long ago with no task left, and not one whose lease is live', async () => {
    const abandoned = await stored({ queued: false });
    const live = await stored({ queued: false });
    await jobStore.claimScene({ jobId: abandoned.id, scene: 'A', leaseMs: MINUTE, now: new Date(now) });
    now += STALE_MS + 2 * MINUTE;
    await jobStore.claimScene({ jobId: live.id, scene: 'A', leaseMs: MINUTE, now: new Date(now) });
    expect(await repair()).toMatchObject({ requeued: 1 });
    expect(await held([repairRenderTaskName(abandoned.id, 'A', 1)])).toHaveLength(1);
    expect(await held([repairRenderTaskName(live.id, 'A', 1)])).toEqual([]);
  });

  it('queues one task however many repairs run at once', async () => {
    const lost = await stored({ queued: false });
    now += STALE_MS + MINUTE;
    const reports = await Promise.all([repair(), repair(), repair()]);
    expect(reports.reduce((sum, r) => sum + r.requeued, 0)).toBe(1);
    expect(taskQueue.stats()).toEqual({ pending: 1 });
    expect((await jobStore.getJob({ id: lost.id }))!.scenes[0]!.repairs).toBe(1);
  });

  it('looks at no finished job, and through every page of unfinished ones', async () => {
    const done = await stored({ queued: false });
    const lease = await jobStore.claimScene({ jobId: done.id, scene: 'A', leaseMs: MINUTE, now: new Date(now) });
    if (!lease.claimed) throw new Error('setup: claim refused');
    await jobStore.finishScene({ jobId: done.id, scene: 'A', leaseToken: lease.leaseToken, outcome: { status: 'failed', error: { code: 'scene_error', message: 'x' } }, now: new Date(now) });
    for (let i = 0; i < 5; i++) await stored({ queued: false });
    now += STALE_MS + MINUTE;
    expect(await repair()).toEqual({ jobs: 5, requeued: 5, splitsResumed: 0, waiting: 0 });
  });
});
