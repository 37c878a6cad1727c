import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteJobStore } from '../../src/adapters/local/sqlite-job-store';
import type { JobRecord } from '../../src/domain/job';
import { describeJobStoreContract } from './job-store-contract';

describeJobStoreContract('SqliteJobStore', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-job-store-'));
  const store = new SqliteJobStore({ filePath: path.join(dir, 'jobs.sqlite') });
  return {
    store,
    async cleanup() {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteJobStore', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-job-store-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps jobs and their scene states across closing and reopening the file', async () => {
    const filePath = path.join(dir, 'nested', 'jobs.sqlite');
    const now = '2030-01-01T00:00:00.000Z';
    const job: JobRecord = {
      id: 'job1',
      owner: 'alice',
      code: 'print(1)',
      quality: 'high',
      format: 'webm',
      timeoutSeconds: 60,
      metadata: { a: 'b' },
      scenes: [
        { name: 'A', status: 'queued', progress: 0, attempts: 0, updatedAt: now },
        { name: 'B', status: 'queued', progress: 0, attempts: 0, updatedAt: now },
      ],
      createdAt: now,
      updatedAt: now,
    };
    const first = new SqliteJobStore({ filePath });
    await first.createJob({ job });
    const claim = await first.claimScene({ jobId: 'job1', scene: 'B', leaseMs: 30_000, now: new Date(now) });
    first.close();

    const second = new SqliteJobStore({ filePath });
    try {
      const reopened = await second.getJob({ id: 'job1' });
      expect(reopened).toEqual(claim.claimed && claim.job);
      expect(reopened?.scenes.map((s) => s.status)).toEqual(['queued', 'rendering']);
      expect((await second.listJobs({ owner: 'alice', status: 'rendering', pageSize: 10 })).jobs.map((j) => j.id)).toEqual(['job1']);
    } finally {
      second.close();
    }
  });

  it('refuses a second job with an id already taken', async () => {
    const store = new SqliteJobStore({ filePath: path.join(dir, 'jobs.sqlite') });
    try {
      const now = '2030-01-01T00:00:00.000Z';
      const job: JobRecord = {
        id: 'dup',
        owner: 'alice',
        code: 'x',
        quality: 'low',
        format: 'mp4',
        timeoutSeconds: 60,
        metadata: {},
        scenes: [{ name: 'A', status: 'queued', progress: 0, attempts: 0, updatedAt: now }],
        createdAt: now,
        updatedAt: now,
      };
      await store.createJob({ job });
      await expect(store.createJob({ job: { ...job, owner: 'mallory' } })).rejects.toThrow();
      expect((await store.getJob({ id: 'dup' }))?.owner).toBe('alice');
    } finally {
      store.close();
    }
  });
});

describe('SqliteJobStore on a database from before active_scenes', () => {
  it('adds and fills the column, so the concurrency quota counts existing jobs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-job-store-migrate-'));
    const file = path.join(dir, 'jobs.sqlite');
    try {
      // The schema as it was, with one job of two scenes, one still queued.
      const old = new DatabaseSync(file);
      old.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, record TEXT NOT NULL);
        CREATE TABLE scenes (job_id TEXT NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (job_id, name));`);
      const at = '2026-01-01T00:00:00.000Z';
      old.prepare('INSERT INTO jobs VALUES (?, ?, ?, ?, ?)').run('j1', 'alice', 'rendering', at, JSON.stringify({ id: 'j1', owner: 'alice', createdAt: at, updatedAt: at }));
      old.prepare('INSERT INTO scenes VALUES (?, ?, ?, ?)').run('j1', 0, 'A', JSON.stringify({ name: 'A', status: 'succeeded', progress: 1, attempts: 1, updatedAt: at }));
      old.prepare('INSERT INTO scenes VALUES (?, ?, ?, ?)').run('j1', 1, 'B', JSON.stringify({ name: 'B', status: 'queued', progress: 0, attempts: 0, updatedAt: at }));
      old.close();

      const store = new SqliteJobStore({ filePath: file });
      expect(await store.countActiveScenes({ owner: 'alice' })).toBe(1);
      store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
