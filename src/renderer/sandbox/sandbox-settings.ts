import type { Config } from '../../config/config';

/** The limits and identity the sandbox imposes on every worker. */
export interface SandboxSettings {
  /** Host uid (and gid) scene code runs as when the service runs as root. Never 0. */
  uid: number;
  gid: number;
  /** Tasks (processes and threads) of the sandbox: RLIMIT_NPROC, and pids.max where there is a pids cgroup. */
  maxProcesses: number;
  /** RLIMIT_CPU per process; the wall-clock deadline of each job is the parent's. */
  cpuSeconds: number;
  /** RLIMIT_AS ceiling; the worker lowers it to its job's quality budget (python/manim_worker/limits.py). */
  addressSpaceBytes: number;
  /** RLIMIT_FSIZE: the largest file a scene may write. */
  fileBytes: number;
  /** Memory of the whole sandbox, where there is a memory cgroup. */
  memoryBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** Total bytes the job's directory may hold (enforced by the supervisor, which stops the sandbox past it). */
  diskBytes: number;
  /** Entries (files, directories) the job's directory may hold. */
  diskEntries: number;
  /** Size of the sandbox's /tmp (a tmpfs: memory). */
  tmpBytes: number;
  /** stdout and stderr kept for the render's log: the first and the last half (the rest is discarded, noted). */
  logBytes: number;
  /** stdout and stderr a scene may print in all before it is stopped (output_limit). */
  outputVolumeBytes: number;
}

/** The sandbox's limits from the service's settings. */
export function sandboxSettings(config: Config): SandboxSettings {
  return {
    uid: config.SANDBOX_UID,
    gid: config.SANDBOX_UID,
    maxProcesses: config.SANDBOX_MAX_PROCESSES,
    cpuSeconds: config.SANDBOX_CPU_SECONDS,
    addressSpaceBytes: config.SANDBOX_MAX_ADDRESS_SPACE_BYTES,
    fileBytes: Math.min(config.MAX_OUTPUT_BYTES, config.SANDBOX_DISK_BYTES),
    openFiles: config.SANDBOX_OPEN_FILES,
    memoryBytes: config.SANDBOX_MEMORY_BYTES,
    diskBytes: config.SANDBOX_DISK_BYTES,
    diskEntries: 100_000,
    tmpBytes: config.SANDBOX_TMP_BYTES,
    // A little under the parent's own cap, so the supervisor's notes fit in the log beside what it kept.
    logBytes: Math.max(512, config.MAX_LOG_BYTES - 4096),
    outputVolumeBytes: Math.max(128 * 1024 * 1024, 4 * config.MAX_LOG_BYTES),
  };
}
