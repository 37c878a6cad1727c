import { abortableSleep } from './abortable-sleep';
import type { AuthHeaders } from './auth-headers';
import type { RetryOptions } from './client-options';
import { errorFromResponse } from './error-from-response';
import { RenderServiceError } from './errors';
import { backoffDelayMs, parseRetryAfterMs } from './retry-delay';

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

export interface TransportRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A path under the base URL (`/v1/...`), or an absolute URL. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Raw bytes to send instead of a JSON body (a project file). */
  bytes?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Send again on 429/502/503/504 and network errors (default true). Only for requests safe to repeat. */
  retry?: boolean;
  /** Per-attempt limit; `false` for streams and downloads, whose length is the caller's business. */
  timeoutMs?: number | false;
  /** `manual` answers a redirect instead of following it (see `download`). */
  redirect?: 'follow' | 'manual';
  /** Attach credentials (default true). Never for a URL outside the service's origin. */
  authenticate?: boolean;
  /** On a retried attempt, this status means an earlier attempt did the work and its answer was lost (delete: 404). */
  doneOnRetryStatus?: number;
}

export interface Transport {
  readonly baseUrl: string;
  /**
   * Sends a request with retries and hands the successful response to `read` inside the attempt, so a connection
   * lost while reading the body is retried like one lost before the answer. Error answers become typed errors.
   */
  send<T>(request: TransportRequest, read: (res: Response) => Promise<T>): Promise<T>;
}

export function createTransport(params: {
  baseUrl: string;
  fetch: typeof fetch;
  authHeaders: AuthHeaders;
  retry?: RetryOptions;
  requestTimeoutMs: number;
  userAgent: string;
}): Transport {
  const baseUrl = params.baseUrl.replace(/\/+$/, '');
  const origin = new URL(baseUrl).origin;
  const maxAttempts = Math.max(1, params.retry?.maxAttempts ?? 4);
  const baseDelayMs = params.retry?.baseDelayMs ?? 500;
  const maxDelayMs = params.retry?.maxDelayMs ?? 30_000;

  const urlOf = (request: TransportRequest): URL => {
    const url = new URL(/^https?:\/\//.test(request.path) ? request.path : `${baseUrl}${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  };

  const headersOf = async (request: TransportRequest, url: URL): Promise<Record<string, string>> => ({
    Accept: 'application/json',
    'User-Agent': params.userAgent,
    ...(request.body !== undefined && { 'Content-Type': 'application/json' }),
    ...(request.bytes !== undefined && { 'Content-Type': 'application/octet-stream' }),
    ...(request.authenticate !== false && url.origin === origin ? await params.authHeaders() : {}),
    ...request.headers,
  });

  return {
    baseUrl,
    async send(request, read) {
      const url = urlOf(request);
      const retry = request.retry !== false;
      const timeoutMs = request.timeoutMs ?? params.requestTimeoutMs;
      const body = request.bytes ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
      for (let attempt = 1; ; attempt++) {
        request.signal?.throwIfAborted();
        const signals = [request.signal, timeoutMs === false ? undefined : AbortSignal.timeout(timeoutMs)].filter((s) => s !== undefined);
        let res: Response;
        try {
          res = await params.fetch(url, {
            method: request.method,
            headers: await headersOf(request, url),
            body,
            redirect: request.redirect ?? 'follow',
            signal: signals.length ? AbortSignal.any(signals) : undefined,
          });
          const answered = res.ok || (request.redirect === 'manual' && res.status >= 300 && res.status < 400);
          const doneEarlier = attempt > 1 && res.status === request.doneOnRetryStatus;
          if (answered || doneEarlier) return await read(res);
        } catch (error) {
          if (request.signal?.aborted) throw request.signal.reason;
          if (error instanceof RenderServiceError) throw error;
          if (!retry || attempt >= maxAttempts) {
            throw new RenderServiceError(`could not reach ${url.origin}: ${describe(error)}`, 0, 'network_error', undefined, { cause: error });
          }
          await abortableSleep(backoffDelayMs({ attempt, baseDelayMs, maxDelayMs }), request.signal);
          continue;
        }
        const error = await errorFromResponse(res);
        if (!retry || attempt >= maxAttempts || !RETRYABLE_STATUSES.has(res.status)) throw error;
        const retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'), Date.now());
        // A server that asks for a longer pause than we are willing to wait gets its error back, with retryAfterSeconds.
        if (retryAfterMs !== undefined && retryAfterMs > maxDelayMs) throw error;
        await abortableSleep(Math.max(retryAfterMs ?? 0, backoffDelayMs({ attempt, baseDelayMs, maxDelayMs })), request.signal);
      }
    },
  };
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return [(error as Error)?.message ?? String(error), cause?.code ?? cause?.message].filter(Boolean).join(': ');
}
