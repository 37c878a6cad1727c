import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import type { Logger } from '../../src/logging/logger';
import { createRenderSandbox } from '../../src/renderer/sandbox/create-render-sandbox';
import { SANDBOX_LAYERS, type SandboxReport } from '../../src/renderer/sandbox/sandbox-layers';
import type { WorkerLaunch } from '../../src/renderer/worker/worker-process';

// What follows from the host probe's report, with the probe replaced by a fixed report: a real host has every
// layer or lacks several at once, so the cases here (one layer missing) cannot be set up on one machine.
function report(inactive: string[] = []): SandboxReport {
  return Object.fromEntries(
    SANDBOX_LAYERS.map((layer) => [layer, inactive.includes(layer) ? { active: false, detail: `${layer} does not work here` } : { active: true, detail: 'seen' }]),
  ) as SandboxReport;
}

function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const logger: Logger = {
    debug: (message, fields) => lines.push({ level: 'debug', message, fields }),
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
    child: () => logger,
  };
  return { logger, lines };
}

const plain: WorkerLaunch = { command: '/venv/bin/python', args: ['-m', 'manim_worker.render'], env: { PATH: '/usr/bin' }, cwd: '/data/work/w-1' };

/** What a refusing launch says when it runs (it runs nothing else). */
function refusal(launch: WorkerLaunch): string {
  const run = spawnSync(launch.command, launch.args, { env: launch.env, encoding: 'utf8' });
  expect(run.status).toBe(78);
  expect(run.stdout).toBe('');
  return run.stderr;
}

function sandbox(env: Record<string, string>, probed: SandboxReport) {
  const { logger, lines } = recordingLogger();
  // The Python is asked where it is installed: Debian's own serves (the probe, which would run it, is replaced).
  const config = loadConfig({ PYTHON: '/usr/bin/python3', SANDBOX_BWRAP: '/usr/bin/bwrap', DATA_DIR: '/tmp/unused', ...env });
  const made = createRenderSandbox({ config, pythonPath: '/app/python', workRoot: '/tmp/unused/work', logger, probe: () => probed });
  return { made, lines };
}

describe('the render sandbox fails closed', () => {
  it('renders when every required layer is active, and logs which are', () => {
    const { made, lines } = sandbox({}, report(['pids_cgroup']));
    expect(made.ready).toBe(true);
    expect(made.checks()).toMatchObject({ sandbox: { ok: true }, 'sandbox.seccomp': { ok: true }, 'sandbox.pids_cgroup': { ok: true, detail: expect.stringMatching(/^inactive/) } });
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'render sandbox ready' }));
    const launch = made.wrap(plain);
    expect(launch.env).toEqual({});
    expect(launch.args.slice(0, 3)).toEqual(['-I', '-S', '-B']);
    // Only what the host showed it can do is asked for, and then required of every worker.
    expect(JSON.parse(launch.args[4] as string)).toMatchObject({
      seccomp: true,
      cgroups: { maxTasks: null, memoryBytes: 4 * 1024 ** 3, required: ['memory'] },
      workDir: plain.cwd,
    });
  });

  it('refuses every launch, fails readiness and says why when a required layer is missing', () => {
    const { made, lines } = sandbox({}, report(['seccomp']));
    expect(made.ready).toBe(false);
    expect(refusal(made.wrap(plain))).toMatch(/missing required layers: seccomp \(seccomp does not work here\)/);
    expect(made.checks()).toMatchObject({ sandbox: { ok: false }, 'sandbox.seccomp': { ok: false, detail: expect.stringMatching(/^MISSING \(required\)/) } });
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringMatching(/refusing to render/) }));
  });

  it('refuses to render when the sandbox did not start at all, whatever the minimum', () => {
    const { made } = sandbox({ SANDBOX_MINIMUM: '' }, report([...SANDBOX_LAYERS]));
    expect(made.ready).toBe(false);
    expect(refusal(made.wrap(plain))).toMatch(/does not start on this host/);
  });

  it('renders without a layer the minimum was lowered to leave out, loudly, and does not ask for it', () => {
    const { made, lines } = sandbox({ SANDBOX_MINIMUM: 'env,namespaces,uid,rlimits,disk_quota' }, report(['seccomp']));
    expect(made.ready).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/MINIMUM LOWERED/), fields: { notRequired: ['seccomp'] } }));
    expect(JSON.parse(made.wrap(plain).args[4] as string)).toMatchObject({ seccomp: false });
  });

  it('falls back to the landlock profile where the bubblewrap one does not start, and says what bubblewrap met', () => {
    const { logger, lines } = recordingLogger();
    const config = loadConfig({ PYTHON: '/usr/bin/python3', SANDBOX_BWRAP: '/usr/bin/bwrap', DATA_DIR: '/tmp/unused', SANDBOX: 'auto' });
    const bwrapRefused = Object.fromEntries(
      SANDBOX_LAYERS.map((layer) => [layer, { active: false, detail: 'the sandbox did not start: unshare(CLONE_NEWUSER) as uid 64000: EPERM (Operation not permitted)' }]),
    ) as SandboxReport;
    const landlock = { ...report(['namespaces', 'pids_cgroup', 'memory_cgroup']) };
    const made = createRenderSandbox({
      config,
      pythonPath: '/app/python',
      workRoot: fs.mkdtempSync(path.join(os.tmpdir(), 'fail-closed-')),
      logger,
      probe: ({ host }) => (host.profile === 'bwrap' ? bwrapRefused : landlock),
    });
    expect(made.ready).toBe(true);
    expect(made.profile).toBe('landlock');
    expect(made.checks()['sandbox.profile']?.detail).toMatch(/^landlock \(not used: bwrap: does not start on this host: .*EPERM/);
    expect(JSON.parse(made.wrap(plain).args[4] as string)).toMatchObject({ profile: 'landlock', exec: { command: plain.command, env: plain.env } });
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'render sandbox ready', fields: expect.objectContaining({ profile: 'landlock' }) }));
  });

  it('refuses to render when no profile meets the minimum, naming what each lacked and what would lift it', () => {
    const { logger, lines } = recordingLogger();
    const config = loadConfig({ PYTHON: '/usr/bin/python3', SANDBOX_BWRAP: '/usr/bin/bwrap', DATA_DIR: '/tmp/unused' });
    const refused = (why: string) => Object.fromEntries(SANDBOX_LAYERS.map((layer) => [layer, { active: false, detail: why }])) as SandboxReport;
    const made = createRenderSandbox({
      config,
      pythonPath: '/app/python',
      workRoot: fs.mkdtempSync(path.join(os.tmpdir(), 'fail-closed-')),
      logger,
      probe: ({ host }) => refused(host.profile === 'bwrap' ? 'unshare(CLONE_NEWUSER): EPERM' : 'landlock_create_ruleset: Function not implemented (ENOSYS)'),
    });
    expect(made.ready).toBe(false);
    const detail = made.checks()['sandbox.profile']?.detail ?? '';
    expect(detail).toMatch(/user namespaces: allow them/);
    expect(detail).toMatch(/Landlock is not available: it needs Linux 5\.13/);
    expect(refusal(made.wrap(plain))).toMatch(/bwrap: .*EPERM \| landlock: .*ENOSYS/);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: expect.stringMatching(/no profile meets/) }));
  });

  it('runs workers unconfined with SANDBOX=none, loudly', () => {
    const { made, lines } = sandbox({ SANDBOX: 'none' }, report([...SANDBOX_LAYERS]));
    expect(made.ready).toBe(true);
    expect(made.wrap(plain)).toBe(plain);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/RENDER SANDBOX OFF/) }));
  });
});
