import { z } from 'zod';
import { costSchema } from './cost';
import { jobStatusSchema } from './job';
import { formatSchema, qualitySchema } from './quality';
import { metadataSchema, sceneNameSchema } from './render-request';

/** One render of a batch: a scene file and its options (the batch's defaults fill what it leaves out). */
export const batchItemSchema = z.strictObject({
  code: z.string().min(1),
  scenes: z.array(sceneNameSchema).min(1).max(50).optional(),
  quality: qualitySchema.optional(),
  format: formatSchema.optional(),
  timeoutSeconds: z.number().int().min(1).max(3600).optional(),
  metadata: metadataSchema.optional(),
});
export type BatchItem = z.infer<typeof batchItemSchema>;

/** `gs://bucket/prefix/`: every `.py` object under the prefix is one item. */
export const gcsPrefixSchema = z.string().regex(/^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}\/([^\n\r]*\/)?$/, 'must look like gs://bucket/prefix/');

/**
 * Body of `POST /v1/batches`: inline items, or a Cloud Storage prefix of scene files (gcp mode), not both.
 * Send an `Idempotency-Key` header (e.g. the scheduled time) so a repeated scheduled run creates nothing twice.
 */
export const createBatchRequestSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    items: z.array(batchItemSchema).min(1).max(500).optional(),
    source: z.strictObject({ gcsPrefix: gcsPrefixSchema }).optional(),
    defaults: z
      .strictObject({ quality: qualitySchema.optional(), format: formatSchema.optional(), timeoutSeconds: z.number().int().min(1).max(3600).optional() })
      .optional(),
    webhookUrl: z.url().max(2048).optional(),
  })
  .refine((b) => (b.items ? 1 : 0) + (b.source ? 1 : 0) === 1, { message: 'give either items or source, not both' });
export type CreateBatchRequest = z.infer<typeof createBatchRequestSchema>;

export const batchItemViewSchema = z.object({
  index: z.number().int().nonnegative(),
  /** The object the item came from, for a Cloud Storage source. */
  source: z.string().optional(),
  jobId: z.string().optional(),
  status: jobStatusSchema,
  /** Set when the item was rejected at submit time (e.g. a syntax error): it has no job. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** True when an identical earlier render was reused instead of rendering again. */
  reused: z.boolean().optional(),
});

export const batchViewSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  status: jobStatusSchema,
  progress: z.number().min(0).max(1),
  counts: z.record(jobStatusSchema, z.number().int().nonnegative()),
  items: z.array(batchItemViewSchema),
  /** Its jobs' costs together. */
  cost: costSchema,
  createdAt: z.string(),
});
export type BatchView = z.infer<typeof batchViewSchema>;

export const sceneUrlSchema = z.object({ url: z.string(), expiresAt: z.string() });
export type SceneUrl = z.infer<typeof sceneUrlSchema>;
