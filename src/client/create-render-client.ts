import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { batchViewSchema, sceneUrlSchema, type BatchView, type createBatchRequestSchema, type SceneUrl } from '../contracts/batch';
import { jobListSchema, jobViewSchema, type JobList, type JobView } from '../contracts/job';
import type { CreateRenderRequestInput } from '../contracts/render-request';
import { authHeaders } from './auth-headers';
import type { ListOptions, RenderClientOptions, RequestOptions, SubmitOptions, WaitOptions } from './client-options';
import { RenderServiceError } from './errors';
import { createTransport, type Transport } from './http-transport';
import { waitForJob } from './wait-for-job';

/** Body of a batch submit, as the caller writes it. */
export type CreateBatchRequestInput = z.input<typeof createBatchRequestSchema>;

/** A typed client of the manim-render API. Every method rejects with a `RenderServiceError` subclass on failure. */
export interface RenderClient {
  /** Submits scene code; resolves with the queued job. Retried safely: every attempt carries the same `Idempotency-Key`. */
  submit(request: CreateRenderRequestInput, options?: SubmitOptions): Promise<JobView>;
  /** The job's current state. */
  get(id: string, options?: RequestOptions): Promise<JobView>;
  /** One page of your jobs, newest first; pass `nextPageToken` back as `pageToken` for the next. */
  list(options?: ListOptions): Promise<JobList>;
  /** Cancels the unfinished scenes; resolves with the job. */
  cancel(id: string, options?: RequestOptions): Promise<JobView>;
  /** Stops the job and removes it and its files. */
  delete(id: string, options?: RequestOptions): Promise<void>;
  /**
   * Resolves with the job once it is terminal (`succeeded`, `failed` or `cancelled`: check `status`), following
   * the progress stream or polling. Rejects with a `WaitTimeoutError` after `timeoutMs`, or the signal's reason.
   */
  wait(id: string, options?: WaitOptions): Promise<JobView>;
  /** Submits a batch (inline items or a `gs://` prefix); retried safely like `submit`. */
  batch(request: CreateBatchRequestInput, options?: SubmitOptions): Promise<BatchView>;
  getBatch(id: string, options?: RequestOptions): Promise<BatchView>;
  /** A URL to hand a browser for a finished scene: signed and expiring in gcp mode, the API's own URL locally. */
  sceneUrl(id: string, scene: string, options?: RequestOptions): Promise<SceneUrl>;
  /** A finished scene's captured render output. */
  logs(id: string, scene: string, options?: RequestOptions): Promise<string>;
  /**
   * A finished scene's file as a streaming response. A redirect to a signed URL is followed without sending the
   * client's credentials to the storage host.
   */
  download(id: string, scene: string, options?: RequestOptions): Promise<Response>;
  /** Your webhook signing secret, for `verifyWebhook` (the same for all your renders and batches). */
  webhookSecret(options?: RequestOptions): Promise<string>;
}

// Declared here because the service declares this answer inline (src/api/openapi.ts), not in src/contracts.
const webhookSecretSchema = z.object({ secret: z.string().min(1) });

const json =
  <T>(schema: z.ZodType<T>) =>
  async (res: Response): Promise<T> => {
    // A connection lost while reading rejects here and is retried; a body that arrived but is wrong is not.
    const text = await res.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new RenderServiceError(`the service answered ${res.status} with a body that is not JSON`, res.status, 'invalid_response');
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new RenderServiceError(`unexpected answer from the service: ${parsed.error.message}`, res.status, 'invalid_response');
    return parsed.data;
  };

const jobPath = (id: string) => `/v1/renders/${encodeURIComponent(id)}`;
const scenePath = (id: string, scene: string) => `${jobPath(id)}/scenes/${encodeURIComponent(scene)}`;

/**
 * Creates a client for the service at `baseUrl`.
 *
 * @example
 * const client = createRenderClient({ baseUrl: process.env.MANIM_RENDER_URL!, auth: { type: 'google' } });
 * const job = await client.wait((await client.submit({ code, quality: 'low' })).id, { timeoutMs: 120_000 });
 */
export function createRenderClient(options: RenderClientOptions): RenderClient {
  const transport: Transport = createTransport({
    baseUrl: options.baseUrl,
    fetch: options.fetch ?? globalThis.fetch,
    authHeaders: authHeaders(options.auth, options.baseUrl),
    retry: options.retry,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    userAgent: options.userAgent ?? 'manim-render-client',
  });
  const get = (id: string, signal?: AbortSignal) => transport.send({ method: 'GET', path: jobPath(id), signal }, json(jobViewSchema));

  return {
    submit: (request, { idempotencyKey = randomUUID(), signal } = {}) =>
      transport.send({ method: 'POST', path: '/v1/renders', body: request, headers: { 'Idempotency-Key': idempotencyKey }, signal }, json(jobViewSchema)),
    get: (id, { signal } = {}) => get(id, signal),
    list: ({ status, pageSize, pageToken, signal } = {}) =>
      transport.send({ method: 'GET', path: '/v1/renders', query: { status, pageSize, pageToken }, signal }, json(jobListSchema)),
    cancel: (id, { signal } = {}) => transport.send({ method: 'POST', path: `${jobPath(id)}/cancel`, signal }, json(jobViewSchema)),
    delete: (id, { signal } = {}) =>
      transport.send({ method: 'DELETE', path: jobPath(id), signal, doneOnRetryStatus: 404 }, async (res) => void (await res.body?.cancel())),
    wait: (id, waitOptions = {}) => waitForJob({ transport, id, getJob: (signal) => get(id, signal), options: waitOptions }),
    batch: (request, { idempotencyKey = randomUUID(), signal } = {}) =>
      transport.send({ method: 'POST', path: '/v1/batches', body: request, headers: { 'Idempotency-Key': idempotencyKey }, signal }, json(batchViewSchema)),
    getBatch: (id, { signal } = {}) => transport.send({ method: 'GET', path: `/v1/batches/${encodeURIComponent(id)}`, signal }, json(batchViewSchema)),
    sceneUrl: (id, scene, { signal } = {}) => transport.send({ method: 'GET', path: `${scenePath(id, scene)}/url`, signal }, json(sceneUrlSchema)),
    logs: (id, scene, { signal } = {}) =>
      transport.send({ method: 'GET', path: `${scenePath(id, scene)}/logs`, headers: { Accept: 'text/plain' }, signal }, (res) => res.text()),
    webhookSecret: async ({ signal } = {}) => (await transport.send({ method: 'GET', path: '/v1/webhooks/secret', signal }, json(webhookSecretSchema))).secret,
    async download(id, scene, { signal } = {}) {
      const first = await transport.send(
        { method: 'GET', path: `${scenePath(id, scene)}/video`, headers: { Accept: '*/*' }, signal, timeoutMs: false, redirect: 'manual' },
        async (res) => res,
      );
      const location = first.status >= 300 && first.status < 400 ? first.headers.get('location') : null;
      if (!location) return first;
      await first.body?.cancel();
      // Credentials go only to the service's own origin (the transport checks); a signed URL needs none.
      const target = new URL(location, `${transport.baseUrl}/`).toString();
      return transport.send({ method: 'GET', path: target, headers: { Accept: '*/*' }, signal, timeoutMs: false }, async (res) => res);
    },
  };
}
