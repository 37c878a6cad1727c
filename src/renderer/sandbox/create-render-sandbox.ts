import fs from 'node:fs';
import path from 'node:path';
import { APP_ROOT, type Config } from '../../config/config';
import type { Logger } from '../../logging/logger';
import type { WorkerLaunch } from '../worker/worker-process';
import { SANDBOX_JOB_DIR } from './bwrap-args';
import { hostRefusalHint } from './host-refusal-hint';
import { probeSandbox } from './probe-sandbox';
import { pythonInstallDirs } from './python-install-dirs';
import { sandboxLaunch, type SandboxHost } from './sandbox-launch';
import {
  DEFAULT_SANDBOX_MINIMUM,
  SANDBOX_LAYERS,
  missingLayers,
  requirementName,
  weakenedRequirements,
  type SandboxProfile,
  type SandboxReport,
} from './sandbox-layers';
import { sandboxSettings } from './sandbox-settings';
import { SandboxUids } from './sandbox-uids';
import { sandboxView } from './sandbox-view';

const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];
/** Where the bubblewrap profile shows the service's shared directories (the glyph cache) inside. */
const SHARED_INSIDE = '/shared';

/** The render sandbox as the renderer uses it: wraps worker launches, and says whether it may render at all. */
export interface RenderSandbox {
  /**
   * The sandboxed launch of a worker. Where the sandbox is not ready (fail closed), a launch that exits at once
   * with the reason on stderr: the worker fails to start, which the renderer treats as its own failure (retried,
   * then `internal_error`), and no scene code ever runs.
   */
  /** `spare`: started ahead of its job, below the renders running beside it until it is promoted (supervisor.py). */
  wrap(launch: WorkerLaunch, options?: { spare?: boolean }): WorkerLaunch;
  /** Where a worker whose directory is `workDir` on the host sees it (SANDBOX_JOB_DIR under bubblewrap, else the same). */
  jobDirOf(workDir: string): string;
  /** Where a sandbox sees a shared directory given at creation (`/shared/<name>` under bubblewrap, else the same). */
  sharedDirOf(hostDir: string): string;
  /** The profile chosen for this host, if any started. */
  readonly profile: SandboxProfile | 'none' | undefined;
  /** Whether the renderer may render: the configured minimum of layers is active (or the sandbox is off). */
  readonly ready: boolean;
  /** Readiness checks: `sandbox`, `sandbox.profile` and one `sandbox.<layer>` per layer, with what the probe observed. */
  checks(): Record<string, { ok: boolean; detail?: string }>;
}

/**
 * Probes the host once, at start, and chooses the profile (SANDBOX=auto: bubblewrap's namespaces where the host
 * lets them be made and they meet SANDBOX_MINIMUM, else the landlock profile), so that nothing renders on a host
 * where neither holds the minimum. SANDBOX=none (local mode only) turns the sandbox off, loudly.
 */
export function createRenderSandbox(params: {
  config: Config;
  pythonPath: string;
  workRoot: string;
  logger: Logger;
  /** Directories of the service every sandbox sees read-only; each must exist. */
  sharedReadOnly?: string[];
  /** The host probe; replaced only by unit tests of what follows from its report. */
  probe?: typeof probeSandbox;
}): RenderSandbox {
  const { config, logger } = params;
  const log = logger.child({ component: 'render-sandbox' });
  const minimum = config.SANDBOX_MINIMUM;
  const shared = params.sharedReadOnly ?? [];

  if (config.SANDBOX === 'none') {
    log.warn(
      'RENDER SANDBOX OFF (SANDBOX=none): scene code runs unconfined, with the access of this service; local development only',
    );
    return {
      wrap: (launch) => launch,
      jobDirOf: (workDir) => workDir,
      sharedDirOf: (dir) => dir,
      profile: 'none',
      ready: true,
      checks: () => ({ sandbox: { ok: true, detail: 'off (SANDBOX=none): local development only' } }),
    };
  }
  const lowered = weakenedRequirements(minimum, DEFAULT_SANDBOX_MINIMUM);
  if (lowered.length) {
    log.warn('RENDER SANDBOX MINIMUM LOWERED: scene code may run without these layers; local development only', { notRequired: lowered.map(requirementName) });
  }

  const settings = sandboxSettings(config);
  const sharedInside = (profile: SandboxProfile, dir: string) => (profile === 'bwrap' ? path.posix.join(SHARED_INSIDE, path.basename(dir)) : dir);
  const hostFor = (profile: SandboxProfile): SandboxHost => ({
    profile,
    supervisorPython: config.PYTHON,
    pythonPath: params.pythonPath,
    bwrap: config.SANDBOX_BWRAP ?? BWRAP_CANDIDATES.find((candidate) => fs.existsSync(candidate)) ?? '',
    view: sandboxView({
      pythonDirs: pythonInstallDirs(config.PYTHON),
      workerCodeDir: path.join(params.pythonPath, 'manim_worker'),
      sharedDirs: shared.map((dir) => ({ host: dir, inside: sharedInside(profile, dir) })),
    }),
    settings,
    seccomp: true,
    pidsCgroup: config.SANDBOX_CGROUPS,
    memoryCgroup: config.SANDBOX_CGROUPS,
  });
  const mustBeHidden = [path.join(APP_ROOT, 'package.json'), path.join(APP_ROOT, 'src'), config.DATA_DIR + '/jobs.sqlite'];
  const candidates: SandboxProfile[] = config.SANDBOX === 'auto' ? ['bwrap', 'landlock'] : [config.SANDBOX];
  // Each profile the setting allows, strongest first, until one meets the minimum; what the others lacked is kept.
  const tried: Array<{ profile: SandboxProfile; host: SandboxHost; report: SandboxReport; missing: string[]; started: boolean }> = [];
  for (const profile of candidates) {
    let host = hostFor(profile);
    if (profile === 'landlock') reachableByOthers([params.workRoot, ...host.view.readOnly, ...host.view.readOnlyAt.map((shared) => shared.host)], log);
    let report: SandboxReport;
    try {
      if (profile === 'bwrap' && !host.bwrap) throw new Error('bubblewrap (bwrap) is not installed');
      report = (params.probe ?? probeSandbox)({ host, workRoot: params.workRoot, mustBeHidden });
      // From now on each launch asks only for what this host showed it can do.
      host = { ...host, seccomp: report.seccomp.active, pidsCgroup: report.pids_cgroup.active, memoryCgroup: report.memory_cgroup.active };
    } catch (error) {
      report = Object.fromEntries(SANDBOX_LAYERS.map((layer) => [layer, { active: false, detail: (error as Error).message }])) as SandboxReport;
    }
    const started = SANDBOX_LAYERS.some((layer) => report[layer].active);
    tried.push({ profile, host, report, missing: missingLayers(report, minimum).map(requirementName), started });
    if (started && tried.at(-1)!.missing.length === 0) break;
  }
  const chosen = tried.find((t) => t.started && t.missing.length === 0);
  const shown = chosen ?? tried.find((t) => t.started) ?? tried[0]!;
  const { report } = shown;
  const ready = chosen !== undefined;
  const active = SANDBOX_LAYERS.filter((layer) => report[layer].active);
  const why = (t: (typeof tried)[number]) =>
    t.started
      ? `${t.profile}: missing required layers: ${t.missing.map((name) => `${name} (${name.split('|').map((layer) => t.report[layer as keyof SandboxReport].detail).join('; ')})`).join('; ')}`
      : `${t.profile}: does not start on this host: ${t.report.env.detail}`;
  const refusals = tried.filter((t) => t !== chosen).map(why);
  if (ready) {
    log.info('render sandbox ready', { profile: chosen.profile, active, required: minimum.map(requirementName), layers: report, ...(refusals.length && { notUsed: refusals }) });
  } else {
    log.error('render sandbox: no profile meets the required layers on this host; refusing to render', {
      refused: refusals,
      hint: hostRefusalHint(refusals.join(' ')),
    });
  }
  const refusal = shown.started
    ? `the render sandbox is missing required layers: ${refusals.join(' | ')}`
    : `the render sandbox does not start on this host: ${refusals.join(' | ')}`;
  const uids = new SandboxUids({ first: config.SANDBOX_UID, count: config.SANDBOX_UID_COUNT });
  const readyHost = chosen?.host;

  return {
    ready,
    profile: chosen?.profile,
    jobDirOf: (workDir) => (chosen?.profile === 'landlock' ? workDir : SANDBOX_JOB_DIR),
    sharedDirOf: (dir) => sharedInside(chosen?.profile ?? 'bwrap', dir),
    wrap(launch, options) {
      if (!readyHost) return refusingLaunch(launch.cwd, refusal);
      const spare = options?.spare ?? false;
      // As root each sandbox gets a uid of its own (as another user the supervisor runs it as that user).
      if (process.getuid?.() !== 0) return sandboxLaunch({ host: readyHost, inner: launch, spare });
      const uid = uids.take();
      return { ...sandboxLaunch({ host: readyHost, inner: launch, uid, spare }), onExit: () => uids.give(uid) };
    },
    checks() {
      const checks: Record<string, { ok: boolean; detail?: string }> = {
        sandbox: { ok: ready, detail: ready ? `profile ${chosen.profile}; active layers: ${active.join(', ')}` : refusal },
        'sandbox.profile': {
          ok: ready,
          detail: ready
            ? `${chosen.profile}${refusals.length ? ` (not used: ${refusals.join(' | ')})` : ''}`
            : `none meets the minimum; ${hostRefusalHint(refusals.join(' '))}`,
        },
      };
      for (const layer of SANDBOX_LAYERS) {
        const { active: on, detail } = report[layer];
        const required = minimum.some((requirement) => requirement.includes(layer) && !requirement.some((other) => report[other].active));
        checks[`sandbox.${layer}`] = { ok: on || !required, detail: `${on ? 'active' : required ? 'MISSING (required)' : 'inactive'}: ${detail}` };
      }
      return checks;
    },
  };
}

/**
 * Without a mount namespace a sandbox of another uid reaches its directory, and what it reads (the Python
 * installation, the worker's code), through the host's paths, so every directory above them must let others pass
 * (search, not list): the work root becomes 0711, and the directories above it and above the paths the sandbox
 * reads get the search bit for others where they lack it (only what this process owns, or anything as root).
 * Nothing becomes readable or listable that was not: the names of the work directories are random, and Landlock
 * lets a sandbox open nothing outside its own directory and the paths it reads.
 */
function reachableByOthers(paths: string[], log: Logger): void {
  const [workRoot] = paths;
  fs.mkdirSync(workRoot!, { recursive: true, mode: 0o711 });
  fs.chmodSync(workRoot!, 0o711);
  const done = new Set<string>();
  for (const target of paths) {
    for (let dir = path.dirname(path.resolve(target)); dir !== path.dirname(dir) && !done.has(dir); dir = path.dirname(dir)) {
      done.add(dir);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(dir);
      } catch {
        continue;
      }
      const mode = stat.mode & 0o7777;
      if ((mode & 0o001) !== 0) continue;
      if (process.getuid?.() !== 0 && stat.uid !== process.getuid?.()) continue;
      fs.chmodSync(dir, mode | 0o001);
      log.info('made a directory passable by sandbox uids (search only), for the landlock profile', { dir, mode: (mode | 0o001).toString(8) });
    }
  }
}

/** A worker launch that only says why there is no worker. EX_CONFIG: the host or the settings are at fault. */
function refusingLaunch(cwd: string, reason: string): WorkerLaunch {
  return { command: '/bin/sh', args: ['-c', 'printf "%s\\n" "$1" >&2; exit 78', 'refuse', `[sandbox] ${reason}`], env: {}, cwd };
}
