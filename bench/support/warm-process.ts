import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { PYTHON } from './cli-render';
import { REPO } from './service-process';

const DRIVER = path.join(REPO, 'bench', 'support', 'warm_render.py');

export interface PartJob {
  code: string;
  scene: string;
  quality: 'low' | 'high';
  plan: boolean;
  render: boolean;
  from?: number;
  upto?: number;
}

export interface PartDone {
  wallMs: number;
  planSeconds?: number;
  renderSeconds?: number;
  /** CPU time the job used (plan and/or render, the process's threads and waited-for children). */
  cpuSeconds: number;
  planCpuSeconds?: number;
  durations?: number[];
  file?: string;
}

/**
 * A warm render process (bench/support/warm_render.py): Python up and Manim imported before its one job, in its own
 * fresh directory and with the environment the service gives its workers, but outside the sandbox.
 */
export class WarmProcess {
  readonly ready: Promise<void>;
  readonly workDir: string;
  private readonly child: ChildProcess;
  private readonly lines: Array<Record<string, unknown>> = [];
  private wake: (() => void) | undefined;
  private stderr = '';

  constructor() {
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-split-bench-'));
    this.child = spawn(PYTHON, [DRIVER], {
      cwd: this.workDir,
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        PYTHONPATH: path.join(REPO, 'python'),
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONUNBUFFERED: '1',
        HOME: this.workDir,
        XDG_CACHE_HOME: `${this.workDir}/.cache`,
        MPLCONFIGDIR: `${this.workDir}/.cache/matplotlib`,
        TMPDIR: this.workDir,
        LANG: 'C.UTF-8',
        OMP_NUM_THREADS: '1',
        OPENBLAS_NUM_THREADS: '1',
        MKL_NUM_THREADS: '1',
        NUMEXPR_NUM_THREADS: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-3000)));
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith('@@bench ')) return;
      this.lines.push(JSON.parse(line.slice(8)) as Record<string, unknown>);
      this.wake?.();
    });
    this.child.once('exit', () => this.wake?.());
    const onExit = () => this.child.kill('SIGKILL');
    process.once('exit', onExit);
    this.child.once('exit', () => process.removeListener('exit', onExit));
    this.ready = this.next('ready').then(() => undefined);
    this.ready.catch(() => undefined); // seen by whoever awaits it; never an unhandled rejection
  }

  get pid(): number {
    return this.child.pid!;
  }

  private async next(type: string): Promise<Record<string, unknown>> {
    for (;;) {
      const index = this.lines.findIndex((l) => l.type === type);
      if (index >= 0) return this.lines.splice(index, 1)[0]!;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the warm render process exited before '${type}':\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Hands the job over and waits for its one answer; wall time from handing over to the answer. */
  async run(job: PartJob): Promise<PartDone> {
    await this.ready;
    const outputDir = path.join(this.workDir, 'media');
    const t0 = performance.now();
    this.child.stdin!.write(`${JSON.stringify({ ...job, outputDir, from: job.from ?? null, upto: job.upto ?? null })}\n`);
    const done = await this.next('done');
    return {
      wallMs: performance.now() - t0,
      planSeconds: done.planSeconds as number | undefined,
      renderSeconds: done.renderSeconds as number | undefined,
      cpuSeconds: done.cpuSeconds as number,
      planCpuSeconds: done.planCpuSeconds as number | undefined,
      durations: done.durations as number[] | undefined,
      file: done.file as string | undefined,
    };
  }

  /** Kills the process if still there and removes its directory (and what it rendered). */
  dispose(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}
