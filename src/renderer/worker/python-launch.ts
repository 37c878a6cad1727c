import type { WorkerLaunch } from './worker-process';

/**
 * A render worker imports Manim ahead of its job; a stitch worker only joins movies and starts in a fraction of
 * that; a glyphs worker compiles the shared TeX glyphs once, at start (glyph-cache.ts); a describe worker reads
 * one output, after the render that made it is dead (untrusted/describe-output.ts).
 */
export type WorkerKind = 'render' | 'stitch' | 'glyphs' | 'describe';

const WORKER_MODULES: Record<WorkerKind, string> = {
  render: 'manim_worker.render',
  stitch: 'manim_worker.stitch',
  glyphs: 'manim_worker.warm_glyphs',
  describe: 'manim_worker.describe',
};

/**
 * The plain launch of a Python worker: Python with an environment built from nothing, so no secret or setting
 * of the service reaches scene code. HOME and the caches point into the worker's own directory.
 */
export function pythonLaunch(params: {
  python: string;
  pythonPath: string;
  /** The worker's directory on the host. */
  workDir: string;
  /** Where the worker sees it (a sandbox binds it elsewhere); the host path by default. */
  jobDir?: string;
  kind?: WorkerKind;
}): WorkerLaunch {
  const workDir = params.jobDir ?? params.workDir;
  return {
    command: params.python,
    args: ['-m', WORKER_MODULES[params.kind ?? 'render']],
    cwd: params.workDir,
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      PYTHONPATH: params.pythonPath,
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      // String hashing fixed: a scene that iterates a set of names (or mobjects keyed by them) draws in the same
      // order every time, so the same request renders the same bytes.
      PYTHONHASHSEED: '0',
      HOME: workDir,
      XDG_CACHE_HOME: `${workDir}/.cache`,
      MPLCONFIGDIR: `${workDir}/.cache/matplotlib`,
      TMPDIR: workDir,
      LANG: 'C.UTF-8',
      // One thread per numeric library: the renderer is sized for one render per CPU budget.
      OMP_NUM_THREADS: '1',
      OPENBLAS_NUM_THREADS: '1',
      MKL_NUM_THREADS: '1',
      NUMEXPR_NUM_THREADS: '1',
    },
  };
}
