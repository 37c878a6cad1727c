import { z } from 'zod';
import { formatSchema, qualitySchema } from './quality';

/**
 * The line protocol between the renderer and its Python worker (python/manim_worker/render.py).
 * The worker runs untrusted code, so every line it sends is validated here and bounded in size.
 */

/** The one job a worker renders, sent as a JSON line on its stdin after it said `ready`. */
export const workerJobSchema = z.object({
  code: z.string(),
  scene: z.string(),
  quality: qualitySchema,
  format: formatSchema,
  seed: z.number().int(),
  outputDir: z.string(),
  plan: z.boolean(),
});
export type WorkerJob = z.infer<typeof workerJobSchema>;

export const workerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    manim: z.string().max(64),
    python: z.string().max(64),
    startupSeconds: z.number(),
  }),
  z.object({ type: z.literal('plan'), animations: z.number().int().nonnegative(), runTimes: z.array(z.number()).max(100_000) }),
  z.object({ type: z.literal('progress'), done: z.number().int().nonnegative(), total: z.number().int().nonnegative().nullable() }),
  z.object({
    type: z.literal('result'),
    file: z.string().max(4096),
    /** The worker's own description of its output (it read the file inside the sandbox). */
    media: z
      .object({
        codec: z.string().max(64),
        width: z.number().int().positive().max(16384),
        height: z.number().int().positive().max(16384),
        durationSeconds: z.number().nonnegative().max(7 * 24 * 3600).nullable(),
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
