import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../../src/logging/create-logger';
import type { WorkerKind } from '../../../../src/renderer/worker/python-launch';
import { WarmWorkerPool, type LeasedWorker } from '../../../../src/renderer/worker/warm-worker-pool';

/** The pool's policy, with fake workers (test/fixtures/workers) that start in milliseconds. */
const ROOT = path.resolve(__dirname, '../../../..');
const PYTHON = path.join(ROOT, '.venv/bin/python');
const WELL_BEHAVED = path.join(ROOT, 'test/fixtures/workers/well_behaved.py');

let workRoot: string;
let pool: WarmWorkerPool;
let launched: WorkerKind[];

function makePool(options: { spares: number; cores: number; stitchSpare?: boolean; readerSpare?: boolean }): WarmWorkerPool {
  launched = [];
  return new WarmWorkerPool({
    workRoot,
    makeLaunch: (workDir, kind) => {
      launched.push(kind);
      return { command: PYTHON, args: ['-B', WELL_BEHAVED], env: { PATH: '/usr/bin:/bin' }, cwd: workDir };
    },
    logCapBytes: 64 * 1024,
    startupTimeoutMs: 10_000,
    logger: createLogger({ level: 'silent' }),
    ...options,
  });
}

beforeEach(() => {
  workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'warm-pool-'));
});

afterEach(async () => {
  await pool?.close();
  fs.rmSync(workRoot, { recursive: true, force: true });
});

describe('WarmWorkerPool', () => {
  it('starts one spare per concurrent render at boot, and hands each to one job only', async () => {
    pool = makePool({ spares: 2, cores: 4 });
    pool.warmUp();
    expect(launched).toEqual(['render', 'render']);
    const first = pool.take();
    const second = pool.take();
    expect(first.worker.pid).not.toBe(second.worker.pid);
    expect(await first.worker.ready).toMatchObject({ type: 'ready' });
    await Promise.all([first.release(), second.release()]);
  });

  it('replaces a spare when the last ready one is taken, not while another is still waiting', async () => {
    pool = makePool({ spares: 2, cores: 4 });
    pool.warmUp();
    const first = pool.take();
    expect(launched).toHaveLength(2); // one spare is left: no start yet
    const second = pool.take();
    expect(launched).toHaveLength(4); // none left: both replaced at once
    await Promise.all([first.release(), second.release()]);
  });

  it('starts no spare while every core renders, and starts it when a render ends', async () => {
    pool = makePool({ spares: 1, cores: 1 });
    pool.warmUp();
    const taken: LeasedWorker = pool.take();
    expect(launched).toEqual(['render']); // the one core renders: a spare would slow the render down
    await taken.release();
    expect(launched).toEqual(['render', 'render']);
    await taken.release(); // a second release changes nothing
    expect(launched).toHaveLength(2);
  });

  it('starts the stitch and reader spares once the render spare is ready, not beside its import', async () => {
    pool = makePool({ spares: 1, cores: 2, stitchSpare: true, readerSpare: true });
    pool.warmUp();
    expect(launched).toEqual(['render']);
    await pool.whenWarm();
    await new Promise((r) => setImmediate(r));
    expect(launched.sort()).toEqual(['describe', 'render', 'stitch']);
    await pool.whenWarm();
  });

  it('keeps a stitch worker started when asked to, and replaces it once it is released', async () => {
    pool = makePool({ spares: 1, cores: 2, stitchSpare: true });
    pool.warmUp();
    await pool.whenWarm();
    await new Promise((r) => setImmediate(r));
    expect(launched.sort()).toEqual(['render', 'stitch']);
    const stitcher = pool.takeStitcher();
    expect(launched.filter((k) => k === 'stitch')).toHaveLength(1);
    const another = pool.takeStitcher(); // none kept: one started on the spot
    expect(launched.filter((k) => k === 'stitch')).toHaveLength(2);
    await Promise.all([stitcher.release(), another.release()]);
    expect(launched.filter((k) => k === 'stitch')).toHaveLength(3);
  });

  it('starts nothing ahead without spares, and nothing after it is closed', async () => {
    pool = makePool({ spares: 0, cores: 2 });
    pool.warmUp();
    expect(launched).toEqual([]);
    const taken = pool.take();
    expect(launched).toEqual(['render']);
    await pool.close();
    await taken.release();
    expect(launched).toEqual(['render']);
  });
});
