import { z } from 'zod';
import { batchViewSchema } from './batch';
import { jobViewSchema } from './job';

/**
 * What a webhook receives when a render or batch reaches a terminal state. Delivered with the header
 * `Manim-Render-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` signed with the principal's
 * webhook secret; the same `id` is never delivered successfully twice.
 */
export const webhookEventSchema = z.discriminatedUnion('type', [
  z.object({ id: z.string(), type: z.literal('render.finished'), createdAt: z.string(), data: jobViewSchema }),
  z.object({ id: z.string(), type: z.literal('batch.finished'), createdAt: z.string(), data: batchViewSchema }),
]);
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

export const WEBHOOK_SIGNATURE_HEADER = 'Manim-Render-Signature';

/** `GET /v1/webhooks/secret`: the caller's signing secret. */
export const webhookSecretSchema = z.object({ secret: z.string() });
