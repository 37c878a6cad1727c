import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBlobStore } from '../../../src/adapters/local/file-blob-store';
import { SqliteJobStore } from '../../../src/adapters/local/sqlite-job-store';
import { TASK_PAYLOAD_VERSION } from '../../../src/contracts/task-payload';
import type { JobRecord } from '../../../src/domain/job';
import type { SceneRenderer } from '../../../src/domain/ports/scene-renderer';
import { RetryableTaskError } from '../../../src/domain/retryable-task-error';
import { runRenderTask } from '../../../src/domain/run-render-task';
import type { RunRenderTaskDeps } from '../../../src/domain/render-task-deps';
import { createLogger } from '../../../src/logging/create-logger';

describe('runRenderTask when our side keeps failing', () => {
  let dir: string;
  let jobStore: SqliteJobStore;
  let deps: RunRenderTaskDeps;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-render-task-'));
    jobStore = new SqliteJobStore({ filePath: path.join(dir, 'jobs.sqlite') });
    const now = new Date().toISOString();
    const job: JobRecord = {
      id: 'job1', owner: 'alice', code: 'x', quality: 'low', format: 'mp4', timeoutSeconds: 10, metadata: {},
      scenes: [{ name: 'A', status: 'queued', progress: 0, attempts: 0, updatedAt: now }], createdAt: now, updatedAt: now,
    };
    await jobStore.createJob({ job });
    // Stands for a renderer host that cannot render at all (e.g. a broken disk): render() itself throws.
    const broken: SceneRenderer = {
      render: async () => { throw new Error('disk I/O error'); },
      stitch: async () => { throw new Error('disk I/O error'); },
    };
    deps = {
      jobStore, blobStore: new FileBlobStore({ rootDir: path.join(dir, 'blobs') }), renderer: broken,
      clock: { now: () => new Date() }, logger: createLogger({ level: 'silent' }), heartbeatMs: 1000, leaseMs: 30_000, seed: 0,
    };
  });

  afterEach(() => {
    jobStore.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (retryCount: number) =>
    runRenderTask(deps, {
      task: { type: 'render-scene', version: TASK_PAYLOAD_VERSION, jobId: 'job1', scene: 'A' },
      retryCount,
      maxAttempts: 2,
      signal: new AbortController().signal,
    });

  it('hands the scene back for a retry while attempts remain', async () => {
    await expect(run(0)).rejects.toBeInstanceOf(RetryableTaskError);
    expect((await jobStore.getJob({ id: 'job1' }))?.scenes[0]).toMatchObject({ status: 'queued', attempts: 1 });
  });

  it('fails the scene on the last attempt instead of leaving it queued forever', async () => {
    await expect(run(0)).rejects.toBeInstanceOf(RetryableTaskError);
    await expect(run(1)).resolves.toBeUndefined();
    expect((await jobStore.getJob({ id: 'job1' }))?.scenes[0]).toMatchObject({ status: 'failed', error: { code: 'internal_error' } });
  });

  it("removes what a killed delivery stored after the job was deleted, when the task comes again", async () => {
    // The job was deleted while a delivery rendered; that delivery stored a live segment and died before it could
    // take it back. Its task is delivered again.
    await deps.blobStore.putText({ key: 'jobs/job1/A/live/0.ts', text: 'segment', contentType: 'video/mp2t' });
    await jobStore.deleteJob({ id: 'job1' });
    await expect(run(1)).resolves.toBeUndefined();
    expect(await deps.blobStore.stat({ key: 'jobs/job1/A/live/0.ts' })).toBeNull();
    expect(fs.existsSync(path.join(dir, 'blobs', 'jobs', 'job1', 'A'))).toBe(false);
  });
});
