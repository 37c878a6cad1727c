import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import type { Logger } from '../../src/logging/logger';
import { createRenderSandbox } from '../../src/renderer/sandbox/create-render-sandbox';
import { pythonLaunch } from '../../src/renderer/worker/python-launch';
import { WorkerProcess } from '../../src/renderer/worker/worker-process';

// Sandboxed workers stopped at every moment of their start (the warm pool kills its spare at shutdown, whenever
// that comes): each must go quickly, with everything it made.
jest.setTimeout(120_000);

const UID = 64703;
const PYTHON_PATH = path.join(__dirname, '..', '..', 'python');
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => quiet };

function processesOf(uid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => {
      if (!/^\d+$/.test(entry)) return false;
      try {
        return Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]) === uid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The sandbox cgroups of this process's hierarchies. */
function sandboxCgroups(): string[] {
  const found: string[] = [];
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory']) {
    const own = fs
      .readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find(([, controllers]) => (root.endsWith('cgroup') ? controllers === '' : controllers?.split(',').includes(path.basename(root))))?.[2];
    if (own === undefined) continue;
    const dir = path.join(root, own);
    try {
      found.push(...fs.readdirSync(dir).filter((name) => name.startsWith('manim-render-sandbox-')).map((name) => path.join(dir, name)));
    } catch {
      // no such hierarchy here
    }
  }
  return found;
}

describe('sandboxed worker lifecycle', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-lifecycle-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('stops a worker at any moment of its start, leaving no process behind, and no cgroup when within the grace', async () => {
    const config = loadConfig({ DATA_DIR: root, SANDBOX_UID: String(UID) });
    const sandbox = createRenderSandbox({ config, pythonPath: PYTHON_PATH, workRoot: path.join(root, 'work'), logger: quiet });
    expect(sandbox.ready).toBe(true);
    const before = new Set(sandboxCgroups());
    let overGrace = 0;
    for (let i = 0; i < 15; i++) {
      const workDir = path.join(root, 'work', `w-${i}`);
      fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
      const worker = new WorkerProcess(sandbox.wrap(pythonLaunch({ python: config.PYTHON, pythonPath: PYTHON_PATH, workDir })), {
        logCapBytes: 1 << 20,
        startupTimeoutMs: 60_000,
      });
      await new Promise((resolve) => setTimeout(resolve, i * 15));
      const started = Date.now();
      await worker.kill();
      // Past the parent's grace (1 s) the supervisor is killed too, before it can remove its cgroups (the next
      // sandbox does); that happens only on a very busy host. Its processes die with it either way.
      if (Date.now() - started >= 1000) overGrace++;
      expect(processesOf(UID)).toEqual([]);
    }
    expect(sandboxCgroups().filter((dir) => !before.has(dir)).length).toBeLessThanOrEqual(overGrace);
    expect(overGrace).toBeLessThan(15);
  });
});
