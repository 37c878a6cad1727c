import { randomUUID } from 'node:crypto';
import type { RenderError } from '../../src/contracts/job';
import { ValidationError } from '../../src/domain/errors';
import type { JobRecord, ScenePart, SceneRecord, StoredOutput } from '../../src/domain/job';
import { summariseJobStatus } from '../../src/domain/job-status';
import type { ClaimResult, JobStore } from '../../src/domain/ports/job-store';
import { finishStitchTransition, recordPartTransition, startSplitTransition } from '../../src/domain/split/split-transitions';

export interface JobStoreUnderTest {
  store: JobStore;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms);
const LEASE_MS = 30_000;

const OUTPUT: StoredOutput = {
  blobKey: 'jobs/x/Intro/Intro.mp4',
  contentType: 'video/mp4',
  bytes: 1234,
  durationSeconds: 1.5,
  width: 854,
  height: 480,
};
const SCENE_ERROR: RenderError = { code: 'scene_error', message: 'ZeroDivisionError: division by zero', line: 4 };

/** Three animation ranges of a split render. */
const RANGES = [
  { from: 0, upto: 1, seconds: 1.5 },
  { from: 2, upto: 4, seconds: 2.25 },
  { from: 5, upto: 6, seconds: 1.5 },
];
const STATE_AFTER: Record<number, Record<string, string>> = { 1: { mobjects: 'a1', camera: 'c0' }, 4: { mobjects: 'a4', camera: 'c0' } };

/**
 * What part `index` of RANGES reports when rendered, describing the scene where it meets its neighbours. Built
 * without undefined fields: Firestore stores no undefined.
 */
function renderedPart(index: number): NonNullable<ScenePart['rendered']> {
  const before = RANGES[index - 1]?.upto;
  const after = index < RANGES.length - 1 ? RANGES[index]!.upto : undefined;
  return {
    blobKey: `jobs/x/Intro/parts/${index}.mp4`,
    logKey: `jobs/x/Intro/parts/${index}.log`,
    renderSeconds: 0.75,
    ...(before !== undefined && { start: { after: before, fingerprint: { ...STATE_AFTER[before]! }, timeBasedUpdatersSkipped: false } }),
    ...(after !== undefined && { end: { after, fingerprint: { ...STATE_AFTER[after]! } } }),
  };
}

/**
 * The behaviour every JobStore must have, run against each adapter (SQLite always; Firestore on its emulator).
 * Ids and owners are random per test, so a store that keeps data between tests (an emulator) still works.
 */
export function describeJobStoreContract(name: string, makeStore: () => Promise<JobStoreUnderTest>): void {
  describe(`JobStore contract: ${name}`, () => {
    let subject: JobStoreUnderTest;
    let store: JobStore;
    let owner: string;

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
      owner = `owner-${randomUUID()}`;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    function newJob(fields: { scenes?: string[]; createdAt?: Date; owner?: string; id?: string } = {}): JobRecord {
      const created = (fields.createdAt ?? at(0)).toISOString();
      return {
        id: fields.id ?? `job${randomUUID().replace(/-/g, '')}`,
        owner: fields.owner ?? owner,
        code: 'from manim import *\n\nclass Intro(Scene):\n    def construct(self):\n        pass\n',
        quality: 'low',
        format: 'mp4',
        timeoutSeconds: 120,
        metadata: { ref: 'contract' },
        scenes: (fields.scenes ?? ['Intro']).map((scene) => ({
          name: scene,
          status: 'queued',
          progress: 0,
          attempts: 0,
          updatedAt: created,
        })),
        createdAt: created,
        updatedAt: created,
      };
    }

    async function created(fields: Parameters<typeof newJob>[0] = {}): Promise<JobRecord> {
      const job = newJob(fields);
      await store.createJob({ job });
      return job;
    }

    async function claimed(jobId: string, scene: string, now = at(1000)): Promise<Extract<ClaimResult, { claimed: true }>> {
      const result = await store.claimScene({ jobId, scene, leaseMs: LEASE_MS, now });
      if (!result.claimed) throw new Error(`setup: claim refused (${result.reason})`);
      return result;
    }

    async function sceneOf(jobId: string, scene: string) {
      const job = await store.getJob({ id: jobId });
      const found = job?.scenes.find((s) => s.name === scene);
      if (!found) throw new Error(`no scene ${scene} in job ${jobId}`);
      return found;
    }

    async function statusOf(jobId: string) {
      const job = await store.getJob({ id: jobId });
      if (!job) throw new Error(`no job ${jobId}`);
      return summariseJobStatus(job.scenes);
    }

    async function listIds(params: { status?: Parameters<JobStore['listJobs']>[0]['status']; pageSize?: number } = {}) {
      const page = await store.listJobs({ owner, pageSize: params.pageSize ?? 100, status: params.status });
      return page.jobs.map((j) => j.id);
    }

    describe('creating and reading', () => {
      it('stores a job within the active-scenes limit, and refuses one past it, counting in the same transaction', async () => {
        await store.createJob({ job: newJob({ scenes: ['A', 'B'] }), maxActiveScenes: 3 });
        await expect(store.createJob({ job: newJob({ scenes: ['C', 'D'] }), maxActiveScenes: 3 })).rejects.toMatchObject({ code: 'quota_exceeded', details: { active: 2, limit: 3 } });
        await store.createJob({ job: newJob({ scenes: ['C'] }), maxActiveScenes: 3 });
        expect(await store.countActiveScenes({ owner })).toBe(3);
      });

      it('lets no more scenes past the limit than it allows when many jobs are stored at once', async () => {
        const results = await Promise.allSettled(Array.from({ length: 12 }, () => store.createJob({ job: newJob({ scenes: ['A', 'B'] }), maxActiveScenes: 7 })));
        const stored = results.filter((r) => r.status === 'fulfilled').length;
        expect(stored).toBe(3);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'quota_exceeded' });
        expect(await store.countActiveScenes({ owner })).toBe(6);
      });

      it('refuses a second job under an id already stored with a conflict', async () => {
        const job = await created();
        await expect(store.createJob({ job })).rejects.toMatchObject({ code: 'conflict' });
      });

      it('gives back a created job exactly as it was stored', async () => {
        const job = await created({ scenes: ['Intro', 'Outro'] });
        expect(await store.getJob({ id: job.id })).toEqual(job);
      });

      it('answers null for a job it does not have', async () => {
        expect(await store.getJob({ id: `missing${randomUUID().replace(/-/g, '')}` })).toBeNull();
      });
    });

    describe('listing', () => {
      it('lists an owner’s jobs newest first, and no one else’s', async () => {
        const older = await created({ createdAt: at(1000) });
        const newer = await created({ createdAt: at(2000) });
        await created({ createdAt: at(3000), owner: `other-${randomUUID()}` });
        expect(await listIds()).toEqual([newer.id, older.id]);
      });

      it('lists every principal’s unfinished jobs created before a time, oldest first, page by page', async () => {
        const queued = await created({ createdAt: at(1000) });
        const rendering = await created({ createdAt: at(1500), owner: `other-${randomUUID()}` });
        await claimed(rendering.id, 'Intro');
        const done = await created({ createdAt: at(1700) });
        const lease = await claimed(done.id, 'Intro');
        await store.finishScene({ jobId: done.id, scene: 'Intro', leaseToken: lease.leaseToken, outcome: { status: 'succeeded', output: OUTPUT }, now: at(1800) });
        const recent = await created({ createdAt: at(9000) });
        const seen: string[] = [];
        let pageToken: string | undefined;
        do {
          const page = await store.listUnfinishedJobs({ createdBefore: at(5000), pageSize: 1, ...(pageToken && { pageToken }) });
          seen.push(...page.jobs.map((j) => j.id));
          pageToken = page.nextPageToken;
        } while (pageToken);
        // The store may hold other tests' jobs too: these are the ones that count.
        const mine = seen.filter((id) => [queued.id, rendering.id, done.id, recent.id].includes(id));
        expect(mine).toEqual([queued.id, rendering.id]);
      });

      it('filters by the job’s summarised status as its scenes change', async () => {
        const waiting = await created({ createdAt: at(1000) });
        const busy = await created({ createdAt: at(2000) });
        const done = await created({ createdAt: at(3000) });
        await claimed(busy.id, 'Intro');
        const lease = await claimed(done.id, 'Intro');
        await store.finishScene({
          jobId: done.id,
          scene: 'Intro',
          leaseToken: lease.leaseToken,
          outcome: { status: 'succeeded', output: OUTPUT },
          now: at(5000),
        });
        expect(await listIds({ status: 'queued' })).toEqual([waiting.id]);
        expect(await listIds({ status: 'rendering' })).toEqual([busy.id]);
        expect(await listIds({ status: 'succeeded' })).toEqual([done.id]);
        expect(await listIds({ status: 'failed' })).toEqual([]);
      });

      it('pages through every job once, in order, with no duplicates or gaps', async () => {
        // Two jobs share a creation time, so the cursor has to break the tie by id.
        const times = [1000, 2000, 3000, 3000, 4000, 5000, 6000];
        const jobs: JobRecord[] = [];
        for (const t of times) jobs.push(await created({ createdAt: at(t) }));
        await created({ createdAt: at(3500), owner: `other-${randomUUID()}` });
        const expected = [...jobs]
          .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1))
          .map((j) => j.id);

        const pages: string[][] = [];
        let pageToken: string | undefined;
        do {
          const page = await store.listJobs({ owner, pageSize: 3, pageToken });
          pages.push(page.jobs.map((j) => j.id));
          pageToken = page.nextPageToken;
        } while (pageToken && pages.length < 10);

        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(pages.flat()).toEqual(expected);
      });

      it('gives no next page token when the last page is exactly full', async () => {
        for (let i = 0; i < 3; i++) await created({ createdAt: at(i * 1000) });
        const page = await store.listJobs({ owner, pageSize: 3 });
        expect(page.jobs).toHaveLength(3);
        expect(page.nextPageToken).toBeUndefined();
      });

      it('pages within a status filter', async () => {
        const queued: string[] = [];
        for (let i = 0; i < 4; i++) {
          const job = await created({ createdAt: at(i * 1000) });
          if (i % 2 === 0) await claimed(job.id, 'Intro');
          else queued.unshift(job.id);
        }
        const first = await store.listJobs({ owner, status: 'queued', pageSize: 1 });
        const second = await store.listJobs({ owner, status: 'queued', pageSize: 1, pageToken: first.nextPageToken });
        expect([...first.jobs, ...second.jobs].map((j) => j.id)).toEqual(queued);
        expect(second.nextPageToken).toBeUndefined();
      });

      it('refuses a page token it did not issue', async () => {
        await expect(store.listJobs({ owner, pageSize: 3, pageToken: 'not-a-token' })).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('claiming', () => {
      it('claims a queued scene: rendering, attempt 1, a lease token, and the job', async () => {
        const job = await created();
        const result = await claimed(job.id, 'Intro', at(1000));
        expect(result.attempt).toBe(1);
        expect(result.leaseToken).toEqual(expect.any(String));
        expect(result.job.id).toBe(job.id);
        expect(result.job.code).toBe(job.code);
        expect(await sceneOf(job.id, 'Intro')).toMatchObject({
          status: 'rendering',
          attempts: 1,
          lease: { token: result.leaseToken, expiresAt: at(1000 + LEASE_MS).toISOString() },
        });
        expect(await statusOf(job.id)).toBe('rendering');
      });

      it('lets exactly one of two concurrent claimers win', async () => {
        const job = await created();
        const results = await Promise.all([
          store.claimScene({ jobId: job.id, scene: 'Intro', leaseMs: LEASE_MS, now: at(1000) }),
          store.claimScene({ jobId: job.id, scene: 'Intro', leaseMs: LEASE_MS, now: at(1000) }),
        ]);
        expect(results.filter((r) => r.claimed)).toHaveLength(1);
        expect(results.filter((r) => !r.claimed)).toEqual([{ claimed: false, reason: 'leased' }]);
        expect((await sceneOf(job.id, 'Intro')).attempts).toBe(1);
      });

      it('refuses a second claim while the lease is live', async () => {
        const job = await created();
        await claimed(job.id, 'Intro', at(1000));
        expect(await store.claimScene({ jobId: job.id, scene: 'Intro', leaseMs: LEASE_MS, now: at(1000 + LEASE_MS - 1) })).toEqual({
          claimed: false,
          reason: 'leased',
        });
      });

      it('lets a claim take over an expired lease as attempt 2, and the old holder loses it', async () => {
        const job = await created();
        const first = await claimed(job.id, 'Intro', at(1000));
        const second = await claimed(job.id, 'Intro', at(1000 + LEASE_MS + 1));
        expect(second.attempt).toBe(2);
        expect(second.leaseToken).not.toBe(first.leaseToken);
        const beat = { jobId: job.id, scene: 'Intro', progress: 0.5, leaseMs: LEASE_MS, now: at(1000 + LEASE_MS + 2) };
        expect(await store.heartbeatScene({ ...beat, leaseToken: first.leaseToken })).toBe(false);
        expect(await store.heartbeatScene({ ...beat, leaseToken: second.leaseToken })).toBe(true);
      });

      it('says missing for an unknown job or scene', async () => {
        const job = await created();
        const missingJob = await store.claimScene({ jobId: `nope${randomUUID().replace(/-/g, '')}`, scene: 'Intro', leaseMs: LEASE_MS, now: at(0) });
        const missingScene = await store.claimScene({ jobId: job.id, scene: 'Nope', leaseMs: LEASE_MS, now: at(0) });
        expect(missingJob).toEqual({ claimed: false, reason: 'missing' });
        expect(missingScene).toEqual({ claimed: false, reason: 'missing' });
      });

      it('says terminal for a finished scene, however long ago', async () => {
        const job = await created();
        const lease = await claimed(job.id, 'Intro');
        await store.finishScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, outcome: { status: 'succeeded', output: OUTPUT }, now: at(2000) });
        expect(await store.claimScene({ jobId: job.id, scene: 'Intro', leaseMs: LEASE_MS, now: at(10 * LEASE_MS) })).toEqual({
          claimed: false,
          reason: 'terminal',
        });
      });
    });

    describe('heartbeats', () => {
      it('records progress and extends the lease for the holder', async () => {
        const job = await created();
        const lease = await claimed(job.id, 'Intro', at(1000));
        const now = at(1000 + LEASE_MS - 10);
        expect(await store.heartbeatScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, progress: 0.4, leaseMs: LEASE_MS, now })).toBe(true);
        expect(await sceneOf(job.id, 'Intro')).toMatchObject({ progress: 0.4, lease: { expiresAt: at(1000 + 2 * LEASE_MS - 10).toISOString() } });
        // Past the first lease's end, but within the extended one.
        expect(await store.claimScene({ jobId: job.id, scene: 'Intro', leaseMs: LEASE_MS, now: at(1000 + LEASE_MS + 10) })).toEqual({
          claimed: false,
          reason: 'leased',
        });
      });

      it('refuses a stale token and changes nothing', async () => {
        const job = await created();
        await claimed(job.id, 'Intro');
        const before = await sceneOf(job.id, 'Intro');
        expect(await store.heartbeatScene({ jobId: job.id, scene: 'Intro', leaseToken: 'stale', progress: 0.9, leaseMs: LEASE_MS, now: at(2000) })).toBe(false);
        expect(await sceneOf(job.id, 'Intro')).toEqual(before);
      });
    });

    describe('finishing', () => {
      it('records a success once; a second finish is refused and changes nothing', async () => {
        const job = await created();
        const lease = await claimed(job.id, 'Intro');
        const finish = (outcome: Parameters<JobStore['finishScene']>[0]['outcome'], now: Date) =>
          store.finishScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, outcome, now });
        expect(await finish({ status: 'succeeded', output: OUTPUT, logKey: 'jobs/x/Intro/render.log' }, at(2000))).toBe(true);
        const after = await sceneOf(job.id, 'Intro');
        expect(after).toMatchObject({ status: 'succeeded', progress: 1, output: OUTPUT, logKey: 'jobs/x/Intro/render.log', finishedAt: at(2000).toISOString() });
        expect(after.lease).toBeUndefined();
        expect(await finish({ status: 'failed', error: SCENE_ERROR }, at(3000))).toBe(false);
        expect(await sceneOf(job.id, 'Intro')).toEqual(after);
        expect(await statusOf(job.id)).toBe('succeeded');
      });

      it('records a failure with its error', async () => {
        const job = await created();
        const lease = await claimed(job.id, 'Intro');
        expect(await store.finishScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, outcome: { status: 'failed', error: SCENE_ERROR }, now: at(2000) })).toBe(true);
        expect(await sceneOf(job.id, 'Intro')).toMatchObject({ status: 'failed', error: SCENE_ERROR });
        expect(await statusOf(job.id)).toBe('failed');
      });

      it('refuses a finish with a stale token', async () => {
        const job = await created();
        await claimed(job.id, 'Intro');
        expect(await store.finishScene({ jobId: job.id, scene: 'Intro', leaseToken: 'stale', outcome: { status: 'succeeded', output: OUTPUT }, now: at(2000) })).toBe(false);
        expect((await sceneOf(job.id, 'Intro')).status).toBe('rendering');
      });
    });

    describe('releasing and failing', () => {
      it('puts a released scene back in the queue, keeping its attempts, and the next claim is attempt 2', async () => {
        const job = await created();
        const lease = await claimed(job.id, 'Intro');
        expect(await store.releaseScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, now: at(2000) })).toBe(true);
        const released = await sceneOf(job.id, 'Intro');
        expect(released).toMatchObject({ status: 'queued', attempts: 1 });
        expect(released.lease).toBeUndefined();
        expect(await statusOf(job.id)).toBe('queued');
        expect(await store.releaseScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, now: at(2001) })).toBe(false);
        expect((await claimed(job.id, 'Intro', at(2002))).attempt).toBe(2);
      });

      it('fails a scene whoever holds it, but never a terminal one', async () => {
        const job = await created({ scenes: ['Intro', 'Outro'] });
        await claimed(job.id, 'Intro');
        const error: RenderError = { code: 'internal_error', message: 'retries exhausted' };
        expect(await store.failScene({ jobId: job.id, scene: 'Intro', error, now: at(2000) })).toBe(true);
        expect(await store.failScene({ jobId: job.id, scene: 'Outro', error, now: at(2000) })).toBe(true);
        const failed = await sceneOf(job.id, 'Intro');
        expect(failed).toMatchObject({ status: 'failed', error });
        expect(failed.lease).toBeUndefined();
        expect(await store.failScene({ jobId: job.id, scene: 'Intro', error: SCENE_ERROR, now: at(3000) })).toBe(false);
        expect(await sceneOf(job.id, 'Intro')).toEqual(failed);
        expect(await statusOf(job.id)).toBe('failed');
      });
    });

    describe('cancelling', () => {
      it('cancels queued and rendering scenes; the job becomes cancelled', async () => {
        const job = await created({ scenes: ['Intro', 'Outro'] });
        const lease = await claimed(job.id, 'Intro');
        const after = await store.cancelJob({ id: job.id, now: at(2000) });
        expect(after?.scenes.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
        expect(after?.scenes.every((s) => s.lease === undefined)).toBe(true);
        expect(await store.getJob({ id: job.id })).toEqual(after);
        expect(await statusOf(job.id)).toBe('cancelled');
        expect(await listIds({ status: 'cancelled' })).toEqual([job.id]);
        // The renderer holding the lease learns at its next heartbeat that it must stop.
        expect(await store.heartbeatScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, progress: 0.5, leaseMs: LEASE_MS, now: at(2500) })).toBe(false);
      });

      it('never changes a terminal scene: a succeeded scene stays succeeded', async () => {
        const job = await created({ scenes: ['Intro', 'Outro'] });
        const lease = await claimed(job.id, 'Intro');
        await store.finishScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, outcome: { status: 'succeeded', output: OUTPUT }, now: at(2000) });
        const succeeded = await sceneOf(job.id, 'Intro');
        const after = await store.cancelJob({ id: job.id, now: at(3000) });
        expect(after?.scenes.find((s) => s.name === 'Intro')).toEqual(succeeded);
        expect(after?.scenes.find((s) => s.name === 'Outro')?.status).toBe('cancelled');
      });

      it('answers null for a job it does not have', async () => {
        expect(await store.cancelJob({ id: `missing${randomUUID().replace(/-/g, '')}`, now: at(0) })).toBeNull();
      });
    });

    describe('deleting', () => {
      it('deletes a job and its scenes; a second delete finds nothing', async () => {
        const job = await created({ scenes: ['Intro', 'Outro'] });
        const kept = await created();
        expect(await store.deleteJob({ id: job.id })).toBe(true);
        expect(await store.getJob({ id: job.id })).toBeNull();
        expect(await store.claimScene({ jobId: job.id, scene: 'Intro', leaseMs: LEASE_MS, now: at(0) })).toEqual({ claimed: false, reason: 'missing' });
        expect(await listIds()).toEqual([kept.id]);
        expect(await store.deleteJob({ id: job.id })).toBe(false);
      });
    });

    describe('counting active scenes', () => {
      it('counts the owner’s queued and rendering scenes, not finished ones or anyone else’s', async () => {
        const other = `other-${randomUUID()}`;
        expect(await store.countActiveScenes({ owner })).toBe(0);
        const busy = await created({ scenes: ['Intro', 'Outro'] });
        await claimed(busy.id, 'Intro');
        const done = await created();
        const lease = await claimed(done.id, 'Intro');
        await store.finishScene({ jobId: done.id, scene: 'Intro', leaseToken: lease.leaseToken, outcome: { status: 'succeeded', output: OUTPUT }, now: at(2000) });
        const cancelled = await created({ scenes: ['Intro', 'Outro'] });
        await store.cancelJob({ id: cancelled.id, now: at(2000) });
        const half = await created({ scenes: ['Intro', 'Outro'] });
        await store.failScene({ jobId: half.id, scene: 'Intro', error: SCENE_ERROR, now: at(2000) });
        await created({ owner: other, scenes: ['Intro', 'Outro'] });
        expect(await store.countActiveScenes({ owner })).toBe(3);
        expect(await store.countActiveScenes({ owner: other })).toBe(2);
      });
    });

    describe('updating a scene', () => {
      /** Claims the job's Intro and hands it over to RANGES: the scene as stored, or null if refused. */
      async function startSplit(jobId: string): Promise<SceneRecord | null> {
        const lease = await claimed(jobId, 'Intro', at(1000));
        return store.updateScene({
          jobId,
          scene: 'Intro',
          now: at(1500),
          change: (scene) => startSplitTransition(scene, { token: lease.leaseToken, ranges: RANGES, now: at(1500) }),
        });
      }

      /** A job whose Intro was claimed and then handed over to RANGES. */
      async function inParts(): Promise<JobRecord> {
        const job = await created({ scenes: ['Intro', 'Outro'] });
        if (!(await startSplit(job.id))) throw new Error('setup: the split was refused');
        return job;
      }

      const recordPart = (jobId: string, index: number, now: Date) =>
        store.updateScene({ jobId, scene: 'Intro', now, change: (scene) => recordPartTransition(scene, { index, rendered: renderedPart(index), now }) });

      it('applies the change and returns the scene as stored, nested split and all', async () => {
        const job = await created();
        const started = await startSplit(job.id);
        expect(started).toMatchObject({ status: 'rendering', attempts: 1, updatedAt: at(1500).toISOString() });
        expect(started?.split).toEqual({
          parts: [
            { from: 0, upto: 1, seconds: 1.5, animations: 2 },
            { from: 2, upto: 4, seconds: 2.25, animations: 3 },
            { from: 5, upto: null, seconds: 1.5, animations: 2 },
          ],
        });
        expect(started?.lease).toBeUndefined();
        expect(await sceneOf(job.id, 'Intro')).toEqual(started);

        const recorded = await recordPart(job.id, 1, at(2000));
        expect(recorded?.split?.parts[1]?.rendered).toEqual(renderedPart(1));
        expect(await sceneOf(job.id, 'Intro')).toEqual(recorded);
        expect((await store.getJob({ id: job.id }))?.updatedAt).toBe(at(2000).toISOString());
      });

      it('changes nothing and answers null when the change refuses', async () => {
        const job = await inParts();
        const before = await store.getJob({ id: job.id });
        expect(await store.updateScene({ jobId: job.id, scene: 'Intro', now: at(2000), change: () => null })).toBeNull();
        expect(await recordPart(job.id, 7, at(2000))).toBeNull();
        expect(await store.getJob({ id: job.id })).toEqual(before);
      });

      it('answers null for an unknown job or scene, without calling the change', async () => {
        const job = await created();
        const change = jest.fn(() => null);
        const missingJob = `nope${randomUUID().replace(/-/g, '')}`;
        expect(await store.updateScene({ jobId: missingJob, scene: 'Intro', now: at(1000), change })).toBeNull();
        expect(await store.updateScene({ jobId: job.id, scene: 'Nope', now: at(1000), change })).toBeNull();
        expect(change).not.toHaveBeenCalled();
        expect(await store.getJob({ id: missingJob })).toBeNull();
      });

      it('refuses to claim a scene being rendered in parts, long after the handed-over lease would have ended', async () => {
        const job = await inParts();
        expect(await store.claimScene({ jobId: job.id, scene: 'Intro', leaseMs: LEASE_MS, now: at(10 * LEASE_MS) })).toEqual({
          claimed: false,
          reason: 'split',
        });
        // The other scene of the job is claimed as usual.
        expect((await claimed(job.id, 'Outro', at(10 * LEASE_MS))).attempt).toBe(1);
      });

      it('keeps both parts when two are recorded at once', async () => {
        const job = await inParts();
        const [first, second] = await Promise.all([recordPart(job.id, 0, at(2000)), recordPart(job.id, 1, at(2000))]);
        expect(first).not.toBeNull();
        expect(second).not.toBeNull();
        const stored = await sceneOf(job.id, 'Intro');
        expect(stored.split?.parts.map((p) => p.rendered)).toEqual([renderedPart(0), renderedPart(1), undefined]);
        expect(stored.split?.fallback).toBeUndefined();
      });

      it('keeps the listed status in step with a change it makes', async () => {
        const job = await created();
        const lease = await claimed(job.id, 'Intro', at(1000));
        await store.updateScene({
          jobId: job.id,
          scene: 'Intro',
          now: at(1500),
          change: (scene) => startSplitTransition(scene, { token: lease.leaseToken, ranges: RANGES, now: at(1500) }),
        });
        for (const index of [0, 1, 2]) await recordPart(job.id, index, at(2000 + index));
        expect(await listIds({ status: 'rendering' })).toEqual([job.id]);
        const done = await store.updateScene({
          jobId: job.id,
          scene: 'Intro',
          now: at(3000),
          change: (scene) => finishStitchTransition(scene, { output: OUTPUT, logKey: 'jobs/x/Intro/stitch.log', now: at(3000) }),
        });
        expect(done).toMatchObject({ status: 'succeeded', progress: 1, output: OUTPUT });
        expect(await statusOf(job.id)).toBe('succeeded');
        expect(await listIds({ status: 'succeeded' })).toEqual([job.id]);
        expect(await store.countActiveScenes({ owner })).toBe(0);
      });
    });

    describe('scenes of one job', () => {
      it('leaves a scene untouched while another of the same job is claimed, beaten and finished', async () => {
        const job = await created({ scenes: ['Intro', 'Middle', 'Outro'] });
        const untouched = await sceneOf(job.id, 'Outro');
        const lease = await claimed(job.id, 'Intro');
        await store.heartbeatScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, progress: 0.5, leaseMs: LEASE_MS, now: at(1500) });
        await store.finishScene({ jobId: job.id, scene: 'Intro', leaseToken: lease.leaseToken, outcome: { status: 'succeeded', output: OUTPUT }, now: at(2000) });
        await store.failScene({ jobId: job.id, scene: 'Middle', error: SCENE_ERROR, now: at(2100) });
        expect(await sceneOf(job.id, 'Outro')).toEqual(untouched);
        expect((await store.getJob({ id: job.id }))?.scenes.map((s) => s.name)).toEqual(['Intro', 'Middle', 'Outro']);
      });

      it('keeps both updates when two scenes of one job change at once', async () => {
        const job = await created({ scenes: ['Intro', 'Outro'] });
        const [a, b] = await Promise.all([claimed(job.id, 'Intro'), claimed(job.id, 'Outro')]);
        await Promise.all([
          store.finishScene({ jobId: job.id, scene: 'Intro', leaseToken: a.leaseToken, outcome: { status: 'succeeded', output: OUTPUT }, now: at(2000) }),
          store.finishScene({ jobId: job.id, scene: 'Outro', leaseToken: b.leaseToken, outcome: { status: 'failed', error: SCENE_ERROR }, now: at(2000) }),
        ]);
        const scenes = (await store.getJob({ id: job.id }))?.scenes;
        expect(scenes?.map((s) => s.status)).toEqual(['succeeded', 'failed']);
        expect(await statusOf(job.id)).toBe('failed');
      });
    });
  });
}
