import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SANDBOX_LAYERS, type SandboxReport } from './sandbox-layers';
import { sandboxLaunch, type SandboxHost } from './sandbox-launch';

/** The only variables the probe's sandbox is given: anything else it sees leaked in from somewhere. */
const PROBE_ENV = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };
/** bubblewrap sets PWD itself. */
const ALLOWED_EXTRA_ENV = new Set(['PWD']);
const PROBE_TIMEOUT_MS = 30_000;

interface HostReport {
  asRoot?: boolean;
  uid?: number;
  seccomp?: boolean;
  cgroups?: string[];
  cgroupErrors?: Record<string, string>;
  /** Whether the supervisor could read a process's smaps_rollup (the memory watch's source). */
  memoryReadable?: boolean;
  error?: string;
}

interface InsideReport {
  pid: number;
  uid: number;
  capEff: number;
  noNewPrivs: boolean;
  seccompMode: number;
  inetSocket: string;
  unixSocket: string;
  newUserNamespace: string;
  /** null where /proc is not readable (the landlock profile). */
  netInterfaces: string[] | null;
  environKeys: string[];
  pid1EnvironBytes: number | null;
  procReadable: boolean;
  signalParent: string;
  landlockAbi: number;
  rlimits: Record<'AS' | 'CPU' | 'FSIZE' | 'NOFILE' | 'NPROC', number>;
  tmpBytes: number;
  tmpWritable: boolean;
  rootWritable: boolean;
  visible: string[];
  readable: string[];
  writableOutside: string[];
}

/**
 * Starts one real sandbox exactly as workers are started (the supervisor, bubblewrap, the filter, the limits)
 * with a small Python script inside that reports what it can see, and decides from both sides which layers are
 * in force on this host. Nothing is assumed: a layer is active only if it was observed from inside.
 * `mustBeHidden` are host paths that must not exist in the sandbox (the app, its data).
 */
export function probeSandbox(params: { host: SandboxHost; workRoot: string; mustBeHidden: string[] }): SandboxReport {
  const { host } = params;
  const workDir = path.join(params.workRoot, `probe-${randomUUID()}`);
  // Another job's directory, which must stay out of sight.
  const sibling = `${workDir}-sibling`;
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(sibling, { mode: 0o700 });
  try {
    const probeScript = path.join(host.pythonPath, 'manim_worker', 'sandbox', 'probe_inside.py');
    const launch = sandboxLaunch({
      host,
      probe: true,
      // The configured Python, inside the sandbox like a worker's, running only the standard library.
      inner: { command: host.supervisorPython, args: ['-I', '-S', '-B', probeScript, ...params.mustBeHidden, sibling], env: PROBE_ENV, cwd: workDir },
    });
    const result = spawnSync(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, input: '' });
    const lines = (result.stdout ?? '').split('\n').filter((line) => line.startsWith('{'));
    const find = <T>(key: string): T | undefined => {
      for (const line of lines) {
        try {
          const parsed = JSON.parse(line) as Record<string, T>;
          if (parsed[key]) return parsed[key];
        } catch {
          // not ours
        }
      }
      return undefined;
    };
    const outside = find<HostReport>('host') ?? {};
    const inside = find<InsideReport>('inside');
    let hostUid: number | null = null;
    try {
      hostUid = fs.statSync(path.join(workDir, 'probe-owner')).uid;
    } catch {
      // the probe did not get that far
    }
    const failure = outside.error ?? `${(result.stderr ?? '').trim().split('\n').slice(-3).join(' ') || result.error?.message || `exit ${result.status}`}`;
    return evaluate(host, outside, inside && { ...inside, hostUid }, failure);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
    fs.rmSync(sibling, { recursive: true, force: true });
  }
}

function evaluate(
  host: SandboxHost,
  outside: HostReport,
  inside: (InsideReport & { hostUid: number | null }) | undefined,
  failure: string,
): SandboxReport {
  if (!inside) {
    const report = {} as SandboxReport;
    for (const layer of SANDBOX_LAYERS) report[layer] = { active: false, detail: `the sandbox did not start: ${failure}` };
    return report;
  }
  const { settings } = host;
  const leaked = inside.environKeys.filter((key) => !(key in PROBE_ENV) && !ALLOWED_EXTRA_ENV.has(key));
  const check = (problems: Array<string | false>, ok: string) => {
    const found = problems.filter((p): p is string => Boolean(p));
    return found.length ? { active: false, detail: found.join('; ') } : { active: true, detail: ok };
  };
  const limits = inside.rlimits;
  const tmpOff = Math.abs(inside.tmpBytes - settings.tmpBytes) > Math.max(1 << 20, settings.tmpBytes * 0.05);
  const landlocked = host.profile === 'landlock';
  return {
    env: check(
      [
        leaked.length > 0 && `variables reached the sandbox: ${leaked.join(', ')}`,
        !landlocked && (inside.pid1EnvironBytes ?? 0) > 0 && "the sandbox's PID 1 has an environment",
      ],
      'the launcher and the sandbox start from an empty environment',
    ),
    namespaces: landlocked
      ? { active: false, detail: 'not used: the landlock profile has no namespaces' }
      : check(
          [
            inside.pid > 3 && `the sandbox sees host PIDs (its own is ${inside.pid})`,
            (inside.netInterfaces ?? []).some((name) => name !== 'lo') && `network interfaces visible: ${(inside.netInterfaces ?? []).join(', ')}`,
            inside.visible.length > 0 && `host paths visible: ${inside.visible.join(', ')}`,
            inside.rootWritable && 'the root of the sandbox is writable',
            inside.newUserNamespace === 'allowed' && 'a nested user namespace could be created',
          ],
          'mount, PID, network, IPC, UTS and cgroup namespaces; no nested user namespaces; only rendering paths visible',
        ),
    landlock: !landlocked
      ? { active: false, detail: 'not used: the bwrap profile has namespaces' }
      : check(
          [
            inside.landlockAbi < 1 && 'Landlock is not available inside',
            inside.readable.length > 0 && `host paths readable: ${inside.readable.join(', ')}`,
            inside.writableOutside.length > 0 && `writable outside the job directory: ${inside.writableOutside.join(', ')}`,
            inside.tmpWritable && '/tmp is writable',
            inside.procReadable && "/proc is readable (other processes' command lines)",
            inside.landlockAbi >= 6 && inside.signalParent === 'allowed' && 'a process outside the sandbox could be signalled',
            inside.newUserNamespace === 'allowed' && 'a user namespace could be created',
          ],
          `Landlock ABI ${inside.landlockAbi}: read-only where rendering reads, writable only in the job directory, no /proc, no TCP` +
            (inside.landlockAbi >= 6 ? '; signals and abstract UNIX sockets scoped to the sandbox' : ' (ABI < 6: signals and abstract UNIX sockets not scoped)'),
        ),
    uid: check(
      [
        (inside.hostUid === null || inside.hostUid === 0) && `scene code runs as host uid ${inside.hostUid}`,
        inside.capEff !== 0 && `scene code has capabilities (${inside.capEff.toString(16)})`,
        !inside.noNewPrivs && 'no_new_privs is not set',
      ],
      `host uid ${inside.hostUid}${inside.hostUid === process.getuid?.() ? " (the service's own: run it as root for a uid of the sandbox's own)" : ''}, no capabilities, no_new_privs`,
    ),
    seccomp: check(
      [
        inside.seccompMode !== 2 && 'no seccomp filter is loaded',
        inside.inetSocket !== 'EAFNOSUPPORT' && `an AF_INET socket was ${inside.inetSocket}`,
        inside.unixSocket !== 'allowed' && `an AF_UNIX socket was ${inside.unixSocket}`,
      ],
      'filter loaded; AF_INET refused, AF_UNIX allowed',
    ),
    rlimits: check(
      [
        // Without a user namespace of its own a non-root sandbox shares the service's uid, whose tasks count too:
        // it gets its share on top of them (landlocked_exec.py).
        (landlocked && !outside.asRoot ? limits.NPROC < settings.maxProcesses : limits.NPROC !== settings.maxProcesses) && `RLIMIT_NPROC is ${limits.NPROC}`,
        limits.AS !== settings.addressSpaceBytes && `RLIMIT_AS is ${limits.AS}`,
        limits.CPU !== settings.cpuSeconds && `RLIMIT_CPU is ${limits.CPU}`,
        limits.FSIZE !== settings.fileBytes && `RLIMIT_FSIZE is ${limits.FSIZE}`,
        limits.NOFILE !== settings.openFiles && `RLIMIT_NOFILE is ${limits.NOFILE}`,
      ],
      `processes ${settings.maxProcesses}, address space ${settings.addressSpaceBytes}, CPU ${settings.cpuSeconds} s, file ${settings.fileBytes}, open files ${settings.openFiles}`,
    ),
    disk_quota: landlocked
      ? check([inside.tmpWritable && '/tmp is writable, without a quota'], `no /tmp; job directory ${settings.diskBytes} bytes and ${settings.diskEntries} entries`)
      : check(
          [tmpOff && `/tmp holds ${inside.tmpBytes} bytes, not ${settings.tmpBytes}`],
          `/tmp ${settings.tmpBytes} bytes; job directory ${settings.diskBytes} bytes and ${settings.diskEntries} entries`,
        ),
    pids_cgroup: outside.cgroups?.includes('pids')
      ? { active: true, detail: `pids.max ${settings.maxProcesses} per sandbox` }
      : { active: false, detail: outside.cgroupErrors?.pids ?? 'not requested' },
    memory_cgroup: outside.cgroups?.includes('memory')
      ? { active: true, detail: `memory limit ${settings.memoryBytes} bytes per sandbox` }
      : { active: false, detail: outside.cgroupErrors?.memory ?? 'not requested' },
    memory_watch: outside.cgroups?.includes('memory')
      ? { active: false, detail: 'not needed: the memory cgroup bounds the sandbox' }
      : outside.memoryReadable
        ? { active: true, detail: `the supervisor measures the whole sandbox's memory (PSS, memfd and tmpfs files, its tmpfs) and stops it past ${settings.memoryBytes} bytes` }
        : { active: false, detail: "the supervisor cannot read the sandbox's memory use (/proc/<pid>/smaps_rollup)" },
  };
}
