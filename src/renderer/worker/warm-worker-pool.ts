import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
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
 * Keeps workers started ahead of the next jobs (Python running, Manim imported), one per job that can run at once,
 * so a job does not wait for start-up. Each worker still serves exactly one job in its own fresh directory.
 */
export class WarmWorkerPool {
  private readonly spares: LeasedWorker[] = [];
  private busy = 0;
  private closed = false;

  constructor(
    private readonly params: {
      workRoot: string;
      makeLaunch: (workDir: string) => WorkerLaunch;
      /** Workers kept started ahead: the jobs that can run at once (0: start each worker with its job). */
      spares: number;
      /** Cores of the machine: a spare starts only while a core is not rendering (default: all of this one's). */
      cores?: number;
      logCapBytes: number;
      startupTimeoutMs: number;
      logger: Logger;
    },
  ) {
    fs.mkdirSync(params.workRoot, { recursive: true, mode: 0o700 });
  }

  /**
   * Starts spare workers up to the number wanted, while fewer workers render than the machine has cores: starting
   * one (Python, `import manim`) takes a core for about a second, which a render on every core would pay for.
   * Called at boot, when a worker is taken and when one is released.
   */
  warmUp(): void {
    const cores = this.params.cores ?? os.availableParallelism();
    while (!this.closed && this.spares.length < this.params.spares && this.busy < cores) this.spares.push(this.startWorker());
  }

  /** The spare started longest ago (the likeliest to be ready), or a new worker; a replacement starts if it can. */
  take(): LeasedWorker {
    const taken = this.spares.shift() ?? this.startWorker();
    this.busy++;
    this.warmUp();
    let released = false;
    return {
      ...taken,
      release: async () => {
        if (released) return;
        released = true;
        await taken.release();
        this.busy--;
        this.warmUp();
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const spares = this.spares.splice(0);
    await Promise.all(spares.map((spare) => spare.release()));
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
