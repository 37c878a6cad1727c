/**
 * The manim-render client SDK (`manim-render/client`), for server-side code such as a Next.js route handler.
 * Types come from the same zod contracts the service validates with.
 */
export { createRenderClient, type CreateBatchRequestInput, type RenderClient, type SubmitRequest } from './create-render-client';
export { INLINE_FILE_BYTES, type ProjectFile, type UploadOptions } from './project-files';
export type { StoredFileView, JobFileView } from '../contracts/project-files';
export type { ListOptions, RenderClientAuth, RenderClientOptions, RequestOptions, RetryOptions, SubmitOptions, WaitOptions } from './client-options';
export {
  AuthError,
  ConflictError,
  IdempotencyConflictError,
  NotFoundError,
  QuotaExceededError,
  RenderServiceError,
  UnavailableError,
  ValidationError,
  WaitTimeoutError,
} from './errors';
export { verifyWebhook, WebhookVerificationError, type VerifyWebhookOptions, type WebhookVerificationFailure } from './verify-webhook';
export { isTerminalJob } from './wait-for-job';
export { WEBHOOK_SIGNATURE_HEADER, type WebhookEvent } from '../contracts/webhook-event';
export type { BatchView, CreateBatchRequest, SceneUrl } from '../contracts/batch';
export type { JobList, JobStatus, JobView, RenderError, RenderOutput, SceneStatus, SceneView } from '../contracts/job';
export type { Cost } from '../contracts/cost';
export type { CreateRenderRequest, CreateRenderRequestInput } from '../contracts/render-request';
export type { OutputFormat, Quality } from '../contracts/quality';
