import type { JobStatus, JobView } from '../contracts/job';

/**
 * How the client proves who it is.
 * - `google`: a Google ID token for `audience` (default: the base URL), minted by google-auth-library from the
 *   application default credentials (metadata server, service account key, impersonation); one token client per
 *   process and audience, its tokens cached and refreshed by the library.
 * - `apiKey`: an operator-issued key (`mrk_...`), sent as `X-Api-Key`.
 * - `idToken`: any other token source, called before each request (cache in it if minting is costly).
 * - `none`: no credentials (a local service on loopback).
 */
export type RenderClientAuth =
  | { type: 'google'; audience?: string }
  | { type: 'apiKey'; key: string }
  | { type: 'idToken'; getToken: () => Promise<string> }
  | { type: 'none' };

/** Retries of 429, 502, 503, 504 and network errors: exponential backoff with full jitter, honouring `Retry-After`. */
export interface RetryOptions {
  /** Attempts per call, the first included. Default 4; 1 turns retries off. */
  maxAttempts?: number;
  /** First backoff ceiling; it doubles each attempt. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest wait between attempts. A `Retry-After` longer than this is not waited for: the error is thrown. Default 30 s. */
  maxDelayMs?: number;
}

export interface RenderClientOptions {
  /** The service's URL, e.g. `https://manim-api-xyz.a.run.app` or `http://127.0.0.1:8080`. */
  baseUrl: string;
  auth: RenderClientAuth;
  /** The fetch to use (default: the global one). Tests inject failures through it. */
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** Limit per attempt of an ordinary request (not of `wait`'s stream or a download). Default 30 s. */
  requestTimeoutMs?: number;
  /** Sent as `User-Agent`. */
  userAgent?: string;
}

/** Options every call takes. */
export interface RequestOptions {
  /** Aborts the call (and any wait between retries); the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface SubmitOptions extends RequestOptions {
  /**
   * Sent as `Idempotency-Key`: the same key with the same body returns the job (or batch) the first submit made.
   * Default: a random UUID per call, reused by its retries. Pass your own to make a submit safe across processes
   * (e.g. a scheduled run's time).
   */
  idempotencyKey?: string;
}

export interface ListOptions extends RequestOptions {
  status?: JobStatus;
  /** 1 to 100; default 20. */
  pageSize?: number;
  /** `nextPageToken` of the previous page. */
  pageToken?: string;
}

export interface WaitOptions extends RequestOptions {
  /** Give up after this long with a `WaitTimeoutError` (the job keeps running). Default: no limit. */
  timeoutMs?: number;
  /** Called with the job each time it changes (progress, scene status), and once with the terminal state. */
  onProgress?: (job: JobView) => void;
  /** First polling interval when the progress stream is unavailable; it grows to 5 s while nothing changes. Default 500 ms. */
  pollIntervalMs?: number;
  /** Follow the progress stream (default). `false` polls only. */
  stream?: boolean;
}
