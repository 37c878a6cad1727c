import fs from 'node:fs';
import path from 'node:path';
import { deleteRenderJob } from '../../domain/delete-render-job';
import type { BlobStore } from '../../domain/ports/blob-store';
import type { Clock } from '../../domain/ports/clock';
import type { TaskQueue } from '../../domain/ports/task-queue';
import type { Logger } from '../../logging/logger';
import type { SqliteJobStore } from './sqlite-job-store';

export interface RetentionReport {
  jobs: number;
  files: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const BATCH = 200;

/**
 * Local mode's retention, like gcp mode's (Firestore's TTL and the bucket's lifecycle): jobs older than
 * `retentionDays` go with their files and logs (as a delete would take them), and project files not uploaded again
 * for as long. The queue's finished tasks and idempotency keys are purged by their own stores. Runs at start and
 * every `intervalMs`, never two at once.
 */
export function startLocalRetention(params: {
  jobStore: SqliteJobStore;
  taskQueue: TaskQueue;
  blobStore: BlobStore;
  /** The file blob store's root: project files are found on disk, under `files/`. */
  blobRoot: string;
  clock: Clock;
  retentionDays: number;
  intervalMs: number;
  logger: Logger;
}): { sweep(): Promise<RetentionReport>; stop(): Promise<void> } {
  let running: Promise<RetentionReport> | undefined;
  const sweepOnce = async (): Promise<RetentionReport> => {
    const cutoff = new Date(params.clock.now().getTime() - params.retentionDays * DAY_MS);
    const report: RetentionReport = { jobs: 0, files: 0 };
    for (;;) {
      const expired = params.jobStore.jobsCreatedBefore({ before: cutoff, limit: BATCH });
      for (const job of expired) {
        await deleteRenderJob(params, job);
        report.jobs++;
      }
      if (expired.length < BATCH) break;
    }
    report.files = removeOldFiles(path.join(params.blobRoot, 'files'), cutoff.getTime());
    if (report.jobs + report.files > 0) params.logger.info('retention removed expired jobs and files', { ...report, retentionDays: params.retentionDays });
    return report;
  };
  const sweep = () => (running ??= sweepOnce().finally(() => (running = undefined)));
  const run = () => sweep().catch((error: Error) => params.logger.error('retention sweep failed', { error: error.message }));
  const first = setTimeout(run, 0);
  const timer = setInterval(run, params.intervalMs);
  first.unref();
  timer.unref();
  return {
    sweep,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** Project files (`files/<owner>/<sha256>` and their `.meta.json`) last written before `cutoffMs`. */
function removeOldFiles(root: string, cutoffMs: number): number {
  let removed = 0;
  for (const owner of safeReaddir(root)) {
    const dir = path.join(root, owner);
    for (const name of safeReaddir(dir)) {
      if (name.endsWith('.meta.json') || name.endsWith('.partial')) continue;
      const file = path.join(dir, name);
      try {
        if (fs.lstatSync(file).mtimeMs >= cutoffMs) continue;
        fs.rmSync(file, { force: true });
        fs.rmSync(`${file}.meta.json`, { force: true });
        removed++;
      } catch {
        // gone meanwhile
      }
    }
  }
  return removed;
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
