import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import {
  MAX_WORKER_LINE_BYTES,
  workerMessageSchema,
  type WorkerJob,
  type WorkerMessage,
} from '../../contracts/worker-messages';
import type { SandboxUsage } from '../../domain/costs/resource-usage';
import type { PlanVerdict } from '../../domain/ports/scene-renderer';
import { CappedLog } from './capped-log';
import { LineSplitter } from './line-splitter';
import { readSandboxUsage } from './sandbox-usage-report';

/** How to start a worker: the command (possibly a sandbox launcher wrapping Python) and its whole environment. */
export interface WorkerLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Called once the process has exited (a sandbox gives back what it held, its uid). */
  onExit?: () => void;
  /** The process (a sandbox's supervisor) reports what the worker used as one JSON line on this descriptor. */
  usageFd?: number;
  /** Sent to the process once its job has come, for a spare started below the renders beside it. */
  promoteSignal?: NodeJS.Signals;
}

export type ReadyMessage = Extract<WorkerMessage, { type: 'ready' }>;
export type PlanMessage = Extract<WorkerMessage, { type: 'plan' }>;
export type WorkerMedia = NonNullable<Extract<WorkerMessage, { type: 'result' }>['media']>;

/** How one job on a worker ended, as seen from outside the worker. */
export type WorkerOutcome =
  | { kind: 'result'; file: string; media?: WorkerMedia; sound?: boolean }
  | { kind: 'error'; error: Extract<WorkerMessage, { type: 'error' }> }
  | { kind: 'timeout'; seconds: number }
  | { kind: 'cancelled' }
  /** The plan gate said not to render (the scene is split instead). */
  | { kind: 'stopped' }
  | { kind: 'crashed'; stage: 'startup' | 'job'; exitCode: number | null; signal: NodeJS.Signals | null }
  | { kind: 'protocol_violation'; detail: string };

const KILL_GRACE_MS = 1000;
const PROTOCOL_DRAIN_MS = 1000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One Python worker process: started ahead of its job, told the job once it is ready, watched until it ends.
 * Protocol lines arrive on fd 3 and are validated; stdout and stderr are the scene's output, captured into a
 * capped log. A worker runs one job and is then killed with its whole process group; it is never reused.
 */
export class WorkerProcess {
  readonly ready: Promise<ReadyMessage>;
  private readonly child: ChildProcess;
  private readonly log: CappedLog;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Settles when the protocol channel has been read to its end (it can trail the exit event). */
  private readonly protocolDrained: Promise<void>;
  /** What the supervisor said the worker used, once it has exited; undefined without a supervisor. */
  private readonly reportedUsage: Promise<SandboxUsage | undefined>;
  private readonly promoteSignal: NodeJS.Signals | undefined;
  private listener: ((message: WorkerMessage) => void) | undefined;
  private violation: string | undefined;
  private killed = false;

  constructor(launch: WorkerLaunch, options: { logCapBytes: number; startupTimeoutMs: number }) {
    this.log = new CappedLog(options.logCapBytes);
    this.promoteSignal = launch.promoteSignal;
    this.child = spawn(launch.command, launch.args, {
      cwd: launch.cwd,
      env: launch.env,
      // fd 3 is the protocol channel; `detached` puts the worker in its own process group so the whole
      // tree it starts can be killed at once.
      stdio: launch.usageFd === undefined ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', 'pipe', ...Array<'ignore'>(launch.usageFd - 4).fill('ignore'), 'pipe'],
      detached: true,
    });
    this.reportedUsage = launch.usageFd === undefined ? Promise.resolve(undefined) : readSandboxUsage(this.child.stdio[launch.usageFd] as Readable);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      this.child.once('error', () => resolve({ code: null, signal: null }));
    });
    if (launch.onExit) void this.exited.then(launch.onExit);
    const capture = (chunk: Buffer) => this.log.append(chunk);
    this.child.stdout?.on('data', capture);
    this.child.stderr?.on('data', capture);
    (this.child.stdin as Writable).on('error', () => undefined); // a dead worker shows up as its exit

    const splitter = new LineSplitter(
      MAX_WORKER_LINE_BYTES,
      (line) => this.onLine(line),
      () => this.protocolViolation('a protocol line exceeded the size limit'),
    );
    const protocol = this.child.stdio[3] as Readable;
    protocol.on('data', (chunk: Buffer) => splitter.push(chunk));
    this.protocolDrained = new Promise((resolve) => {
      protocol.once('end', resolve);
      protocol.once('close', resolve);
      protocol.once('error', () => resolve());
    });

    this.ready = new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`worker did not become ready within ${options.startupTimeoutMs} ms`));
        void this.kill();
      }, options.startupTimeoutMs);
      this.listener = (message) => {
        if (message.type !== 'ready') return this.protocolViolation(`expected ready, got ${message.type}`);
        clearTimeout(timer);
        this.listener = undefined;
        resolve(message);
      };
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`worker exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
    this.ready.catch(() => undefined); // observed by whoever takes the worker
  }

  /**
   * Its job has come: a spare started below the renders beside it is raised to theirs. Sent once it is ready (its
   * supervisor has long been listening by then).
   */
  promote(): void {
    const signal = this.promoteSignal;
    if (!signal) return;
    void this.ready.then(
      () => {
        if (!this.killed && this.child.pid !== undefined) {
          try {
            process.kill(this.child.pid, signal);
          } catch {
            // gone already
          }
        }
      },
      () => undefined,
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Sends the job and resolves with how it ended. `onMessage` sees plan, progress and boundary messages.
   * For a job with a plan gate, `onPlan` decides from the plan whether the worker goes on to render.
   * The deadline and the signal both kill the whole process group.
   */
  async run(params: {
    job: WorkerJob;
    timeoutSeconds: number;
    signal?: AbortSignal;
    onMessage?: (message: WorkerMessage) => void;
    onPlan?: (plan: PlanMessage) => Promise<PlanVerdict>;
  }): Promise<WorkerOutcome> {
    try {
      await this.ready;
    } catch {
      const { code, signal } = await this.exited;
      return { kind: 'crashed', stage: 'startup', exitCode: code, signal };
    }
    let final: WorkerOutcome | undefined;
    let stop: ((outcome: WorkerOutcome) => void) | undefined;
    const stopped = new Promise<WorkerOutcome>((resolve) => (stop = resolve));
    const gated = params.job.mode === 'render' && params.job.planGate === true;

    this.listener = (message) => {
      if (message.type === 'result') final ??= { kind: 'result', file: message.file, media: message.media, ...(message.sound && { sound: true }) };
      else if (message.type === 'error') final ??= { kind: 'error', error: message };
      else if (message.type === 'ready') this.protocolViolation('ready sent twice');
      else {
        params.onMessage?.(message);
        if (message.type === 'plan' && gated) void this.openGate(message, params.onPlan, () => stop?.({ kind: 'stopped' }));
      }
    };
    const timer = setTimeout(() => stop?.({ kind: 'timeout', seconds: params.timeoutSeconds }), params.timeoutSeconds * 1000);
    const onAbort = () => stop?.({ kind: 'cancelled' });
    params.signal?.addEventListener('abort', onAbort, { once: true });
    if (params.signal?.aborted) onAbort();

    if (!params.signal?.aborted) {
      const line = `${JSON.stringify(params.job)}\n`;
      if (gated) this.child.stdin?.write(line);
      else this.child.stdin?.end(line);
    }
    const ended = this.exited.then(async ({ code, signal }): Promise<WorkerOutcome> => {
      // Node may report the exit before the last protocol lines are read; a grandchild holding the pipe open
      // must not delay the outcome for long, though.
      await Promise.race([this.protocolDrained, delay(PROTOCOL_DRAIN_MS)]);
      if (this.violation) return { kind: 'protocol_violation', detail: this.violation };
      if (final && code === 0) return final;
      return { kind: 'crashed', stage: 'job', exitCode: code, signal };
    });
    try {
      const outcome = await Promise.race([ended, stopped]);
      return outcome;
    } finally {
      clearTimeout(timer);
      params.signal?.removeEventListener('abort', onAbort);
      await this.kill();
    }
  }

  /** Tells a gated worker what to render, or stops it, as `decide` says; a failing decision stops it too. */
  private async openGate(plan: PlanMessage, decide: ((plan: PlanMessage) => Promise<PlanVerdict>) | undefined, stop: () => void): Promise<void> {
    let verdict: PlanVerdict;
    try {
      verdict = decide ? await decide(plan) : { render: true };
    } catch {
      verdict = { render: false };
    }
    if (verdict.render) this.child.stdin?.end(`${JSON.stringify(verdict)}\n`);
    else stop();
  }

  /**
   * What the whole sandbox tree used (CPU, peak memory), as its supervisor measured it once the sandbox ended;
   * undefined without a sandbox, or where the supervisor died before it could say.
   */
  async usage(): Promise<SandboxUsage | undefined> {
    await this.exited;
    return Promise.race([this.reportedUsage, delay(PROTOCOL_DRAIN_MS).then(() => undefined)]);
  }

  /** The captured stdout and stderr so far. */
  output(): { text: string; discardedBytes: number } {
    return { text: this.log.toString(), discardedBytes: this.log.discardedBytes };
  }

  /** Kills the worker's whole process group: SIGTERM, then SIGKILL after a short grace. Safe to call twice. */
  async kill(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) return;
    if (!this.killed) {
      this.killed = true;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
      // Whatever the worker left behind in its group (forked children, stray threads) goes too.
      signalGroup(pid, 'SIGKILL');
    }
    await this.exited;
  }

  private onLine(line: string): void {
    if (this.violation) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return this.protocolViolation('a protocol line was not JSON');
    }
    const parsed = workerMessageSchema.safeParse(json);
    if (!parsed.success) return this.protocolViolation(`an invalid protocol message: ${parsed.error.issues[0]?.message}`);
    this.listener?.(parsed.data);
  }

  private protocolViolation(detail: string): void {
    this.violation ??= detail;
    void this.kill();
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}
