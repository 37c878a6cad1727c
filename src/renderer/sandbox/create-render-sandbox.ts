import { SANDBOX_JOB_DIR } from './bwrap-args';
import { SandboxUids } from './sandbox-uids';
import fs from 'node:fs';
import path from 'node:path';
import { APP_ROOT, type Config } from '../../config/config';
import type { Logger } from '../../logging/logger';
import type { WorkerLaunch } from '../worker/worker-process';
import { probeSandbox } from './probe-sandbox';
import { pythonInstallDirs } from './python-install-dirs';
import { sandboxLaunch, type SandboxHost } from './sandbox-launch';
import { DEFAULT_SANDBOX_MINIMUM, SANDBOX_LAYERS, missingLayers, type SandboxLayer, type SandboxReport } from './sandbox-layers';
import { sandboxSettings } from './sandbox-settings';
import { sandboxView } from './sandbox-view';

const BWRAP_CANDIDATES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];

/** The render sandbox as the renderer uses it: wraps worker launches, and says whether it may render at all. */
export interface RenderSandbox {
  /**
   * The sandboxed launch of a worker. Where the sandbox is not ready (fail closed), a launch that exits at once
   * with the reason on stderr: the worker fails to start, which the renderer treats as its own failure (retried,
   * then `internal_error`), and no scene code ever runs.
   */
  wrap(launch: WorkerLaunch): WorkerLaunch;
  /** Where a worker whose directory is `workDir` on the host sees it (SANDBOX_JOB_DIR; the same path unsandboxed). */
  jobDirOf(workDir: string): string;
  /** Whether the renderer may render: the configured minimum of layers is active (or the sandbox is off). */
  readonly ready: boolean;
  /** Readiness checks: `sandbox` and one `sandbox.<layer>` per layer, with what the probe observed. */
  checks(): Record<string, { ok: boolean; detail?: string }>;
}

/**
 * Probes the sandbox on this host once, at start, logs which layers are active, and fails closed: when a layer
 * of SANDBOX_MINIMUM is missing, every launch throws, readiness fails, and the renderer renders nothing.
 * SANDBOX=none (local mode only) turns the sandbox off, loudly.
 */
export function createRenderSandbox(params: {
  config: Config;
  pythonPath: string;
  workRoot: string;
  logger: Logger;
  /** Directories of the service every sandbox sees read-only, at a path of their own inside; each must exist. */
  sharedReadOnly?: Array<{ host: string; inside: string }>;
  /** The host probe; replaced only by unit tests of what follows from its report. */
  probe?: typeof probeSandbox;
}): RenderSandbox {
  const { config, logger } = params;
  const log = logger.child({ component: 'render-sandbox' });
  const minimum = config.SANDBOX_MINIMUM as readonly SandboxLayer[];

  if (config.SANDBOX === 'none') {
    log.warn(
      'RENDER SANDBOX OFF (SANDBOX=none): scene code runs unconfined, with the access of this service; local development only',
    );
    return {
      wrap: (launch) => launch,
      jobDirOf: (workDir) => workDir,
      ready: true,
      checks: () => ({ sandbox: { ok: true, detail: 'off (SANDBOX=none): local development only' } }),
    };
  }
  const lowered = DEFAULT_SANDBOX_MINIMUM.filter((layer) => !minimum.includes(layer));
  if (lowered.length) {
    log.warn('RENDER SANDBOX MINIMUM LOWERED: scene code may run without these layers; local development only', { notRequired: lowered });
  }

  const settings = sandboxSettings(config);
  let host: SandboxHost | undefined;
  let report: SandboxReport;
  try {
    const bwrap = config.SANDBOX_BWRAP ?? BWRAP_CANDIDATES.find((candidate) => fs.existsSync(candidate));
    if (!bwrap) throw new Error('bubblewrap (bwrap) is not installed');
    host = {
      supervisorPython: config.PYTHON,
      pythonPath: params.pythonPath,
      bwrap,
      view: sandboxView({
        pythonDirs: pythonInstallDirs(config.PYTHON),
        workerCodeDir: path.join(params.pythonPath, 'manim_worker'),
        sharedDirs: params.sharedReadOnly ?? [],
      }),
      settings,
      seccomp: true,
      pidsCgroup: true,
      memoryCgroup: true,
    };
    report = (params.probe ?? probeSandbox)({
      host,
      workRoot: params.workRoot,
      mustBeHidden: [path.join(APP_ROOT, 'package.json'), path.join(APP_ROOT, 'src'), config.DATA_DIR + '/jobs.sqlite'],
    });
    // From now on each launch asks only for what this host showed it can do.
    host = { ...host, seccomp: report.seccomp.active, pidsCgroup: report.pids_cgroup.active, memoryCgroup: report.memory_cgroup.active };
  } catch (error) {
    report = Object.fromEntries(SANDBOX_LAYERS.map((layer) => [layer, { active: false, detail: (error as Error).message }])) as SandboxReport;
  }

  const missing = missingLayers(report, minimum);
  const active = SANDBOX_LAYERS.filter((layer) => report[layer].active);
  // A sandbox that did not start at all cannot run anything, whatever the minimum says.
  const started = SANDBOX_LAYERS.some((layer) => report[layer].active);
  const ready = missing.length === 0 && started && host !== undefined;
  if (ready) {
    log.info('render sandbox ready', { active, required: minimum, layers: report });
  } else {
    log.error('render sandbox: required layers are missing on this host; refusing to render', {
      missing: Object.fromEntries((started ? missing : SANDBOX_LAYERS).map((layer) => [layer, report[layer].detail])),
      active,
      hint: 'on Cloud Run use the second-generation execution environment; SANDBOX_MINIMUM may be lowered for local development only',
    });
  }
  const refusal = started
    ? `the render sandbox is missing required layers: ${missing.map((layer) => `${layer} (${report[layer].detail})`).join('; ')}`
    : `the render sandbox does not start on this host: ${report.env.detail}`;
  const readyHost = host;
  const uids = new SandboxUids({ first: config.SANDBOX_UID, count: config.SANDBOX_UID_COUNT });

  return {
    ready,
    jobDirOf: () => SANDBOX_JOB_DIR,
    wrap(launch) {
      if (!ready || !readyHost) return refusingLaunch(launch.cwd, refusal);
      // As root each sandbox gets a uid of its own (as another user the supervisor runs it as that user).
      if (process.getuid?.() !== 0) return sandboxLaunch({ host: readyHost, inner: launch });
      const uid = uids.take();
      return { ...sandboxLaunch({ host: readyHost, inner: launch, uid }), onExit: () => uids.give(uid) };
    },
    checks() {
      const checks: Record<string, { ok: boolean; detail?: string }> = {
        sandbox: { ok: ready, detail: ready ? `active layers: ${active.join(', ')}` : refusal },
      };
      for (const layer of SANDBOX_LAYERS) {
        const { active: on, detail } = report[layer];
        const required = minimum.includes(layer);
        checks[`sandbox.${layer}`] = { ok: on || !required, detail: `${on ? 'active' : required ? 'MISSING (required)' : 'inactive'}: ${detail}` };
      }
      return checks;
    },
  };
}

/** A worker launch that only says why there is no worker. EX_CONFIG: the host or the settings are at fault. */
function refusingLaunch(cwd: string, reason: string): WorkerLaunch {
  return { command: '/bin/sh', args: ['-c', 'printf "%s\\n" "$1" >&2; exit 78', 'refuse', `[sandbox] ${reason}`], env: {}, cwd };
}
