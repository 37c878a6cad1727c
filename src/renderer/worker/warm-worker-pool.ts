import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../logging/logger';
import type { WorkerKind } from './python-launch';
import { WorkerProcess, type WorkerLaunch } from './worker-process';

/** A worker handed to one job, with the directory it may write. `release` kills it and removes the directory. */
export interface LeasedWorker {
  worker: WorkerProcess;
  /** Its directory on the host: what the service reads and writes. */
  workDir: string;
  /** The same directory as the worker sees it: what a job's paths name. */
  jobDir: string;
  release(): Promise<void>;
}

/**
 * Keeps workers started ahead of the next jobs (Python running, Manim imported), one per job that can run at once,
 * so a job does not wait for start-up. Each worker still serves exactly one job in its own fresh directory.
 */
export class WarmWorkerPool {
  private readonly spares: LeasedWorker[] = [];
  /** Render spares still importing Manim. */
  private readonly starting = new Set<LeasedWorker>();
  /** A stitch worker kept started too (a sandbox launch is most of a join's time); light, so it starts any time. */
  private stitchSpare: LeasedWorker | undefined;
  /** A reader kept started (every output is described by one); light too. */
  private readerSpare: LeasedWorker | undefined;
  private busy = 0;
  private closed = false;

  constructor(
    private readonly params: {
      workRoot: string;
      /** `spare`: started ahead of a job, to run below the renders beside it until it is taken. */
      makeLaunch: (workDir: string, kind: WorkerKind, spare: boolean) => WorkerLaunch;
      /** Where a worker sees its directory (the sandbox binds it at a fixed path); the host path by default. */
      jobDirOf?: (workDir: string) => string;
      /** Workers kept started ahead: the jobs that can run at once (0: start each worker with its job). */
      spares: number;
      /** Keep a stitch worker started too (where scenes are split). */
      stitchSpare?: boolean;
      /** Keep a reader (describe.py) started too: one reads every output. */
      readerSpare?: boolean;
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
    while (!this.closed && this.spares.length < this.params.spares && this.busy < cores) {
      const spare = this.startWorker('render', true);
      this.spares.push(spare);
      this.starting.add(spare);
      void spare.worker.ready
        .catch(() => undefined)
        .finally(() => {
          this.starting.delete(spare);
          this.warmUp();
        });
    }
    // The light spares (stitch, reader) start once no render spare is importing Manim: on a machine of two cores
    // they would slow the import, and with it the next render, which needs the render spare first.
    if (this.starting.size > 0) return;
    if (!this.closed && this.params.stitchSpare && !this.stitchSpare) this.stitchSpare = this.startWorker('stitch');
    if (!this.closed && this.params.readerSpare && !this.readerSpare) this.readerSpare = this.startWorker('describe');
  }

  /** Settles once the spare workers started so far are ready to take a job (or failed to start). */
  async whenWarm(): Promise<void> {
    await Promise.allSettled(this.spares.map((spare) => spare.worker.ready));
    const light = [this.stitchSpare, this.readerSpare].filter((spare) => spare !== undefined);
    await Promise.allSettled(light.map((spare) => spare.worker.ready));
  }

  /**
   * A render worker: the spare started longest ago (the likeliest to be ready), or a new one. The replacement starts
   * now if this was the last spare, else when a worker is released: a spare starting now would take CPU from the
   * renders running while there is still one ready.
   */
  take(): LeasedWorker {
    const spare = this.spares.shift();
    spare?.worker.promote();
    const taken = spare ?? this.startWorker('render');
    this.busy++;
    if (this.spares.length === 0) this.warmUp();
    return this.lease(taken);
  }

  /** A worker for a stitch job: the stitch spare, or one started now (ready in a fraction of a render worker's time). */
  takeStitcher(): LeasedWorker {
    const spare = this.stitchSpare;
    this.stitchSpare = undefined;
    if (!spare) return this.startOneOff('stitch');
    this.busy++;
    return this.lease(spare);
  }

  /** A worker that reads one output in a sandbox of its own (describe.py): the reader spare, or one started now. */
  takeReader(): LeasedWorker {
    const spare = this.readerSpare;
    this.readerSpare = undefined;
    if (!spare) return this.startOneOff('describe');
    this.busy++;
    return this.lease(spare);
  }

  /** A worker of any kind, started now for one job of the service's own. */
  startOneOff(kind: WorkerKind): LeasedWorker {
    this.busy++;
    return this.lease(this.startWorker(kind));
  }

  private lease(taken: LeasedWorker): LeasedWorker {
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
    const spares = [...this.spares.splice(0), ...[this.stitchSpare, this.readerSpare].filter((spare) => spare !== undefined)];
    this.stitchSpare = undefined;
    this.readerSpare = undefined;
    await Promise.all(spares.map((spare) => spare.release()));
  }

  private startWorker(kind: WorkerKind = 'render', spare = false): LeasedWorker {
    const workDir = path.join(this.params.workRoot, `w-${randomUUID()}`);
    fs.mkdirSync(workDir, { mode: 0o700 });
    const worker = new WorkerProcess(this.params.makeLaunch(workDir, kind, spare), {
      logCapBytes: this.params.logCapBytes,
      startupTimeoutMs: this.params.startupTimeoutMs,
    });
    worker.ready.catch((error: Error) => this.params.logger.warn('render worker failed to start', { error: error.message }));
    return {
      worker,
      workDir,
      jobDir: this.params.jobDirOf?.(workDir) ?? workDir,
      release: async () => {
        await worker.kill();
        await fs.promises.rm(workDir, { recursive: true, force: true });
      },
    };
  }
}
