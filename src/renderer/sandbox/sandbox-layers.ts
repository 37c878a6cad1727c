/**
 * The layers of the render sandbox, each probed on the host at start (see probe-sandbox.ts and SECURITY.md):
 *
 * - `env`: the launcher and the sandbox start from an empty environment; nothing of the service's reaches them;
 * - `namespaces` (bubblewrap profile): mount, PID, network, IPC, UTS and cgroup namespaces in a user namespace
 *   that cannot create further ones; only the paths rendering needs are visible, read-only, besides the job's dir;
 * - `landlock` (landlock profile, for hosts that refuse namespaces): the file system read-only where rendering
 *   reads, writable only in the job's dir, nothing else (not /proc); no TCP; signals and abstract UNIX sockets
 *   scoped to the sandbox (Landlock ABI 6+);
 * - `uid`: scene code runs as a non-root uid on the host, without capabilities, under no_new_privs;
 * - `seccomp`: the syscall filter (non-UNIX sockets, namespaces, mount, ptrace, bpf, io_uring, keyring...);
 * - `rlimits`: processes, address space, CPU seconds, file size and open files;
 * - `disk_quota`: the supervisor's quota on the job's directory, and a size-limited /tmp (or none at all);
 * - `pids_cgroup`: a pids cgroup per sandbox, where the container may create cgroups;
 * - `memory_cgroup`: a memory cgroup per sandbox (the whole tree's memory; RLIMIT_AS bounds each process only);
 * - `memory_watch`: where there is no memory cgroup, the supervisor's own measure of the whole tree's memory
 *   (proportional set sizes, memfd and tmpfs files, the sandbox's tmpfs), stopping it past SANDBOX_MEMORY_BYTES.
 */
export const SANDBOX_LAYERS = ['env', 'namespaces', 'landlock', 'uid', 'seccomp', 'rlimits', 'disk_quota', 'pids_cgroup', 'memory_cgroup', 'memory_watch'] as const;
export type SandboxLayer = (typeof SANDBOX_LAYERS)[number];

/** The two ways a sandbox is built: bubblewrap's namespaces, or Landlock where the host refuses namespaces. */
export type SandboxProfile = 'bwrap' | 'landlock';

/**
 * One requirement of the minimum: layers any one of which meets it (`namespaces|landlock`: the file system and
 * process isolation of either profile).
 */
export type SandboxRequirement = readonly SandboxLayer[];

/**
 * What a renderer requires unless told otherwise: every layer but the cgroups, which managed hosts rarely allow,
 * with the isolation of either profile (both hold the whole attack suite; SECURITY.md has what each gives).
 */
export const DEFAULT_SANDBOX_MINIMUM: readonly SandboxRequirement[] = [['env'], ['namespaces', 'landlock'], ['uid'], ['seccomp'], ['rlimits'], ['disk_quota']];

export interface LayerState {
  active: boolean;
  /** Why it is inactive, or what was observed. */
  detail: string;
}

export type SandboxReport = Record<SandboxLayer, LayerState>;

/** `a|b` for a requirement, as SANDBOX_MINIMUM spells it. */
export function requirementName(requirement: SandboxRequirement): string {
  return requirement.join('|');
}

/** The requirements of `minimum` that `report` does not meet (no layer of theirs active). */
export function missingLayers(report: SandboxReport, minimum: readonly SandboxRequirement[]): SandboxRequirement[] {
  return minimum.filter((requirement) => !requirement.some((layer) => report[layer].active));
}

/** Whether `minimum` asks at least what `baseline` does: each requirement of it met by one at least as strict. */
export function weakenedRequirements(minimum: readonly SandboxRequirement[], baseline: readonly SandboxRequirement[]): SandboxRequirement[] {
  return baseline.filter((wanted) => !minimum.some((given) => given.length > 0 && given.every((layer) => wanted.includes(layer))));
}
