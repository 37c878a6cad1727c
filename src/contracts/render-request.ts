import { z } from 'zod';
import { projectFileSchema } from './project-files';
import { formatSchema, qualitySchema } from './quality';

/** A Python class name: what a scene name must look like. Also keeps names safe in paths and URLs. */
export const sceneNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Python class name');

/** Small string-to-string labels a caller attaches to a job and gets back unchanged. */
export const metadataSchema = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 32, { message: 'at most 32 metadata entries' });

/**
 * Body of `POST /v1/renders`. The code size limit is configurable, so it is checked by the use case,
 * not here; this schema only bounds it loosely so a huge string never reaches the scene inspector.
 */
export const createRenderRequestSchema = z.strictObject({
  code: z.string().min(1, 'code is empty'),
  /**
   * Files the scene uses, laid out under their relative paths in its working directory: each inline (`content`,
   * base64) or uploaded before (`sha256`). Their count, sizes and kinds are checked by the use case.
   */
  files: z.array(projectFileSchema).max(1000).optional(),
  scenes: z.array(sceneNameSchema).min(1).max(50).optional(),
  quality: qualitySchema.default('medium'),
  format: formatSchema.default('mp4'),
  timeoutSeconds: z.number().int().min(1).max(3600).optional(),
  metadata: metadataSchema.optional(),
  /** Where to POST a signed `render.finished` event once the job is terminal. */
  webhookUrl: z.url().max(2048).optional(),
});
export type CreateRenderRequest = z.infer<typeof createRenderRequestSchema>;
export type CreateRenderRequestInput = z.input<typeof createRenderRequestSchema>;
