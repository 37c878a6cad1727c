import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { batchViewSchema, sceneUrlSchema, type BatchView, type createBatchRequestSchema, type SceneUrl } from '../contracts/batch';
import { jobListSchema, jobViewSchema, type JobList, type JobView } from '../contracts/job';
import type { CreateRenderRequestInput } from '../contracts/render-request';
import { authHeaders } from './auth-headers';
import type { ListOptions, RenderClientOptions, RequestOptions, SubmitOptions, WaitOptions } from './client-options';
import { json } from './parse-answer';
import { uploadAsset, wireFiles, type ProjectFile, type UploadOptions } from './project-files';
import type { StoredFileView } from '../contracts/project-files';
import { createTransport, type Transport } from './http-transport';
import { waitForJob } from './wait-for-job';

/**
 * Body of a render submit, as the caller writes it: the API's, with project files given as bytes (Uint8Array, a
 * Buffer), base64, or the hash of an uploaded file.
 */
export type SubmitRequest = Omit<CreateRenderRequestInput, 'files'> & { files?: ProjectFile[] };

/** Body of a batch submit, as the caller writes it. */
export type CreateBatchRequestInput = z.input<typeof createBatchRequestSchema>;

/** A typed client of the manim-render API. Every method rejects with a `RenderServiceError` subclass on failure. */
export interface RenderClient {
  /**
   * Submits scene code, with the files it uses; resolves with the queued job. Retried safely: every attempt carries
   * the same `Idempotency-Key`. Files over 1 MiB are uploaded first (once: a file the service has is not re-sent).
   */
  submit(request: SubmitRequest, options?: SubmitOptions): Promise<JobView>;
  /** Stores a file (image, SVG, audio, font, module, data) for renders to name by its `sha256`. */
  uploadAsset(bytes: Uint8Array, options?: UploadOptions): Promise<StoredFileView>;
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
  /**
   * The scene's live HLS playlist (EVENT, growing while it renders, ended with `#EXT-X-ENDLIST`; mp4 renders), for a
   * player that sends the same credentials as this client (hls.js with `xhrSetup`, or a proxy of your own).
   */
  liveUrl(id: string, scene: string): string;
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
    async submit(request, { idempotencyKey = randomUUID(), signal } = {}) {
      const body = request.files ? { ...request, files: await wireFiles(transport, json, request.files, signal) } : request;
      return transport.send({ method: 'POST', path: '/v1/renders', body, headers: { 'Idempotency-Key': idempotencyKey }, signal }, json(jobViewSchema));
    },
    uploadAsset: (bytes, uploadOptions) => uploadAsset(transport, json, bytes, uploadOptions),
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
    liveUrl: (id, scene) => `${transport.baseUrl}${scenePath(id, scene)}/live.m3u8`,
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
