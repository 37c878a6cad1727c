import fs from 'node:fs';
import path from 'node:path';
import { APP_ROOT, type Config } from '../config/config';
import { maxSplitParts } from '../config/max-split-parts';
import { systemClock } from '../domain/ports/clock';
import type { BlobStore } from '../domain/ports/blob-store';
import type { JobStore } from '../domain/ports/job-store';
import type { RunRenderTaskDeps } from '../domain/render-task-deps';
import type { Logger } from '../logging/logger';
import { GlyphCache } from '../renderer/glyph-cache';
import { ManimSceneRenderer } from '../renderer/manim-scene-renderer';
import { TexCache } from '../renderer/tex-cache';
import { createRenderSandbox } from '../renderer/sandbox/create-render-sandbox';
import { pythonLaunch } from '../renderer/worker/python-launch';
import { WarmWorkerPool } from '../renderer/worker/warm-worker-pool';

export const PYTHON_PATH = path.join(APP_ROOT, 'python');

export interface ComposedRenderer {
  renderDeps: RunRenderTaskDeps;
  /** Readiness checks of the render side. */
  checks(): Promise<Record<string, { ok: boolean; detail?: string }>>;
  start(): void;
  stop(): Promise<void>;
}

/** The render side of the service in either mode: worker pool, scene renderer, and the render use case's deps. */
export function composeRenderer(
  config: Config,
  stores: { jobStore: JobStore; blobStore: BlobStore },
  logger: Logger,
  options: { heartbeatMs: number },
): ComposedRenderer {
  const workRoot = path.join(config.DATA_DIR, 'work');
  // Render directories left by a process that died are of no use to anyone.
  fs.rmSync(workRoot, { recursive: true, force: true });
  // Probed once, here: which sandbox layers this host supports; without the required ones nothing renders.
  const glyphDir = path.join(config.DATA_DIR, 'glyphs');
  if (config.GLYPH_CACHE) GlyphCache.prepare(glyphDir);
  const sandbox = createRenderSandbox({ config, pythonPath: PYTHON_PATH, workRoot, logger, sharedReadOnly: config.GLYPH_CACHE ? [glyphDir] : [] });
  // Where sandboxes see the glyphs (bubblewrap: at a fixed path of their own, no host path reaching a scene).
  const glyphsInside = sandbox.sharedDirOf(glyphDir);
  const pool = new WarmWorkerPool({
    workRoot,
    makeLaunch: (workDir, kind, spare) =>
      sandbox.wrap(pythonLaunch({ python: config.PYTHON, pythonPath: PYTHON_PATH, workDir, jobDir: sandbox.jobDirOf(workDir), kind }), { spare }),
    jobDirOf: (workDir) => sandbox.jobDirOf(workDir),
    // One spare per render that can run at once: RENDER_CONCURRENCY in local mode, one per Cloud Run instance.
    spares: config.WARM_WORKER ? (config.MODE === 'local' ? config.RENDER_CONCURRENCY : 1) : 0,
    // Where scenes can be split.
    stitchSpare: config.WARM_WORKER && maxSplitParts(config) > 1,
    readerSpare: config.WARM_WORKER,
    logCapBytes: config.MAX_LOG_BYTES,
    startupTimeoutMs: 60_000,
    logger,
  });
  const glyphs = config.GLYPH_CACHE ? new GlyphCache({ dir: glyphDir, insideDir: glyphsInside, pool, logger }) : undefined;
  const texCache = config.TEX_CACHE ? new TexCache({ root: path.join(config.DATA_DIR, 'tex-cache'), maxBytes: config.TEX_CACHE_MAX_BYTES, logger }) : undefined;
  const renderer = new ManimSceneRenderer({
    pool,
    maxOutputBytes: config.MAX_OUTPUT_BYTES,
    ...(glyphs && { glyphs }),
    ...(texCache && { texCache }),
  });
  return {
    renderDeps: {
      ...stores,
      renderer,
      clock: systemClock,
      logger: logger.child({ component: 'renderer' }),
      heartbeatMs: options.heartbeatMs,
      leaseMs: config.LEASE_SECONDS * 1000,
      seed: config.RENDER_SEED,
      pricing: {
        prices: { pricedAt: config.COST_PRICED_AT, vcpuSecondUsd: config.COST_VCPU_SECOND_USD, gibSecondUsd: config.COST_GIB_SECOND_USD },
        instance: { vcpus: config.RENDERER_VCPUS, memoryGiB: config.RENDERER_MEMORY_GIB },
      },
    },
    async checks() {
      const python = fs.existsSync(config.PYTHON);
      return {
        python: { ok: python, ...(python ? {} : { detail: `${config.PYTHON} is missing: run npm run setup` }) },
        ...sandbox.checks(),
        ...(glyphs && { glyphCache: glyphs.status }),
      };
    },
    start() {
      if (!sandbox.ready) return;
      pool.warmUp();
      // The glyph cache's worker imports Manim and renders too: started beside the first spare, on a machine of
      // two cores, it would slow the spare and so the first render. It waits for the spare to be ready.
      if (glyphs) void pool.whenWarm().then(() => glyphs.build());
    },
    stop: () => pool.close(),
  };
}
