import { jobViewSchema, type JobStatus, type JobView } from '../contracts/job';
import { abortableSleep } from './abortable-sleep';
import type { WaitOptions } from './client-options';
import { NotFoundError, RenderServiceError, WaitTimeoutError } from './errors';
import type { Transport } from './http-transport';
import { readServerSentEvents } from './read-server-sent-events';

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
const MAX_POLL_MS = 5_000;
/** A stream that stayed open this long and then ended was cut by a proxy or a request timeout: reopen it. */
const REOPEN_AFTER_MS = 5_000;

export function isTerminalJob(job: JobView): boolean {
  return TERMINAL.has(job.status);
}

interface WaitContext {
  transport: Transport;
  id: string;
  signal: AbortSignal | undefined;
  getJob: (signal?: AbortSignal) => Promise<JobView>;
  seen: (job: JobView) => void;
}

/**
 * Follows a job until it is terminal: the progress stream (`GET /v1/renders/{id}/events`) while it works, reopened
 * when a proxy cuts it, and polling with backoff when it is unavailable. Resolves with the terminal job (a failed
 * render is a result, not an error); rejects with the caller's abort reason, a `WaitTimeoutError`, or the
 * service's error (e.g. `NotFoundError` when the job is deleted).
 */
export async function waitForJob(params: { transport: Transport; id: string; getJob: (signal?: AbortSignal) => Promise<JobView>; options: WaitOptions }): Promise<JobView> {
  const { options } = params;
  const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  const signals = [options.signal, timeout].filter((s) => s !== undefined);
  let last: JobView | undefined;
  let lastFingerprint = '';
  const context: WaitContext = {
    transport: params.transport,
    id: params.id,
    signal: signals.length ? AbortSignal.any(signals) : undefined,
    getJob: params.getJob,
    seen(job) {
      last = job;
      const fingerprint = `${job.updatedAt}|${job.status}|${job.scenes.map((s) => `${s.status}:${s.progress}`).join(',')}`;
      if (fingerprint === lastFingerprint) return;
      lastFingerprint = fingerprint;
      options.onProgress?.(job);
    },
  };
  try {
    if (options.stream !== false) {
      for (;;) {
        const openedAt = Date.now();
        const terminal = await followStream(context);
        if (terminal) return terminal;
        if (Date.now() - openedAt < REOPEN_AFTER_MS) break;
      }
    }
    return await poll(context, options.pollIntervalMs ?? 500);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (timeout?.aborted) throw new WaitTimeoutError(params.id, options.timeoutMs!, last);
    throw error;
  }
}

/** Reads the progress stream to its end. The terminal job, or undefined when the stream failed or ended early. */
async function followStream(context: WaitContext): Promise<JobView | undefined> {
  let body: ReadableStream<Uint8Array>;
  try {
    body = await context.transport.send(
      {
        method: 'GET',
        path: `/v1/renders/${encodeURIComponent(context.id)}/events`,
        headers: { Accept: 'text/event-stream' },
        signal: context.signal,
        timeoutMs: false,
        retry: false,
      },
      async (res) => {
        if (!res.body || !res.headers.get('content-type')?.includes('text/event-stream')) {
          await res.body?.cancel();
          throw new Error('not an event stream');
        }
        return res.body;
      },
    );
  } catch (error) {
    if (context.signal?.aborted || !streamFailureIsTransient(error)) throw error;
    return undefined;
  }
  try {
    for await (const message of readServerSentEvents(body)) {
      if (message.event === 'job') {
        const job = jobViewSchema.parse(JSON.parse(message.data));
        context.seen(job);
        if (isTerminalJob(job)) return job;
      } else if (message.event === 'end') {
        const job = await context.getJob(context.signal);
        context.seen(job);
        if (isTerminalJob(job)) return job;
      } else if (message.event === 'gone') {
        throw new NotFoundError(`render job ${context.id} was deleted`, 404, 'not_found');
      }
    }
  } catch (error) {
    if (context.signal?.aborted || error instanceof RenderServiceError) throw error;
    // A dropped connection or an unreadable event: polling will find the state.
  }
  return undefined;
}

/** Errors that say the stream is unavailable (a proxy, an old server, the network), not that the job is. */
function streamFailureIsTransient(error: unknown): boolean {
  if (!(error instanceof RenderServiceError)) return true;
  return ![400, 401, 403, 404].includes(error.status);
}

async function poll(context: WaitContext, firstIntervalMs: number): Promise<JobView> {
  let interval = firstIntervalMs;
  let before = '';
  for (;;) {
    const job = await context.getJob(context.signal);
    context.seen(job);
    if (isTerminalJob(job)) return job;
    const now = `${job.status}|${job.progress}`;
    interval = now === before ? Math.min(MAX_POLL_MS, interval * 1.5) : firstIntervalMs;
    before = now;
    await abortableSleep(interval, context.signal);
  }
}
