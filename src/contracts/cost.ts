import { z } from 'zod';

/**
 * What rendering used, and what it is estimated to cost on Cloud Run. For a scene: its render (or, split, its
 * parts and their join); for a job or a batch: the sum of their scenes. A scene reused from the cache used nothing.
 */
export const costSchema = z.object({
  /**
   * User and system CPU seconds of the whole sandbox tree (the worker from its start, the TeX it ran, anything it
   * started, and the reader that checked its file); null where no sandbox measured it (SANDBOX=none).
   */
  cpuSeconds: z.number().nonnegative().nullable(),
  /** Seconds from handing the job to the worker until it ended (summed over parts and joins). */
  wallSeconds: z.number().nonnegative(),
  /** The largest peak resident memory of one sandboxed process, in bytes (the largest of the parts). */
  peakMemoryBytes: z.number().int().nonnegative().nullable(),
  /** Seconds a renderer instance was held (a task's whole delivery, on an instance that serves one at a time). */
  instanceSeconds: z.number().nonnegative(),
  /** Instance seconds × (vCPUs × the vCPU-second price + GiB × the GiB-second price), in US dollars. */
  estimatedUsd: z.number().nonnegative(),
  /** The date of the price table the estimate used (the newest, where the sum used several). */
  pricedAt: z.string().optional(),
});
export type Cost = z.infer<typeof costSchema>;
