import { z } from 'zod';

/** Bumped when a payload changes shape; the renderer refuses versions it does not know. */
export const TASK_PAYLOAD_VERSION = 1;

/** Render one scene of a job. Ids only: the renderer reads everything else from the job store. */
export const renderSceneTaskSchema = z.object({
  type: z.literal('render-scene'),
  version: z.literal(TASK_PAYLOAD_VERSION),
  jobId: z.string().min(1).max(64),
  scene: z.string().min(1).max(100),
});

/** The body of every task the queue delivers to the renderer. */
export const taskPayloadSchema = z.discriminatedUnion('type', [renderSceneTaskSchema]);
export type TaskPayload = z.infer<typeof taskPayloadSchema>;
export type RenderSceneTask = z.infer<typeof renderSceneTaskSchema>;
