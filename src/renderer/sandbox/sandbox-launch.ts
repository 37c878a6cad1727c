import path from 'node:path';
import type { WorkerLaunch } from '../worker/worker-process';
import { bwrapArgs } from './bwrap-args';
import type { SandboxProfile } from './sandbox-layers';
import type { SandboxSettings } from './sandbox-settings';
import type { SandboxView } from './sandbox-view';

/** How this host runs sandboxes: fixed at start from the probe. */
export interface SandboxHost {
  /** bubblewrap's namespaces, or Landlock and the rest without namespaces (python/manim_worker/sandbox/landlocked_exec.py). */
  profile: SandboxProfile;
  /** Runs the supervisor: a Python of the host (the configured one; only its standard library is used). */
  supervisorPython: string;
  /** The directory holding the `manim_worker` package (the supervisor is `manim_worker/sandbox/supervisor.py`). */
  pythonPath: string;
  bwrap: string;
  view: SandboxView;
  settings: SandboxSettings;
  /** Load the seccomp filter (when the probe showed it works, or to find out). */
  seccomp: boolean;
  /** Put each sandbox in a pids cgroup (when the probe showed the host allows it, or to find out). */
  pidsCgroup: boolean;
  /** Put each sandbox in a memory cgroup (likewise). */
  memoryCgroup: boolean;
}

/** Character devices a render may use under the landlock profile (read and write); no other device is reachable. */
const LANDLOCK_DEVICES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom'];

/** What the supervisor reads from its one argument (python/manim_worker/sandbox/supervisor.py). */
interface SupervisorSpec {
  profile: SandboxProfile;
  /** bubblewrap profile: the binary and its options, the command after `--`. */
  bwrap?: string;
  args?: string[];
  /** landlock profile: the worker's command, its limits and what of the file system it may read. */
  exec?: { command: string; args: string[]; env: Record<string, string> };
  rlimits?: { nproc: number; as: number; cpu: number; fsize: number; nofile: number };
  landlock?: { readOnly: string[]; devices: string[]; listOnly: string[] };
  workDir: string;
  uid: number;
  gid: number;
  diskBytes: number;
  diskEntries: number;
  logBytes: number;
  outputVolumeBytes: number;
  seccomp: boolean;
  cgroups: { maxTasks: number | null; memoryBytes: number | null; required: Array<'pids' | 'memory'> } | null;
  probe: boolean;
  /** Where no memory cgroup bounds the sandbox: the supervisor stops it past this many bytes in all. */
  memoryWatchBytes: number | null;
  /** The descriptor (the supervisor's alone) it reports the sandbox tree's CPU and peak memory on, at its end. */
  usageFd?: number;
  /** Started ahead of its job: below the renders beside it until SIGUSR1 says its job has come (root only). */
  spare?: boolean;
}

/** The supervisor's usage descriptor: the first after the worker's stdin, stdout, stderr and protocol channel. */
const USAGE_FD = 4;

/**
 * Wraps a worker's plain launch (Python, its environment built from nothing, its work dir) in the sandbox:
 * the supervisor starts bubblewrap as the sandbox uid with the seccomp filter loaded, the work dir the only
 * writable path, and the worker under its rlimits. The supervisor itself starts with an empty environment; the worker's environment
 * reaches the sandbox only as bubblewrap's --setenv, after --clearenv.
 */
export function sandboxLaunch(params: { host: SandboxHost; inner: WorkerLaunch; probe?: boolean; uid?: number; spare?: boolean }): WorkerLaunch {
  const { host, inner } = params;
  const { settings } = host;
  const profileSpec =
    host.profile === 'landlock'
      ? {
          profile: 'landlock' as const,
          exec: { command: inner.command, args: inner.args, env: inner.env },
          rlimits: { nproc: settings.maxProcesses, as: settings.addressSpaceBytes, cpu: settings.cpuSeconds, fsize: settings.fileBytes, nofile: settings.openFiles },
          landlock: {
            readOnly: [...host.view.readOnly, ...host.view.readOnlyIfPresent, ...host.view.readOnlyAt.map((shared) => shared.host)],
            devices: LANDLOCK_DEVICES,
            // Python finds the worker's package by listing the directory that holds it (nothing else there is read).
            listOnly: [host.pythonPath],
          },
        }
      : {
          profile: 'bwrap' as const,
          bwrap: host.bwrap,
          args: bwrapArgs({ view: host.view, workDir: inner.cwd, settings, env: inner.env, command: inner.command, args: inner.args }),
        };
  const spec: SupervisorSpec = {
    ...profileSpec,
    workDir: inner.cwd,
    uid: params.uid ?? settings.uid,
    gid: params.uid ?? settings.gid,
    diskBytes: settings.diskBytes,
    diskEntries: settings.diskEntries,
    logBytes: settings.logBytes,
    outputVolumeBytes: settings.outputVolumeBytes,
    seccomp: host.seccomp,
    // Asked for only where the probe found them to work; then a failure for one worker is a failure to start.
    cgroups:
      host.pidsCgroup || host.memoryCgroup
        ? {
            maxTasks: host.pidsCgroup ? settings.maxProcesses : null,
            memoryBytes: host.memoryCgroup ? settings.memoryBytes : null,
            required: params.probe ? [] : [...(host.pidsCgroup ? ['pids' as const] : []), ...(host.memoryCgroup ? ['memory' as const] : [])],
          }
        : null,
    probe: params.probe ?? false,
    memoryWatchBytes: host.memoryCgroup ? null : settings.memoryBytes,
    ...(!params.probe && { usageFd: USAGE_FD }),
    ...(params.spare && { spare: true }),
  };
  return {
    command: host.supervisorPython,
    args: ['-I', '-S', '-B', path.join(host.pythonPath, 'manim_worker', 'sandbox', 'supervisor.py'), JSON.stringify(spec)],
    env: {},
    cwd: inner.cwd,
    ...(!params.probe && { usageFd: USAGE_FD }),
    ...(params.spare && { promoteSignal: 'SIGUSR1' as const }),
  };
}
