import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '../../src/contracts/job';
import { APP_ROOT } from '../../src/config/config';
import { freePort } from '../support/emulators';
import { ffprobe, fixture } from '../support/service-harness';

// The built service on hosts made to refuse what the bubblewrap profile needs (test/support/restricted_host.py):
// a user namespace whose user.max_user_namespaces is 0, and a seccomp filter like Docker's default profile, as root
// and as another user. On each the start-up probe must pick the landlock profile, say what the host refused and
// what would lift it, and render.
jest.setTimeout(180_000);

const RESTRICTED_HOST = path.join(APP_ROOT, 'test', 'support', 'restricted_host.py');
const MAIN = path.join(APP_ROOT, 'dist', 'main.js');
const NON_ROOT_UID = 1000;

interface RunningService {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

async function startRestricted(mode: string, options: string[], dataDir: string): Promise<RunningService> {
  const port = await freePort();
  const output: string[] = [];
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    MODE: 'local',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    RESULT_CACHE: 'false',
    GLYPH_CACHE: 'false',
    TEX_CACHE: 'false',
    // Within the uids the no-userns host maps (0-65535).
    SANDBOX_UID: String(58_000 + Math.floor(Math.random() * 7_000)),
  };
  const child = spawn('python3', [RESTRICTED_HOST, mode, ...options, '--', process.execPath, MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited: ${output.join('')}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`the service did not start: ${output.join('')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    child,
    output,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    },
  };
}

async function render(service: RunningService, file: string): Promise<{ job: JobView; video?: string }> {
  const res = await fetch(`${service.url}/v1/renders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: fixture(file), quality: 'low' }) });
  let job = (await res.json()) as JobView;
  const deadline = Date.now() + 120_000;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    job = (await (await fetch(`${service.url}/v1/renders/${job.id}`)).json()) as JobView;
  }
  if (job.status !== 'succeeded') return { job };
  const video = await fetch(new URL(job.scenes[0]!.output!.url, service.url));
  const file2 = path.join(os.tmpdir(), `sandbox-hosts-${job.id}.mp4`);
  fs.writeFileSync(file2, Buffer.from(await video.arrayBuffer()));
  return { job, video: file2 };
}

const hosts: Array<{ name: string; mode: string; options: string[]; refusal: RegExp }> = [
  { name: 'no new user namespaces (user.max_user_namespaces = 0), as root', mode: 'no-userns', options: [], refusal: /No space left on device|ENOSPC/ },
  { name: "Docker's default seccomp profile, as root", mode: 'docker-seccomp', options: [], refusal: /Operation not permitted|EPERM/ },
  { name: "Docker's default seccomp profile, as another user", mode: 'docker-seccomp', options: ['--uid', String(NON_ROOT_UID)], refusal: /Operation not permitted|EPERM|No permissions/ },
];

/** Whether a user other than root can reach the checkout (the service as uid 1000 runs the built code from it). */
function checkoutReachableByOthers(): boolean {
  for (let dir = APP_ROOT; dir !== path.dirname(dir); dir = path.dirname(dir)) if ((fs.statSync(dir).mode & 0o001) === 0) return false;
  return true;
}

// As another user the service must be able to read the checkout; where it lies under a private directory it cannot
// (and the as-root cases above stand for that host).
const runnable = hosts.filter((host) => !host.options.includes('--uid') || checkoutReachableByOthers());

describe.each(runnable)('a host that refuses namespaces: $name', ({ mode, options, refusal }) => {
  let service: RunningService;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-hosts-'));
    if (options.includes('--uid')) fs.chownSync(dataDir, NON_ROOT_UID, NON_ROOT_UID);
    service = await startRestricted(mode, options, dataDir);
  });

  afterAll(async () => {
    await service?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('picks the landlock profile, and says what the host refused and what would lift it', async () => {
    const res = await fetch(`${service.url}/readyz`);
    const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.checks.sandbox).toMatchObject({ ok: true, detail: expect.stringMatching(/^profile landlock/) });
    const profile = body.checks['sandbox.profile']!.detail;
    expect(profile).toMatch(/^landlock \(not used: bwrap: /);
    expect(profile).toMatch(refusal);
    const started = service.output.join('').split('\n').find((line) => line.includes('render sandbox ready'));
    expect(started).toContain('"profile":"landlock"');
    expect(started).toMatch(refusal);
    expect(res.status).toBe(200);
  });

  it('renders a scene, with LaTeX', async () => {
    for (const file of ['tiny.py', 'tex_equation.py']) {
      const { job, video } = await render(service, file);
      expect(job.scenes[0]).toMatchObject({ status: 'succeeded' });
      expect(await ffprobe(video!)).toMatchObject({ codec: 'h264', width: 854, height: 480 });
    }
  });

  it('holds a scene that looks for secrets and other jobs', async () => {
    const { job } = await render(service, 'attacks/escape_files.py');
    expect(job.scenes[0]).toMatchObject({ status: 'succeeded' });
    const log = await (await fetch(`${service.url}/v1/renders/${job.id}/scenes/EscapeFiles/logs`)).text();
    expect(log).toContain('ATTACK_RESULT blocked write /etc/pwned');
    expect(log).toMatch(/ATTACK_RESULT blocked \/home (PermissionError|FileNotFoundError)/);
    expect(log).not.toContain('jobs.sqlite');
  });
});
