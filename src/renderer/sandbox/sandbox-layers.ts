/**
 * The layers of the render sandbox, each probed on the host at start (see probe-sandbox.ts and SECURITY.md):
 *
 * - `env`: the launcher and the sandbox start from an empty environment; nothing of the service's reaches them;
 * - `namespaces`: bubblewrap's mount, PID, network, IPC, UTS and cgroup namespaces in a user namespace that
 *   cannot create further ones; only the paths rendering needs are visible, read-only, besides the job's dir;
 * - `uid`: scene code runs as a non-root uid on the host, without capabilities, under no_new_privs;
 * - `seccomp`: the syscall filter (non-UNIX sockets, namespaces, mount, ptrace, bpf, io_uring, keyring...);
 * - `rlimits`: processes, address space, CPU seconds, file size and open files;
 * - `disk_quota`: a size-limited /tmp and the supervisor's quota on the job's directory;
 * - `pids_cgroup`: a pids cgroup per sandbox, where the container may create cgroups;
 * - `memory_cgroup`: a memory cgroup per sandbox (the whole tree's memory; RLIMIT_AS bounds each process only).
 */
export const SANDBOX_LAYERS = ['env', 'namespaces', 'uid', 'seccomp', 'rlimits', 'disk_quota', 'pids_cgroup', 'memory_cgroup'] as const;
export type SandboxLayer = (typeof SANDBOX_LAYERS)[number];

/** What a renderer requires unless told otherwise: every layer but the cgroups, which managed hosts rarely allow. */
export const DEFAULT_SANDBOX_MINIMUM: readonly SandboxLayer[] = ['env', 'namespaces', 'uid', 'seccomp', 'rlimits', 'disk_quota'];

export interface LayerState {
  active: boolean;
  /** Why it is inactive, or what was observed. */
  detail: string;
}

export type SandboxReport = Record<SandboxLayer, LayerState>;

/** The layers of `minimum` that `report` does not show active. */
export function missingLayers(report: SandboxReport, minimum: readonly SandboxLayer[]): SandboxLayer[] {
  return minimum.filter((layer) => !report[layer].active);
}
