import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { childrenOf, cmdlineOf } from './proc-tree';
import { settings } from './settings';
import type { JobView } from './types';

export const REPO = path.resolve(__dirname, '..', '..', '..');
const MAIN = path.join(REPO, 'dist', 'main.js');

/** One 'render outcome' line of the renderer's log: what the worker took, timed by the renderer itself. */
export interface RenderOutcome {
  jobId: string;
  scene: string;
  outcome: string;
  renderSeconds: number;
  at: number;
}

/**
 * The built service (`node dist/main.js`, local mode) as a child process of the benchmark, on a free port and a
 * fresh data dir: the way `npm start` runs it, so that its process tree (and the memory and CPU of its workers)
 * can be measured apart from the benchmark's own. Its JSON log lines are read for the renderer's own timing.
 */
export class ServiceProcess {
  private readonly outcomes: RenderOutcome[] = [];
  private readonly waiters: Array<() => void> = [];
  private constructor(
    readonly url: string,
    readonly child: ChildProcess,
    readonly dataDir: string,
    private readonly exited: Promise<void>,
    private readonly stderrTail: () => string,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  static async start(
    settings: Record<string, string> = {},
    options: { readLogs?: boolean; prepare?: (dataDir: string) => Promise<void>; nodeArgs?: string[] } = {},
  ): Promise<ServiceProcess> {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-bench-'));
    await options.prepare?.(dataDir);
    const port = await freePort();
    const readLogs = options.readLogs ?? true;
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        ...settings,
      },
      // Without our reading them the logs still cost the service what they cost in production: formatted, written.
      stdio: ['ignore', readLogs ? 'pipe' : 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr!.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Whatever happens to the benchmark, its services do not outlive it.
    const onExit = () => child.kill('SIGKILL');
    process.once('exit', onExit);
    void exited.then(() => process.removeListener('exit', onExit));
    const service = new ServiceProcess(`http://127.0.0.1:${port}`, child, dataDir, exited, () => tail);
    if (readLogs) {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => service.onLogLine(line));
    }
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + 90_000;
    let readiness = 'no answer';
    for (;;) {
      if (gone) {
        fs.rmSync(dataDir, { recursive: true, force: true });
        throw new Error(`the service exited during start-up:\n${tail}`);
      }
      if (Date.now() > deadline) {
        await service.stop();
        throw new Error(`the service was not ready within 90 s: /readyz ${readiness}\n${tail}`);
      }
      try {
        const res = await fetch(`${service.url}/readyz`);
        if (res.ok) return service;
        readiness = `${res.status} ${await res.text()}`;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private onLogLine(line: string): void {
    if (settings.serviceLog) fs.appendFileSync(settings.serviceLog, `${line}\n`);
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (entry.message !== 'render outcome') return;
    this.outcomes.push({
      jobId: String(entry.jobId),
      scene: String(entry.scene),
      outcome: String(entry.outcome),
      renderSeconds: Number(entry.renderSeconds),
      at: Date.now(),
    });
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The renderer's 'render outcome' line for a scene; waits a little for it, since the log can trail the API. */
  async outcomeOf(jobId: string, scene: string, timeoutMs = 5000): Promise<RenderOutcome | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.outcomes.find((o) => o.jobId === jobId && o.scene === scene);
      if (found || Date.now() > deadline) return found;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Jobs whose 'render outcome' lines were read so far (for error messages). */
  outcomeIds(): string[] {
    return this.outcomes.map((o) => o.jobId);
  }

  /** The worker process trees under the service (each a sandbox supervisor, or a bare worker without the sandbox). */
  workerRoots(): number[] {
    return childrenOf(this.pid).filter((pid) => /supervisor\.py|manim_worker\.render/.test(cmdlineOf(pid)));
  }

  async request(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.url}${route}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async getJob(id: string): Promise<JobView> {
    const res = await this.request('GET', `/v1/renders/${id}`);
    if (res.status !== 200) throw new Error(`GET ${id}: ${res.status} ${await res.text()}`);
    return (await res.json()) as JobView;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const escalate = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(escalate);
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  errorOutput(): string {
    return this.stderrTail();
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
