import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { JobView, SceneView } from '../../src/contracts/job';
import { APP_ROOT } from '../../src/config/config';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';
import type { SandboxProfile } from '../../src/renderer/sandbox/sandbox-layers';

/**
 * The whole attack suite against one sandbox profile (SANDBOX=bwrap or landlock), each run by its own test file:
 * every profile that claims to hold must hold all of it. Where a profile stops an attack another way (Landlock
 * refuses a path that the bubblewrap profile's mount namespace does not have at all), the expectation says both.
 */
export function describeSandboxAttacks(profile: SandboxProfile): void {

// Every hostile scene of test/fixtures/scenes/attacks through the real service and its real sandbox, with
// canaries where a leak would show: a secret in the service's environment, files beside the app and in its data
// dir, and listeners on the host's loopback that count every connection. Each attack must end with nothing
// leaked, nothing of it left running, a clear error code when a limit stopped it, and the next job rendering.
jest.setTimeout(120_000);

// A uid of this suite's own, so that sandboxes of other suites running at the same time are not counted here.
// A uid of this run's own, so the leftover-process checks cannot see another run's sandboxes on the same host.
const SANDBOX_UID = 64_701 + Math.floor(Math.random() * 20_000);
/** Each sandbox alive at once takes its own uid from SANDBOX_UID on. */
const SANDBOX_UID_COUNT = 8;
const isSandboxUid = (uid: number) => uid >= SANDBOX_UID && uid < SANDBOX_UID + SANDBOX_UID_COUNT;
const MiB = 1024 * 1024;
const MAX_LOG_BYTES = MiB;
// Small limits keep each attack to a few seconds; each is the same mechanism at any size.
const landlocked = profile === 'landlock';
// On a host that refuses the other profile (sandbox-attacks-restricted-host.test.ts), the start-up probe must choose
// this one by itself.
const chosenByHost = process.env.SANDBOX_ATTACKS_PROFILE_FROM_HOST === 'true';
const SANDBOX_ENV = {
  SANDBOX: chosenByHost ? 'auto' : profile,
  SANDBOX_UID: String(SANDBOX_UID),
  SANDBOX_UID_COUNT: String(SANDBOX_UID_COUNT),
  SANDBOX_MAX_PROCESSES: '32',
  SANDBOX_CPU_SECONDS: '6',
  SANDBOX_DISK_BYTES: String(256 * MiB),
  SANDBOX_TMP_BYTES: String(64 * MiB),
  SANDBOX_MEMORY_BYTES: String(1024 * MiB),
  MAX_LOG_BYTES: String(MAX_LOG_BYTES),
  LOG_LEVEL: 'debug',
  // The submit-time lint would turn away the scenes that import socket or urllib before they reach a sandbox;
  // it is a courtesy, not a layer, and these tests are about the sandbox holding.
  SUBMIT_LINT: 'false',
};

const token = randomBytes(12).toString('hex');
const canary = {
  secret: `canary-secret-${token}`,
  repoFile: path.join(APP_ROOT, `.sandbox-canary-${token}.py`),
  repoText: `canary-repo-file-${token}`,
  dataText: `canary-data-file-${token}`,
};
const CANARY_STRINGS = [canary.secret, canary.repoText, canary.dataText];

let service: ServiceHarness;
let dataDir: string;
/** An `ffprobe` first in the service's PATH that leaves this file behind: a host probe of a scene's file would show. */
let hostProbeMarker: string;
const previousPath = process.env.PATH;
/** A host process whose real environment (as /proc/<pid>/environ shows it) holds the canary secret. */
let canaryHolder: ChildProcess;
let dataCanary: string;
const previousCanaryEnv = process.env.CANARY_SECRET;
/** Everything the service said or stored that a leak could show up in: responses, logs, outputs. */
const seen: string[] = [];
const serviceLog: string[] = [];
const restoreWrites: Array<() => void> = [];

// Listeners on the host that nothing in a sandbox may reach.
let connections = 0;
const listeners: Array<net.Server | dgram.Socket> = [];
const ports: { tcp: number; udp: number; tcp6?: number } = { tcp: 0, udp: 0 };

function listenTcp(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, path: undefined }, () => {
      listeners.push(server);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function listenAbstractUnix(name: string): Promise<void> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    server.once('error', () => resolve());
    server.listen({ path: `\0${name}` }, () => {
      listeners.push(server);
      resolve();
    });
  });
}

function listenUdp(): Promise<number> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', () => connections++);
    socket.bind(0, '127.0.0.1', () => {
      listeners.push(socket);
      resolve(socket.address().port);
    });
  });
}

interface SandboxProcess {
  pid: number;
  ppid: number;
  uid: number;
  ns: string;
  comm: string;
  cmdline: string;
}

/** Host processes running as a sandbox uid, with their PID namespace, parent and command line. */
function sandboxProcesses(): SandboxProcess[] {
  const found: SandboxProcess[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      if (!isSandboxUid(Number(uid))) continue;
      found.push({
        pid: Number(entry),
        ppid: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]),
        uid: Number(uid),
        ns: fs.readlinkSync(`/proc/${entry}/ns/pid`),
        comm: fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim(),
        cmdline: fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '),
      });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Waits for the warm render worker the next job will take, and returns what it consists of: the processes of its
 * PID namespace (landlock profile: the worker and what it started) and the bubblewrap processes above them (not the
 * spare reader, which outlives the job), its uids and its supervisors.
 */
async function spareWorker(): Promise<{ pids: Set<number>; namespaces: Set<string>; uids: Set<number>; supervisors: Set<number> }> {
  const hostNs = fs.readlinkSync('/proc/self/ns/pid');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const processes = sandboxProcesses();
    const renderers = processes.filter((p) => p.cmdline.includes('manim_worker.render') && (landlocked || p.ns !== hostNs));
    if (renderers.length > 0) {
      const namespaces = new Set(landlocked ? [] : renderers.map((p) => p.ns));
      const pids = new Set(landlocked ? renderers.map((p) => p.pid) : processes.filter((p) => namespaces.has(p.ns)).map((p) => p.pid));
      const byPid = new Map(processes.map((p) => [p.pid, p]));
      for (const pid of [...pids]) {
        for (let parent = byPid.get(byPid.get(pid)?.ppid ?? 0); parent; parent = byPid.get(parent.ppid)) pids.add(parent.pid);
      }
      const supervisors = new Set([...pids].map((pid) => byPid.get(pid)!.ppid).filter((ppid) => !byPid.has(ppid)));
      return { pids, namespaces, uids: new Set(renderers.map((p) => p.uid)), supervisors };
    }
    if (Date.now() > deadline) throw new Error('no warm sandboxed worker appeared');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readCmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

interface AttackOutcome {
  job: JobView;
  scene: SceneView;
  log: string;
}

/** Submits a hostile scene, waits for it to end, keeps all it produced for the canary checks, and checks that
 * nothing of its sandbox is still running. */
async function attack(code: string, options: Record<string, unknown> = {}): Promise<AttackOutcome> {
  const spare = await spareWorker();
  const submitted = await service.submit({ code, quality: 'low', timeoutSeconds: 20, ...options });
  seen.push(JSON.stringify(submitted));
  const job = await service.waitFor(submitted.id, undefined, 100_000);
  seen.push(JSON.stringify(job));
  const scene = job.scenes[0] as SceneView;
  const logs = await service.request('GET', `/v1/renders/${job.id}/scenes/${scene.name}/logs`);
  const log = logs.status === 200 ? await logs.text() : '';
  seen.push(log);
  if (scene.status === 'succeeded') seen.push(fs.readFileSync(await service.download(job, scene.name)).toString('latin1'));

  const now = sandboxProcesses();
  const byPid = new Map(now.map((p) => [p.pid, p]));
  // The supervisor (not of the sandbox uid) above a process's sandbox tree: a later sandbox may get a PID namespace
  // with the same inode number as a dead one, but it has a supervisor of its own.
  const supervisorOf = (p: { ppid: number }): number => {
    let top = p;
    for (let up = byPid.get(top.ppid); up; up = byPid.get(up.ppid)) top = up;
    return top.ppid;
  };
  const isOtherSupervisor = (pid: number) => !spare.supervisors.has(pid) && readCmdline(pid).includes('supervisor.py');
  // Without a PID namespace (landlock), what the scene started is found by its uid, the spare's own while it lived.
  const ofTheSpare = (p: SandboxProcess) => spare.namespaces.has(p.ns) || (landlocked && spare.uids.has(p.uid));
  const survivors = now.filter((p) => spare.pids.has(p.pid) || (ofTheSpare(p) && !isOtherSupervisor(supervisorOf(p))));
  expect(survivors).toEqual([]);
  expect(connections).toBe(0);
  return { job, scene, log };
}

async function expectNextJobRenders(): Promise<void> {
  const job = await service.waitFor((await service.submit({ code: fixture('tiny.py'), quality: 'low' })).id);
  seen.push(JSON.stringify(job));
  expect(job.status).toBe('succeeded');
}

function failedWith(outcome: AttackOutcome, code: string): void {
  expect(outcome.scene).toMatchObject({ status: 'failed', error: { code } });
}

beforeAll(async () => {
  process.env.CANARY_SECRET = canary.secret;
  // process.env changes only what children inherit: /proc/<pid>/environ shows a process's environment at exec.
  canaryHolder = spawn('sleep', ['3600'], { env: { CANARY_SECRET: canary.secret }, stdio: 'ignore' });
  fs.writeFileSync(canary.repoFile, `# ${canary.repoText}\n`);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-sandbox-'));
  dataCanary = path.join(dataDir, 'canary.txt');
  fs.writeFileSync(dataCanary, canary.dataText);
  const shimDir = fs.mkdtempSync(path.join(os.tmpdir(), 'manim-render-ffprobe-shim-'));
  hostProbeMarker = path.join(shimDir, 'ran');
  fs.writeFileSync(path.join(shimDir, 'ffprobe'), `#!/bin/sh\necho "$@" >> ${hostProbeMarker}\nexit 1\n`, { mode: 0o755 });
  process.env.PATH = `${shimDir}:${previousPath}`;

  ports.tcp = (await listenTcp('127.0.0.1', 0)) ?? 0;
  ports.tcp6 = await listenTcp('::1', 0);
  ports.udp = await listenUdp();
  // The ports loopback_probe.py tries, where this host has them free.
  for (const port of [80, 443, 3000, 5432, 6379, 8080, 8081, 8085, 8123, 9000, 9023]) await listenTcp('127.0.0.1', port);
  await listenAbstractUnix('manim-render-test-abstract');

  // The service's own log lines, kept for the canary check instead of printed. winston's console transport
  // writes to console._stdout / _stderr where the console has them, else through console.log and friends.
  const consoleStreams = console as unknown as { _stdout?: NodeJS.WriteStream; _stderr?: NodeJS.WriteStream };
  for (const stream of new Set([consoleStreams._stdout, consoleStreams._stderr, process.stdout, process.stderr])) {
    if (!stream) continue;
    const original = stream.write;
    stream.write = ((chunk: string | Uint8Array) => {
      serviceLog.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof stream.write;
    restoreWrites.push(() => (stream.write = original));
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      serviceLog.push(args.map(String).join(' '));
    });
    restoreWrites.push(() => spy.mockRestore());
  }
  service = await startService(SANDBOX_ENV, { dataDir });
});

afterAll(async () => {
  await service?.stop();
  canaryHolder?.kill('SIGKILL');
  for (const restore of restoreWrites) restore();
  for (const listener of listeners) listener.close();
  fs.rmSync(canary.repoFile, { force: true });
  process.env.PATH = previousPath;
  if (previousCanaryEnv === undefined) delete process.env.CANARY_SECRET;
  else process.env.CANARY_SECRET = previousCanaryEnv;
});

describe(`the render sandbox (${profile} profile) against hostile scenes`, () => {
  it('logs the active sandbox layers at start', () => {
    const start = serviceLog.find((line) => line.includes('render sandbox ready'));
    expect(start).toBeDefined();
    const isolation = landlocked ? 'landlock' : 'namespaces';
    for (const layer of ['env', isolation, 'uid', 'seccomp', 'rlimits', 'disk_quota']) expect(start).toContain(`"${layer}"`);
    expect(start).toContain(`"profile":"${profile}"`);
  });

  it('shows a scene no secret: an environment built from nothing, an empty PID 1 environment, no credentials', async () => {
    const outcome = await attack(fixture('attacks/env_and_secrets.py'));
    expect(outcome.scene.status).toBe('succeeded');
    // bubblewrap: the paths do not exist inside (and PID 1 has no environment); Landlock: they may not be opened.
    const blocked = landlocked ? '(FileNotFoundError|PermissionError)' : 'FileNotFoundError';
    if (landlocked) expect(outcome.log).toContain("'/proc/1/environ': 'blocked: PermissionError'");
    else expect(outcome.log).toContain("'/proc/1/environ': ''");
    expect(outcome.log).toMatch(new RegExp(`application_default_credentials.json': 'blocked: ${blocked}'`));
    expect(outcome.log).toMatch(new RegExp(`'/var/run/secrets': 'blocked: ${blocked}'`));
    expect(outcome.log).toMatch(new RegExp(`'/etc/shadow': 'blocked: ${blocked}'`));
    expect(outcome.log).not.toMatch(/CANARY|npm_|JEST|NODE_/);
    await expectNextJobRenders();
  });

  it("shows a scene none of the host's processes, their command lines or their environments", async () => {
    const outcome = await attack(fixture('attacks/proc_scan.py'));
    expect(outcome.scene.status).toBe('succeeded');
    if (landlocked) {
      // /proc can be neither listed nor read: not even the supervisor's command line or environment.
      expect(outcome.log).toContain('ATTACK_RESULT blocked listing /proc PermissionError');
      expect(outcome.log).not.toMatch(/^ATTACK_RESULT \d+ /m);
    } else {
      const pids = [...new Set([...outcome.log.matchAll(/^ATTACK_RESULT (?:blocked )?(\d+) /gm)].map((m) => Number(m[1])))];
      // bubblewrap's PID 1, the worker and what it runs: a handful of small PIDs of the sandbox's own namespace.
      expect(pids.length).toBeLessThan(10);
      expect(Math.max(...pids)).toBeLessThan(100);
    }
    expect(outcome.log).not.toMatch(/\bsleep\b|node|jest/);
    await expectNextJobRenders();
  });

  it('gives a scene no route to the metadata server', async () => {
    const outcome = await attack(fixture('attacks/metadata_server.py'));
    expect(outcome.scene.status).toBe('succeeded');
    expect(outcome.log).toContain('ATTACK_RESULT blocked http://169.254.169.254/');
    expect(outcome.log).toContain('ATTACK_RESULT blocked http://metadata.google.internal/');
    expect(outcome.log).not.toContain('ATTACK_RESULT token');
    await expectNextJobRenders();
  });

  it("refuses a scene every socket to the host's loopback and the internet", async () => {
    failedWith(await attack(fixture('attacks/loopback_probe.py')), 'network_unavailable');
    await expectNextJobRenders();
  });

  it('refuses connections back to listeners on the host, by TCP, UDP, IPv6 and abstract UNIX sockets', async () => {
    const servicePort = Number(new URL(service.url).port);
    const targets = [ports.tcp, ports.udp, servicePort, ...(ports.tcp6 ? [ports.tcp6] : [])].map((port) => `("127.0.0.1", ${port})`);
    const code = fixture('attacks/connect_back.py').replace('TARGETS = []', `TARGETS = [${targets.join(', ')}]`);
    const outcome = await attack(code);
    expect(outcome.scene.status).toBe('succeeded');
    expect(outcome.log).not.toContain('ATTACK_RESULT connected');
    expect(outcome.log).toContain('ATTACK_RESULT blocked abstract unix socket');
    expect(connections).toBe(0);
    await expectNextJobRenders();
  });

  it('denies the system calls of the seccomp filter with an error, and allows AF_UNIX and fork', async () => {
    const outcome = await attack(fixture('attacks/syscalls.py'));
    expect(outcome.scene.status).toBe('succeeded');
    const results = Object.fromEntries([...outcome.log.matchAll(/^ATTACK_RESULT (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(results).toEqual({
      socket_inet: 'EAFNOSUPPORT',
      socket_inet6: 'EAFNOSUPPORT',
      socket_netlink: 'EAFNOSUPPORT',
      socket_packet: 'EAFNOSUPPORT',
      socket_unix: 'allowed',
      ptrace: 'EPERM',
      bpf: 'EPERM',
      io_uring_setup: 'EPERM',
      keyctl: 'EPERM',
      mount: 'EPERM',
      unshare_user: 'EPERM',
      unshare_net: 'EPERM',
      setns: 'EPERM',
      clone_newuser: 'EPERM',
      clone3: 'ENOSYS',
      perf_event_open: 'EPERM',
      userfaultfd: 'EPERM',
      fork: 'allowed',
    });
    await expectNextJobRenders();
  });

  it('stops a fork bomb at the process limit, and leaves none of its processes behind', async () => {
    failedWith(await attack(fixture('attacks/fork_bomb.py')), 'process_limit');
    await expectNextJobRenders();
  });

  it('stops a scene that starts threads without bound at the process limit, or at the CPU-time limit', async () => {
    // The threads it did start spin on the GIL against the main thread raising the error: which limit ends the
    // scene first, processes or CPU seconds, depends on the host's scheduling. Either is a clear failure.
    const outcome = await attack(fixture('attacks/thread_spin.py'));
    expect(outcome.scene.status).toBe('failed');
    expect(['process_limit', 'cpu_limit']).toContain(outcome.scene.error?.code);
    await expectNextJobRenders();
  });

  it('stops a memory bomb at the address-space limit of its quality', async () => {
    failedWith(await attack(fixture('attacks/memory_bomb.py')), 'memory_limit');
    await expectNextJobRenders();
  });

  it('holds the memory of the whole process tree to the memory cgroup, where the host has one', async () => {
    const ready = (await (await service.request('GET', '/readyz')).json()) as { checks: Record<string, { detail: string }> };
    if (!ready.checks['sandbox.memory_cgroup']?.detail.startsWith('active')) return; // this host lets no cgroup be made
    const outcome = await attack(fixture('attacks/fork_memory.py'));
    failedWith(outcome, 'memory_limit');
    expect(outcome.log).toMatch(/ATTACK_RESULT children killed by SIGKILL: [1-4]/);
    await expectNextJobRenders();
  });

  it('holds memory taken as memfd pages (outside the address space) to the memory cgroup, where the host has one', async () => {
    const ready = (await (await service.request('GET', '/readyz')).json()) as { checks: Record<string, { detail: string }> };
    if (!ready.checks['sandbox.memory_cgroup']?.detail.startsWith('active')) return; // this host lets no cgroup be made
    const outcome = await attack(fixture('attacks/memfd_fill.py'));
    failedWith(outcome, 'memory_limit');
    // 2.25 GiB were asked for against a sandbox of 1 GiB: the scene was stopped before it could say it held them.
    expect(outcome.log).not.toContain('ATTACK_RESULT memfd held 2304 MiB');
    await expectNextJobRenders();
  });

  it('stops a scene that spins the CPU at the CPU-time limit, before its wall-clock limit', async () => {
    failedWith(await attack(fixture('never_ends.py'), { timeoutSeconds: 60 }), 'cpu_limit');
    await expectNextJobRenders();
  });

  it('stops a scene filling its directory with one file at the file-size limit', async () => {
    failedWith(await attack(fixture('attacks/disk_fill.py')), 'disk_limit');
    await expectNextJobRenders();
  });

  it('stops a scene filling its directory with many files at the directory quota', async () => {
    const outcome = await attack(fixture('attacks/many_files.py'));
    failedWith(outcome, 'disk_limit');
    expect(outcome.log).toContain('[sandbox] Disk quota exceeded');
    await expectNextJobRenders();
  });

  it('stops a scene filling /tmp at the size of its tmpfs (landlock: /tmp cannot be written at all)', async () => {
    const outcome = await attack(fixture('attacks/tmp_fill.py'));
    if (landlocked) {
      failedWith(outcome, 'scene_error');
      expect(outcome.scene.error?.message).toMatch(/PermissionError/);
    } else failedWith(outcome, 'disk_limit');
    await expectNextJobRenders();
  });

  it('keeps a bounded log of a scene that floods stdout and stderr, and stops it past the output ceiling', async () => {
    const outcome = await attack(fixture('attacks/log_flood.py'));
    failedWith(outcome, 'output_limit');
    expect(Buffer.byteLength(outcome.log)).toBeLessThanOrEqual(MAX_LOG_BYTES + 200);
    expect(outcome.log).toMatch(/\[sandbox\] \d+ bytes of output discarded/);
    expect(outcome.log).toContain('[sandbox] Output limit exceeded');
    await expectNextJobRenders();
  });

  it("shows a scene neither the app, nor its data, nor other jobs' files, and lets it write nowhere outside", async () => {
    const outcome = await attack(fixture('attacks/escape_files.py'));
    expect(outcome.scene.status).toBe('succeeded');
    expect(outcome.log).toContain('ATTACK_RESULT blocked /app FileNotFoundError');
    expect(outcome.log).toMatch(landlocked ? /ATTACK_RESULT blocked \/home PermissionError/ : /ATTACK_RESULT blocked \/home FileNotFoundError/);
    expect(outcome.log).toContain('ATTACK_RESULT blocked write /usr/lib/python3/dist-packages/pwned.py');
    expect(outcome.log).toContain('ATTACK_RESULT blocked write /etc/pwned');
    if (landlocked) {
      // The directories above its own (the other jobs') may be neither listed nor written.
      expect(outcome.log).toMatch(/ATTACK_RESULT blocked \S+\/\.\. PermissionError/);
      expect(outcome.log).toMatch(/ATTACK_RESULT blocked write \S+\/\.\.\/pwned PermissionError/);
      expect(outcome.log).toContain('ATTACK_RESULT blocked /tmp PermissionError');
    } else {
      // Its directory is /job, whose parent is the sandbox's own read-only root: no other job's directory is there.
      const parent = /ATTACK_RESULT listing \/job\/\.\. (\[.*\])/.exec(outcome.log)?.[1] ?? '';
      expect(parent).toContain("'job'");
      expect(parent).not.toMatch(/'w-|pwned/);
    }
    expect(outcome.log).not.toContain('jobs.sqlite');
    expect(outcome.log).not.toContain('canary');
    expect(fs.existsSync('/etc/pwned')).toBe(false);
    expect(fs.existsSync('/usr/lib/python3/dist-packages/pwned.py')).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'work', 'pwned'))).toBe(false);
    await expectNextJobRenders();
  });

  it('runs shell commands only inside: the sandbox uid, its own processes, no network', async () => {
    const outcome = await attack(fixture('attacks/shell_out.py'));
    expect(outcome.scene.status).toBe('succeeded');
    const [, uid, gid] = /ATTACK_RESULT id -> 0 uid=(\d+)\S* gid=(\d+)/.exec(outcome.log) ?? [];
    expect(isSandboxUid(Number(uid))).toBe(true);
    expect(gid).toBe(uid);
    // (The scene prints the first 300 characters of each command's output.)
    const ps = outcome.log.split('ATTACK_RESULT ps aux')[1]?.split('ATTACK_RESULT')[0] ?? '';
    const processes = ps.split('\n').filter((line) => /^\S+\s+\d+\s/.test(line));
    // bubblewrap: only the sandbox's own processes; landlock: none at all (/proc cannot be read).
    if (landlocked) expect(processes).toEqual([]);
    else expect(processes.length).toBeGreaterThan(0);
    for (const line of processes) expect(line.startsWith(uid!)).toBe(true);
    expect(ps).not.toMatch(/node|jest/);
    expect(outcome.log).toMatch(/ATTACK_RESULT curl -s -m 3 http:\/\/169\.254\.169\.254\/ -> [1-9]/);
    // bubblewrap's own command line (PID 1) carries none of the host's layout.
    expect(outcome.log.split('ATTACK_RESULT cat /proc/1/cmdline')[1]?.split('\n')[0]).not.toContain(dataDir);
    await expectNextJobRenders();
  });

  it("lets Manim's file-reading objects see only the sandbox's files", async () => {
    const code = fixture('attacks/python_file_readers.py').replace('CANARY_PATHS = []', `CANARY_PATHS = ${JSON.stringify([canary.repoFile, dataCanary])}`);
    const outcome = await attack(code);
    expect(outcome.scene.status).toBe('succeeded');
    for (const file of [canary.repoFile, dataCanary]) {
      for (const reader of ['open', 'Code', 'ImageMobject', 'SVGMobject']) {
        expect(outcome.log).toMatch(new RegExp(`ATTACK_RESULT blocked ${reader} ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\w+`));
      }
    }
    if (landlocked) expect(outcome.log).toMatch(/ATTACK_RESULT blocked open \/proc\/1\/environ PermissionError/);
    else expect(outcome.log).toContain("ATTACK_RESULT read open /proc/1/environ ''");
    await expectNextJobRenders();
  });

  it('refuses an output whose directory the scene swapped for a symlink, without following it', async () => {
    const outcome = await attack(fixture('attacks/planted_symlink.py'));
    expect(outcome.log).toContain('ATTACK_RESULT planted');
    if (landlocked && outcome.scene.error?.code === 'scene_error') {
      // Manim's own write through the link (into the host's /tmp) was refused before any output was reported.
      expect(outcome.log).toMatch(/PermissionError|Permission denied/);
    } else {
      failedWith(outcome, 'output_invalid');
      expect(outcome.scene.error?.message).toMatch(/symbolic link/);
    }
    await expectNextJobRenders();
  });

  it("refuses an output reported in a host directory the scene linked its whole media directory to, and reads nothing there", async () => {
    const code = fixture('attacks/output_dir_swap.py').replace('HOST_DIR = ""', `HOST_DIR = ${JSON.stringify(dataDir)}`).replace('HOST_FILE = ""', 'HOST_FILE = "canary.txt"');
    const outcome = await attack(code);
    expect(outcome.log).toContain('ATTACK_RESULT planted');
    failedWith(outcome, 'output_invalid');
    expect(outcome.scene.error?.message).toMatch(/symbolic link/);
    expect(JSON.stringify(outcome.scene)).not.toContain(dataDir);
    await expectNextJobRenders();
  });

  it('refuses a file that is no movie, whatever the scene says it is', async () => {
    const outcome = await attack(fixture('attacks/forged_media.py'));
    failedWith(outcome, 'output_invalid');
    expect(outcome.scene.error?.message).toMatch(/not a mp4 file|not readable media/);
    await expectNextJobRenders();
  });

  it('never parses a scene-made file on the host: a playlist through /proc/self/environ is read only by a sandboxed reader', async () => {
    const outcome = await attack(fixture('attacks/environ_playlist.py'));
    failedWith(outcome, 'output_invalid');
    expect(fs.existsSync(hostProbeMarker)).toBe(false);
    await expectNextJobRenders();
  });

  it('refuses a sparse output, whose length is far more than the disk it holds', async () => {
    const outcome = await attack(fixture('attacks/sparse_output.py'));
    expect(outcome.log).toMatch(/ATTACK_RESULT sparse 209715200 \d+/);
    failedWith(outcome, 'output_invalid');
    expect(outcome.scene.error?.message).toMatch(/sparse/);
    await expectNextJobRenders();
  });

  it('ran no media reader of the host on anything a scene made', () => {
    expect(fs.existsSync(hostProbeMarker)).toBe(false);
  });

  // Without a mount namespace the job directory keeps its host path (SECURITY.md): only the bubblewrap profile hides it.
  (landlocked ? it.skip : it)("names the sandbox's own paths, never the host's, in a scene's log and error messages", async () => {
    const outcome = await attack(fixture('attacks/host_paths.py'));
    failedWith(outcome, 'scene_error');
    expect(outcome.log).toContain('ATTACK_RESULT cwd /job media /job/media home /job');
    expect(outcome.scene.error?.message).toContain('no_such_asset.png');
    expect(JSON.stringify(outcome.scene)).not.toContain(dataDir);
    expect(outcome.log).not.toContain(dataDir);
    await expectNextJobRenders();
  });

  it('let no connection out of any sandbox', () => {
    expect(connections).toBe(0);
  });

  it('leaked no canary into any response, render log, output, stored file or service log line', () => {
    const stored: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile() && full !== dataCanary) stored.push(fs.readFileSync(full).toString('latin1'));
      }
    };
    walk(dataDir);
    const everything = [...seen, ...stored, ...serviceLog];
    expect(serviceLog.length).toBeGreaterThan(0);
    for (const text of everything) {
      for (const value of CANARY_STRINGS) expect(text.includes(value)).toBe(false);
    }
  });
});
}
