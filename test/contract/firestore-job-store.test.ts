import { randomUUID } from 'node:crypto';
import { Firestore, Timestamp } from '@google-cloud/firestore';
import { FirestoreJobStore } from '../../src/adapters/google/firestore-job-store';
import { summariseJobStatus } from '../../src/domain/job-status';
import type { JobRecord } from '../../src/domain/job';
import { startEmulators, type Emulators } from '../support/emulators';
import { describeJobStoreContract } from './job-store-contract';

// The Firestore emulator, started once for this file. Each suite gets its own project id: the emulator keeps
// projects apart, so parallel test files never see each other's documents.
let emulators: Emulators<'firestore'>;
const stores: FirestoreJobStore[] = [];

// The emulator runs on a JVM: its first requests are slow, and a busy machine makes every request slower.
jest.setTimeout(20_000);

beforeAll(async () => {
  emulators = await startEmulators('firestore');
  // Pay the JVM's warm-up here rather than in the first test.
  await newStore(`warm-up-${randomUUID().slice(0, 8)}`).getJob({ id: 'warm-up' });
}, 60_000);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await emulators?.stop();
});

function newStore(projectId: string, retentionDays?: number): FirestoreJobStore {
  const store = new FirestoreJobStore({ projectId, emulatorHost: emulators.firestoreHost, retentionDays });
  stores.push(store);
  return store;
}

const contractProject = `contract-${randomUUID().slice(0, 8)}`;
let contractStore: FirestoreJobStore | undefined;

// One client for the whole contract: the contract makes fresh ids and owners per test, so nothing leaks between them.
describeJobStoreContract('FirestoreJobStore (emulator)', async () => {
  contractStore ??= newStore(contractProject);
  return { store: contractStore, cleanup: async () => undefined };
});

describe('FirestoreJobStore layout', () => {
  const projectId = `layout-${randomUUID().slice(0, 8)}`;
  const T0 = Date.parse('2030-01-01T00:00:00.000Z');
  const at = (ms: number) => new Date(T0 + ms);
  let store: FirestoreJobStore;
  let db: Firestore;

  beforeAll(() => {
    store = newStore(projectId, 7);
    // A second client reads the raw documents, as the Firestore console would show them.
    db = new Firestore({ projectId, host: emulators.firestoreHost, ssl: false });
  });

  afterAll(async () => {
    await db.terminate();
  });

  afterEach(async () => {
    // The emulator's reset endpoint clears this project's documents only.
    const res = await fetch(`http://${emulators.firestoreHost}/emulator/v1/projects/${projectId}/databases/(default)/documents`, { method: 'DELETE' });
    expect(res.status).toBe(200);
  });

  function newJob(scenes: string[], fields: Partial<JobRecord> = {}): JobRecord {
    const created = at(0).toISOString();
    return {
      id: `job${randomUUID().replace(/-/g, '')}`,
      owner: 'alice',
      code: 'from manim import *\n',
      quality: 'low',
      format: 'mp4',
      timeoutSeconds: 60,
      metadata: {},
      scenes: scenes.map((name) => ({ name, status: 'queued', progress: 0, attempts: 0, updatedAt: created })),
      createdAt: created,
      updatedAt: created,
      ...fields,
    };
  }

  it('keeps the job in renderJobs/{id} with sortable times, a TTL date and its scene names in order', async () => {
    const job = newJob(['Outro', 'Intro']);
    await store.createJob({ job });
    const doc = (await db.doc(`renderJobs/${job.id}`).get()).data()!;
    expect(doc).toMatchObject({ owner: 'alice', status: 'queued', activeScenes: 2, sceneNames: ['Outro', 'Intro'], code: job.code });
    expect(doc.createdAt).toBeInstanceOf(Timestamp);
    expect((doc.createdAt as Timestamp).toDate().toISOString()).toBe(job.createdAt);
    expect((doc.expireAt as Timestamp).toMillis()).toBe(T0 + 7 * 24 * 3600 * 1000);
    const scenes = await db.collection(`renderJobs/${job.id}/scenes`).get();
    expect(scenes.docs.map((d) => d.id).sort()).toEqual(['Intro', 'Outro']);
    expect(scenes.docs[0]!.get('expireAt')).toEqual(doc.expireAt);
  });

  it('writes only the scene document on a heartbeat', async () => {
    const job = newJob(['Intro', 'Outro']);
    await store.createJob({ job });
    const claim = await store.claimScene({ jobId: job.id, scene: 'Intro', leaseMs: 30_000, now: at(1000) });
    if (!claim.claimed) throw new Error('setup: claim refused');
    const before = await db.getAll(db.doc(`renderJobs/${job.id}`), db.doc(`renderJobs/${job.id}/scenes/Outro`));
    await store.heartbeatScene({ jobId: job.id, scene: 'Intro', leaseToken: claim.leaseToken, progress: 0.5, leaseMs: 30_000, now: at(2000) });
    const after = await db.getAll(db.doc(`renderJobs/${job.id}`), db.doc(`renderJobs/${job.id}/scenes/Outro`));
    expect(after.map((s) => s.updateTime)).toEqual(before.map((s) => s.updateTime));
    // The job still reports the change: its updatedAt is the latest of its scenes'.
    expect((await store.getJob({ id: job.id }))?.updatedAt).toBe(at(2000).toISOString());
  });

  it('keeps the listed status right when many scenes of one job finish at the same moment', async () => {
    const names = ['A', 'B', 'C', 'D', 'E', 'F'];
    const job = newJob(names);
    await store.createJob({ job });
    const leases = await Promise.all(names.map((scene) => store.claimScene({ jobId: job.id, scene, leaseMs: 30_000, now: at(1000) })));
    expect(leases.every((l) => l.claimed)).toBe(true);
    const finished = await Promise.all(
      names.map((scene, i) => {
        const lease = leases[i]!;
        if (!lease.claimed) throw new Error('unreachable');
        return store.finishScene({
          jobId: job.id,
          scene,
          leaseToken: lease.leaseToken,
          outcome: i === 3 ? { status: 'failed', error: { code: 'scene_error', message: 'boom' } } : { status: 'succeeded', output: { blobKey: 'k', contentType: 'video/mp4', bytes: 1, durationSeconds: 1, width: 1, height: 1 } },
          now: at(2000),
        });
      }),
    );
    expect(finished).toEqual(names.map(() => true));
    const stored = await store.getJob({ id: job.id });
    expect(stored?.scenes.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'failed', 'succeeded', 'succeeded']);
    const doc = (await db.doc(`renderJobs/${job.id}`).get()).data()!;
    expect(doc).toMatchObject({ status: summariseJobStatus(stored!.scenes), activeScenes: 0 });
    expect((await store.listJobs({ owner: 'alice', status: 'failed', pageSize: 10 })).jobs.map((j) => j.id)).toEqual([job.id]);
  });

  it('lets exactly one of many concurrent claimers win', async () => {
    const job = newJob(['Intro']);
    await store.createJob({ job });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => store.claimScene({ jobId: job.id, scene: 'Intro', leaseMs: 30_000, now: at(1000) })),
    );
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    expect((await store.getJob({ id: job.id }))?.scenes[0]?.attempts).toBe(1);
  });

  it('stores metadata keys and scene names that Firestore reserves as field names or ids', async () => {
    const job = newJob(['__Magic__', 'Intro'], { metadata: { __x__: 'reserved', 'a.b': 'dotted', 'x/y': 'slashed' } });
    await store.createJob({ job });
    expect(await store.getJob({ id: job.id })).toEqual(job);
    expect((await store.claimScene({ jobId: job.id, scene: '__Magic__', leaseMs: 30_000, now: at(1000) })).claimed).toBe(true);
  });

  it('refuses a second job with an id already taken, keeping the first', async () => {
    const job = newJob(['Intro']);
    await store.createJob({ job });
    await expect(store.createJob({ job: { ...job, owner: 'mallory' } })).rejects.toMatchObject({ code: 'conflict' });
    expect((await store.getJob({ id: job.id }))?.owner).toBe('alice');
  });

  it('deletes the scene documents with the job', async () => {
    const job = newJob(['Intro', 'Outro']);
    await store.createJob({ job });
    expect(await store.deleteJob({ id: job.id })).toBe(true);
    expect((await db.collection(`renderJobs/${job.id}/scenes`).get()).empty).toBe(true);
  });
});
