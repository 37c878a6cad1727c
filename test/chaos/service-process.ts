import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/**
 * The built service (`node dist/main.js`) as a process of its own, so the suite can SIGKILL it at any moment, and
 * restarted whenever it dies until told to stop. Its stderr is kept: the fault points say there where they fired.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private stopped = false;
  /** Times it died and was started again. */
  restarts = 0;
  /** Faults the service reported (`point.<fault point>`, `duplicate-delivery.<at-once|late>`), by kind. */
  readonly faultsFired: Record<string, number> = {};
  private log: fs.WriteStream;

  constructor(
    readonly url: string,
    private env: Record<string, string>,
    logFile: string,
  ) {
    this.log = fs.createWriteStream(logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.spawn();
    await this.ready();
  }

  /** Replaces the settings for the next start (the faults are switched off for the drain). */
  setEnv(env: Record<string, string>): void {
    this.env = env;
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Waits until the service answers /readyz with 200. */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await fetch(`${this.url}/readyz`)).status === 200) return;
      } catch {
        // starting, or between a death and its restart
      }
      if (Date.now() > deadline) throw new Error(`the service at ${this.url} was not ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private spawn(): void {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...this.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    let pending = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      this.log.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const fired = /^\[fault\] (?:SIGKILL at (\S+)|duplicate delivery (\S+))/.exec(line);
        const kind = fired && (fired[1] ? `point.${fired[1]}` : `duplicate-delivery.${fired[2]}`);
        if (kind) this.faultsFired[kind] = (this.faultsFired[kind] ?? 0) + 1;
      }
    });
    child.once('exit', () => {
      if (this.stopped || this.child !== child) return;
      this.restarts++;
      setTimeout(() => {
        if (!this.stopped) this.spawn();
      }, 200);
    });
  }
}

/** The sandboxed render workers of the service whose data lives in `dataDir`: the Python processes under its supervisors. */
function renderWorkerPids(dataDir: string): number[] {
  const procs = new Map<number, { ppid: number; cmdline: string[] }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      procs.set(Number(entry), { ppid, cmdline });
    } catch {
      // gone while we looked
    }
  }
  const underService = (pid: number): boolean => {
    for (let p = procs.get(pid)?.ppid, hops = 0; p && hops < 10; p = procs.get(p)?.ppid, hops++) {
      if (procs.get(p)?.cmdline.some((arg) => arg.includes(dataDir))) return true;
    }
    return false;
  };
  return [...procs].filter(([pid, p]) => p.cmdline.slice(-2).join(' ') === '-m manim_worker.render' && underService(pid)).map(([pid]) => pid);
}

/**
 * SIGKILLs one of the service's render workers, if it has any: the fault of a worker dying mid-render. A worker that
 * ended between the listing and the kill (ESRCH) was simply not there to kill.
 */
export function killRenderWorker(dataDir: string, pick: (pids: number[]) => number): void {
  const workers = renderWorkerPids(dataDir);
  if (workers.length === 0) return;
  try {
    process.kill(pick(workers), 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
