import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkerJob, WorkerMessage } from '../../../../src/contracts/worker-messages';
import { WorkerProcess, type WorkerLaunch } from '../../../../src/renderer/worker/worker-process';

/**
 * Each misbehaviour is a small fake worker in test/fixtures/workers: real processes speaking the real protocol
 * on fd 3, without Manim, so they start in milliseconds and misbehave on cue.
 */
const ROOT = path.resolve(__dirname, '../../../..');
const PYTHON = path.join(ROOT, '.venv/bin/python');
const FAKES = path.join(ROOT, 'test/fixtures/workers');
const LOG_CAP = 64 * 1024;

let workDir: string;
let started: WorkerProcess[];

beforeEach(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-process-'));
  started = [];
});

afterEach(async () => {
  await Promise.all(started.map((w) => w.kill()));
  fs.rmSync(workDir, { recursive: true, force: true });
});

function startFake(script: string, options: { startupTimeoutMs?: number } = {}): WorkerProcess {
  const launch: WorkerLaunch = {
    command: PYTHON,
    // -B: no __pycache__ written into the fixtures directory.
    args: ['-B', path.join(FAKES, script)],
    env: { PATH: '/usr/bin:/bin' },
    cwd: workDir,
  };
  const worker = new WorkerProcess(launch, { logCapBytes: LOG_CAP, startupTimeoutMs: options.startupTimeoutMs ?? 10_000 });
  started.push(worker);
  return worker;
}

function job(): WorkerJob {
  return { mode: 'render', code: 'class Fake(Scene): pass', scene: 'Fake', quality: 'low', format: 'mp4', seed: 0, outputDir: workDir, plan: true };
}

/** The errno `process.kill(pid, 0)` fails with, or null when the process is there. */
function probe(pid: number): string | null {
  try {
    process.kill(pid, 0);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unknown';
  }
}

/**
 * Whether a process we did not start is gone. Dead orphans are reparented to PID 1 and stay zombies until it
 * reaps them; some container inits never do, so a zombie counts as gone (it runs nothing and holds no memory).
 */
function isGone(pid: number): boolean {
  if (probe(pid) === 'ESRCH') return true;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function waitFor<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('WorkerProcess', () => {
  it('hands the job to a well-behaved worker and returns its result, passing on plan and progress', async () => {
    const worker = startFake('well_behaved.py');
    await expect(worker.ready).resolves.toEqual({ type: 'ready', manim: '0.0.0-fake', python: '3', startupSeconds: 0.01 });
    const messages: WorkerMessage[] = [];
    const outcome = await worker.run({ job: job(), timeoutSeconds: 10, onMessage: (m) => messages.push(m) });
    expect(outcome).toEqual({ kind: 'result', file: 'videos/Fake.mp4' });
    expect(messages).toEqual([
      { type: 'plan', animations: 2, runTimes: [1.0, 0.5], timeBasedFrom: null },
      { type: 'progress', done: 1, total: 2 },
      { type: 'progress', done: 2, total: 2 },
    ]);
    expect(worker.output().text).toContain('rendering Fake');
    expect(worker.output().text).toContain('a warning on stderr');
    expect(probe(worker.pid!)).toBe('ESRCH');
  });

  it('returns the error a worker reports for its scene', async () => {
    const outcome = await startFake('reports_scene_error.py').run({ job: job(), timeoutSeconds: 10 });
    expect(outcome).toEqual({
      kind: 'error',
      error: { type: 'error', kind: 'scene_error', exception: 'ZeroDivisionError', message: 'division by zero', line: 4 },
    });
  });

  it('kills a worker that never says ready and reports a startup crash', async () => {
    const worker = startFake('never_ready.py', { startupTimeoutMs: 300 });
    await expect(worker.ready).rejects.toThrow('worker did not become ready within 300 ms');
    const outcome = await worker.run({ job: job(), timeoutSeconds: 10 });
    expect(outcome).toEqual({ kind: 'crashed', stage: 'startup', exitCode: null, signal: 'SIGTERM' });
    expect(probe(worker.pid!)).toBe('ESRCH');
  });

  it('reports a startup crash with the exit status of a worker that dies before ready', async () => {
    const worker = startFake('exits_before_ready.py');
    await expect(worker.ready).rejects.toThrow('worker exited before it was ready (code 3, signal null)');
    expect(await worker.run({ job: job(), timeoutSeconds: 10 })).toEqual({
      kind: 'crashed',
      stage: 'startup',
      exitCode: 3,
      signal: null,
    });
    expect(worker.output().text).toContain('ImportError: no module named manim');
  });

  it('stops a worker that writes a protocol line that is not JSON', async () => {
    const worker = startFake('sends_not_json.py');
    const outcome = await worker.run({ job: job(), timeoutSeconds: 20 });
    expect(outcome).toEqual({ kind: 'protocol_violation', detail: 'a protocol line was not JSON' });
    expect(probe(worker.pid!)).toBe('ESRCH');
  });

  it('stops a worker that writes a protocol line over the size limit', async () => {
    const worker = startFake('sends_oversized_line.py');
    const outcome = await worker.run({ job: job(), timeoutSeconds: 20 });
    expect(outcome).toEqual({ kind: 'protocol_violation', detail: 'a protocol line exceeded the size limit' });
    expect(probe(worker.pid!)).toBe('ESRCH');
  });

  it('kills a worker that runs past its deadline and reports a timeout', async () => {
    const worker = startFake('hangs_after_job.py');
    await worker.ready;
    const before = Date.now();
    const outcome = await worker.run({ job: job(), timeoutSeconds: 1 });
    const elapsed = Date.now() - before;
    expect(outcome).toEqual({ kind: 'timeout', seconds: 1 });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5000);
    expect(probe(worker.pid!)).toBe('ESRCH');
  });

  it('kills what a worker forked along with it, even a child that ignores SIGTERM', async () => {
    const worker = startFake('forks_and_hangs.py');
    const running = worker.run({ job: job(), timeoutSeconds: 1 });
    const pidFile = path.join(workDir, 'child.pid');
    const child = await waitFor(() => fs.existsSync(pidFile) && Number(fs.readFileSync(pidFile, 'utf8')), 5000, 'the fork');
    expect(isGone(child)).toBe(false);
    expect(await running).toEqual({ kind: 'timeout', seconds: 1 });
    expect(probe(worker.pid!)).toBe('ESRCH');
    await waitFor(() => isGone(child), 1000, `the forked child ${child} to die`);
  });

  it('caps the log of a worker that floods stdout, keeping both ends and noting what it dropped', async () => {
    const worker = startFake('floods_stdout.py');
    const outcome = await worker.run({ job: job(), timeoutSeconds: 30 });
    expect(outcome).toEqual({ kind: 'result', file: 'videos/Fake.mp4' });
    const { text, discardedBytes } = worker.output();
    const printed = 'FIRST LINE\n'.length + 20 * 1024 * 1024 + 'LAST LINE\n'.length;
    expect(discardedBytes).toBe(printed - LOG_CAP);
    expect(text.startsWith('FIRST LINE\n')).toBe(true);
    expect(text.endsWith('LAST LINE\n')).toBe(true);
    expect(text).toContain(`[... ${printed - LOG_CAP} bytes of output discarded: log capped at ${LOG_CAP} bytes ...]`);
    expect(Buffer.byteLength(text)).toBeLessThan(LOG_CAP + 200);
  });

  it('stops a running worker when its signal aborts and reports it cancelled', async () => {
    const worker = startFake('hangs_after_job.py');
    await worker.ready;
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    const before = Date.now();
    expect(await worker.run({ job: job(), timeoutSeconds: 30, signal: abort.signal })).toEqual({ kind: 'cancelled' });
    expect(Date.now() - before).toBeLessThan(3000);
    expect(probe(worker.pid!)).toBe('ESRCH');
  });

  it('reports cancelled at once when the signal aborted before the job was handed over', async () => {
    const worker = startFake('well_behaved.py');
    const abort = new AbortController();
    abort.abort();
    expect(await worker.run({ job: job(), timeoutSeconds: 30, signal: abort.signal })).toEqual({ kind: 'cancelled' });
    expect(probe(worker.pid!)).toBe('ESRCH');
  });
});
