import { z } from 'zod';

/** Bumped when a payload changes shape; the renderer refuses versions it does not know. */
export const TASK_PAYLOAD_VERSION = 1 as const;

/** Render one scene of a job. Ids only: the renderer reads everything else from the job store. */
export const renderSceneTaskSchema = z.object({
  type: z.literal('render-scene'),
  version: z.literal(TASK_PAYLOAD_VERSION),
  jobId: z.string().min(1).max(64),
  scene: z.string().min(1).max(100),
});

/** Render one animation range of a split scene (domain/split/). */
export const renderPartTaskSchema = z.object({
  type: z.literal('render-part'),
  version: z.literal(TASK_PAYLOAD_VERSION),
  jobId: z.string().min(1).max(64),
  scene: z.string().min(1).max(100),
  part: z.number().int().nonnegative().max(1000),
});

/** Join the rendered parts of a split scene into its movie. */
export const stitchSceneTaskSchema = z.object({
  type: z.literal('stitch-scene'),
  version: z.literal(TASK_PAYLOAD_VERSION),
  jobId: z.string().min(1).max(64),
  scene: z.string().min(1).max(100),
});

/** Deliver the `render.finished` or `batch.finished` event of a job or batch to its webhook. */
export const deliverWebhookTaskSchema = z.object({
  type: z.literal('deliver-webhook'),
  version: z.literal(TASK_PAYLOAD_VERSION),
  event: z.enum(['render.finished', 'batch.finished']),
  resourceId: z.string().min(1).max(64),
});

/** A deploy's canary render, sent by deploy.sh to one revision's tag URL through the canary queue. */
export const canaryRenderTaskSchema = z.object({
  type: z.literal('canary-render'),
  version: z.literal(TASK_PAYLOAD_VERSION),
  canaryId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
});

/** The body of every task the queue delivers to the renderer. */
export const taskPayloadSchema = z.discriminatedUnion('type', [
  renderSceneTaskSchema,
  renderPartTaskSchema,
  stitchSceneTaskSchema,
  deliverWebhookTaskSchema,
  canaryRenderTaskSchema,
]);
export type DeliverWebhookTask = z.infer<typeof deliverWebhookTaskSchema>;
export type TaskPayload = z.infer<typeof taskPayloadSchema>;
export type RenderSceneTask = z.infer<typeof renderSceneTaskSchema>;
export type RenderPartTask = z.infer<typeof renderPartTaskSchema>;
export type StitchSceneTask = z.infer<typeof stitchSceneTaskSchema>;
export type CanaryRenderTask = z.infer<typeof canaryRenderTaskSchema>;

/**
 * Which slots a task takes where it runs: renders (scenes, parts, joins) take a render slot, of which there are as
 * many as renders can run at once; webhook deliveries wait on other people's servers, so they take slots of their
 * own and can never hold a render back.
 */
export type TaskLane = 'render' | 'webhook';

export function taskLaneOf(payload: Pick<TaskPayload, 'type'>): TaskLane {
  return payload.type === 'deliver-webhook' ? 'webhook' : 'render';
}
