import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBlobStore } from '../../../src/adapters/local/file-blob-store';
import { startLocalRetention } from '../../../src/adapters/local/local-retention';
import { LocalTaskQueue } from '../../../src/adapters/local/local-task-queue';
import { SqliteJobStore } from '../../../src/adapters/local/sqlite-job-store';
import { outputKey } from '../../../src/domain/blob-keys';
import { projectFileKey } from '../../../src/domain/project-files/project-file-keys';
import { createLogger } from '../../../src/logging/create-logger';
import { jobRecord } from '../../support/job-record';

const DAY = 24 * 3600 * 1000;

describe('local retention: what gcp mode expires by TTL and lifecycle, local mode sweeps', () => {
  let dir: string;
  let jobStore: SqliteJobStore;
  let taskQueue: LocalTaskQueue;
  let blobStore: FileBlobStore;
  const now = Date.parse('2030-06-01T00:00:00.000Z');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-'));
    jobStore = new SqliteJobStore({ filePath: path.join(dir, 'jobs.sqlite') });
    taskQueue = new LocalTaskQueue({ filePath: path.join(dir, 'tasks.sqlite'), concurrency: 1, retry: { maxAttempts: 1, minBackoffMs: 1, maxBackoffMs: 1 }, logger: createLogger({ level: 'silent' }) });
    blobStore = new FileBlobStore({ rootDir: path.join(dir, 'blobs') });
  });

  afterEach(() => {
    taskQueue.close();
    jobStore.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function jobAt(id: string, createdAt: number): Promise<void> {
    await jobStore.createJob({ job: jobRecord({ id, owner: 'alice', code: 'x', at: new Date(createdAt), status: 'succeeded' }) });
    await blobStore.putText({ key: outputKey(id, 'A', 'mp4'), text: 'video', contentType: 'video/mp4' });
  }

  it('removes jobs older than the retention with their files, and project files not uploaded again as long', async () => {
    await jobAt('old1', now - 31 * DAY);
    await jobAt('new1', now - 29 * DAY);
    const oldFile = projectFileKey('alice', 'a'.repeat(64));
    const newFile = projectFileKey('alice', 'b'.repeat(64));
    await blobStore.putBytes({ key: oldFile, bytes: Buffer.from('old'), contentType: 'text/plain; charset=utf-8' });
    await blobStore.putBytes({ key: newFile, bytes: Buffer.from('new'), contentType: 'text/plain; charset=utf-8' });
    const stale = new Date(now - 40 * DAY);
    fs.utimesSync(path.join(dir, 'blobs', ...oldFile.split('/')), stale, stale);
    const fresh = new Date(now - DAY);
    fs.utimesSync(path.join(dir, 'blobs', ...newFile.split('/')), fresh, fresh);

    const retention = startLocalRetention({
      jobStore,
      taskQueue,
      blobStore,
      blobRoot: path.join(dir, 'blobs'),
      clock: { now: () => new Date(now) },
      retentionDays: 30,
      intervalMs: 3600_000,
      logger: createLogger({ level: 'silent' }),
    });
    try {
      expect(await retention.sweep()).toEqual({ jobs: 1, files: 1 });
      expect(await jobStore.getJob({ id: 'old1' })).toBeNull();
      expect(await jobStore.getJob({ id: 'new1' })).not.toBeNull();
      expect(fs.existsSync(path.join(dir, 'blobs', 'jobs', 'old1'))).toBe(false);
      expect(await blobStore.stat({ key: outputKey('new1', 'A', 'mp4') })).not.toBeNull();
      expect(await blobStore.stat({ key: oldFile })).toBeNull();
      expect(await blobStore.stat({ key: newFile })).not.toBeNull();
      expect(await retention.sweep()).toEqual({ jobs: 0, files: 0 });
    } finally {
      await retention.stop();
    }
  });
});
