import { z } from 'zod';
import { formatSchema, qualitySchema } from './quality';

/**
 * The line protocol between the renderer and its Python worker (python/manim_worker/render.py).
 * The worker runs untrusted code, so every line it sends is validated here and bounded in size.
 */

/** The one job a worker does, sent as a JSON line on its stdin after it said `ready`. */
export const workerRenderJobSchema = z.object({
  mode: z.literal('render'),
  code: z.string(),
  scene: z.string(),
  quality: qualitySchema,
  format: formatSchema,
  seed: z.number().int(),
  outputDir: z.string(),
  /** Run the plan pass first (progress totals; the split decision). */
  plan: z.boolean(),
  /** After the plan, wait for `{"render": true}` on stdin before rendering; anything else ends the job. */
  planGate: z.boolean().optional(),
  /** Glyphs compiled ahead by the service (glyph-cache.ts), copied into the render's TeX directory first. */
  glyphDir: z.string().optional(),
  /** Formulas this principal's earlier renders compiled (tex-cache.ts), copied into the TeX directory likewise. */
  texSeedDir: z.string().optional(),
  /**
   * The project's files (read-only, laid out by the service): the scene's working directory, importable, its fonts
   * registered with the text renderer.
   */
  projectDir: z.string().optional(),
  /** Copy each finished animation into a live segment (python/manim_worker/live_segments.py) and say `segment`. */
  live: z.boolean().optional(),
  /** Render only these animations (a part of a split render); `upto` null: to the end. */
  range: z
    .object({
      from: z.number().int().nonnegative(),
      upto: z.number().int().nonnegative().nullable(),
      /** How many animations the plan counted in the range: what the range's progress is measured against. */
      animations: z.number().int().positive().optional(),
    })
    .optional(),
});

/** Join movies (the parts of a split render, in order, inside the worker's directory) into one, streams copied. */
export const workerStitchJobSchema = z.object({
  mode: z.literal('stitch'),
  scene: z.string(),
  quality: qualitySchema,
  format: formatSchema,
  outputDir: z.string(),
  parts: z.array(z.string()).min(1),
});

/** Compile the shared TeX glyphs (python/manim_worker/warm_glyphs.py); the result is a manifest of SVG files. */
export const workerGlyphsJobSchema = z.object({
  mode: z.literal('glyphs'),
  quality: qualitySchema,
  outputDir: z.string(),
});

/** Read one output file (python/manim_worker/describe.py): is it what its format says, and what does it hold. */
export const workerDescribeJobSchema = z.object({
  mode: z.literal('describe'),
  quality: qualitySchema,
  format: formatSchema,
  file: z.string(),
});

export const workerJobSchema = z.discriminatedUnion('mode', [workerRenderJobSchema, workerStitchJobSchema, workerGlyphsJobSchema, workerDescribeJobSchema]);
export type WorkerJob = z.infer<typeof workerJobSchema>;
export type WorkerRenderJob = z.infer<typeof workerRenderJobSchema>;

const fingerprintSchema = z.record(z.string().max(64), z.string().max(256)).refine((f) => Object.keys(f).length <= 32);

export const workerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    /** The render worker's Manim version (a stitch worker has none). */
    manim: z.string().max(64).optional(),
    python: z.string().max(64),
    startupSeconds: z.number(),
  }),
  z.object({
    type: z.literal('plan'),
    animations: z.number().int().nonnegative(),
    runTimes: z.array(z.number().nonnegative()).max(100_000),
    /** The first animation a `dt` updater was in the scene for, if any. */
    timeBasedFrom: z.number().int().nonnegative().nullable(),
    /** How many times the scene called add_sound (its audio spans the whole timeline: no split). */
    sounds: z.number().int().nonnegative().optional(),
  }),
  /**
   * The plan pass raised (skipping animations can make a scene do what its render does not, e.g. a `dt` updater
   * advanced in one step): the worker renders the scene whole without a plan.
   */
  z.object({ type: z.literal('plan_failed'), exception: z.string().max(200), message: z.string().max(2000) }),
  /** A part's description of the scene where its range starts (after the animation before it) or ends. */
  z.object({
    type: z.literal('boundary'),
    side: z.enum(['start', 'end']),
    after: z.number().int().nonnegative(),
    fingerprint: fingerprintSchema,
    timeBasedUpdatersSkipped: z.boolean().optional(),
  }),
  /** An animation is finished and its live segment written, at `file` (relative to the output directory). */
  z.object({
    type: z.literal('segment'),
    index: z.number().int().nonnegative().max(1_000_000),
    file: z.string().max(4096),
    seconds: z.number().nonnegative().max(24 * 3600),
  }),
  /** No more live segments will come (the remux failed); the render goes on. */
  z.object({ type: z.literal('live_failed'), message: z.string().max(500) }),
  z.object({ type: z.literal('progress'), done: z.number().int().nonnegative(), total: z.number().int().nonnegative().nullable() }),
  z.object({
    type: z.literal('result'),
    file: z.string().max(4096),
    /** The render worker's word that the scene added sound (for notices only; the file's audio is the reader's to say). */
    sound: z.boolean().optional(),
    /** A describe worker's reading of the file it was given; the service takes it from no other worker. */
    media: z
      .object({
        codec: z.string().max(64),
        width: z.number().int().positive().max(16384),
        height: z.number().int().positive().max(16384),
        durationSeconds: z.number().nonnegative().max(7 * 24 * 3600).nullable(),
        /** The codec of the file's first audio stream, or null: it has none. */
        audioCodec: z.string().max(64).nullable().optional(),
      })
      .optional(),
  }),
  z.object({
    type: z.literal('error'),
    kind: z.enum(['scene_error', 'scene_not_found', 'no_output']),
    message: z.string().max(10_000),
    exception: z.string().max(200).optional(),
    line: z.number().int().positive().optional(),
    traceback: z.string().max(20_000).optional(),
  }),
]);
export type WorkerMessage = z.infer<typeof workerMessageSchema>;
export type WorkerError = Extract<WorkerMessage, { type: 'error' }>;

/** Longest protocol line accepted; anything longer is a protocol violation. */
export const MAX_WORKER_LINE_BYTES = 256 * 1024;
