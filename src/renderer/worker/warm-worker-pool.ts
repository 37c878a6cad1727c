import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../logging/logger';
import { WorkerProcess, type WorkerLaunch } from './worker-process';

/** A worker handed to one job, with the directory it may write. `release` kills it and removes the directory. */
export interface LeasedWorker {
  worker: WorkerProcess;
  workDir: string;
  release(): Promise<void>;
}

/**
 * Keeps one worker started ahead of the next job (Python running, Manim imported), so a job does not wait for
 * start-up. Each worker still serves exactly one job in its own fresh directory.
 */
export class WarmWorkerPool {
  private spare: LeasedWorker | undefined;
  private closed = false;

  constructor(
    private readonly params: {
      workRoot: string;
      makeLaunch: (workDir: string) => WorkerLaunch;
      keepWarm: boolean;
      logCapBytes: number;
      startupTimeoutMs: number;
      logger: Logger;
    },
  ) {
    fs.mkdirSync(params.workRoot, { recursive: true, mode: 0o700 });
  }

  /** Starts the spare worker now (e.g. at boot) rather than on the first job. */
  warmUp(): void {
    if (this.params.keepWarm && !this.spare && !this.closed) this.spare = this.startWorker();
  }

  take(): LeasedWorker {
    const taken = this.spare ?? this.startWorker();
    this.spare = undefined;
    this.warmUp();
    return taken;
  }

  async close(): Promise<void> {
    this.closed = true;
    const spare = this.spare;
    this.spare = undefined;
    await spare?.release();
  }

  private startWorker(): LeasedWorker {
    const workDir = path.join(this.params.workRoot, `w-${randomUUID()}`);
    fs.mkdirSync(workDir, { mode: 0o700 });
    const worker = new WorkerProcess(this.params.makeLaunch(workDir), {
      logCapBytes: this.params.logCapBytes,
      startupTimeoutMs: this.params.startupTimeoutMs,
    });
    worker.ready.catch((error: Error) => this.params.logger.warn('render worker failed to start', { error: error.message }));
    return {
      worker,
      workDir,
      release: async () => {
        await worker.kill();
        await fs.promises.rm(workDir, { recursive: true, force: true });
      },
    };
  }
}
