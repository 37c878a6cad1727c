import type { SandboxSettings } from './sandbox-settings';
import type { SandboxView } from './sandbox-view';

/**
 * Where a sandbox sees its own directory, whatever its path on the host: nothing a scene prints, raises or writes
 * (Manim's "File ready at …", a traceback's paths) carries the host's layout out with it.
 */
export const SANDBOX_JOB_DIR = '/job';

/** A soft CPU limit sends SIGXCPU; the hard one, a little later, SIGKILL for a process that ignores it. */
const CPU_HARD_GRACE_SECONDS = 5;

/**
 * The bubblewrap options for one worker: namespaces, the filesystem view, the job's directory as the only
 * writable place besides a size-limited /tmp, an environment of exactly `env`, then the command under its
 * resource limits. The user namespace and the seccomp filter are added by the supervisor, which owns their file
 * descriptors.
 *
 * The limits are set inside the sandbox, by prlimit in front of the worker, not by the supervisor before
 * bubblewrap: RLIMIT_NPROC set there would also become the ceiling of the user namespace bubblewrap creates
 * (when the service does not run as root), which counts every process of the service's uid on the host.
 */
export function bwrapArgs(params: {
  view: SandboxView;
  workDir: string;
  settings: SandboxSettings;
  env: Record<string, string>;
  command: string;
  args: string[];
}): string[] {
  const { view, workDir } = params;
  const out = [
    // Every namespace but the user one, which the supervisor supplies (see python/manim_worker/sandbox/).
    // No --share-net: the sandbox's network namespace has only a loopback of its own, nothing of the host's.
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'sandbox',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    // A size-limited tmpfs of the sandbox's own on /tmp.
    '--size',
    String(params.settings.tmpBytes),
    '--tmpfs',
    '/tmp',
  ];
  for (const dir of view.readOnly) out.push('--ro-bind', dir, dir);
  for (const dir of view.readOnlyIfPresent) out.push('--ro-bind-try', dir, dir);
  for (const { host, inside } of view.readOnlyAt) out.push('--ro-bind', host, inside);
  for (const { target, link } of view.symlinks) out.push('--symlink', target, link);
  out.push('--proc', '/proc', '--dev', '/dev', '--bind', workDir, SANDBOX_JOB_DIR);
  // Everything bubblewrap made for the view (/, the parents of bound paths, /dev) becomes read-only.
  out.push('--remount-ro', '/dev', '--remount-ro', '/');
  out.push('--chdir', SANDBOX_JOB_DIR, '--clearenv');
  for (const [name, value] of Object.entries(params.env)) out.push('--setenv', name, value);
  const { settings } = params;
  out.push(
    '--',
    '/usr/bin/prlimit',
    `--nproc=${settings.maxProcesses}`,
    `--as=${settings.addressSpaceBytes}`,
    `--cpu=${settings.cpuSeconds}:${settings.cpuSeconds + CPU_HARD_GRACE_SECONDS}`,
    `--fsize=${settings.fileBytes}`,
    `--nofile=${settings.openFiles}`,
    '--core=0',
    '--',
    params.command,
    ...params.args,
  );
  return out;
}
