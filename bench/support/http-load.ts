import autocannon from 'autocannon';
import { settings } from './settings';

/** What one autocannon run measured. */
export interface LoadRun {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  /** 2xx answers in each second of the run. */
  perSecond: number[];
  latencyMs: { p50: number; p99: number; max: number; mean: number };
  statusCodes: Record<string, number>;
}

/** Runs autocannon against `url` for `seconds`; `body` gives each request its body (and extra headers). */
export async function load(params: {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: () => { body: string; headers?: Record<string, string> };
  seconds: number;
}): Promise<LoadRun> {
  const perSecond: number[] = [];
  const started = Date.now();
  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: params.url,
        method: params.method,
        connections: settings.ingressConnections,
        duration: params.seconds,
        headers: params.headers,
        requests: params.body
          ? [
              {
                method: params.method,
                setupRequest: (req) => {
                  const next = params.body!();
                  return { ...req, body: next.body, headers: { ...req.headers, ...next.headers } };
                },
              },
            ]
          : undefined,
      },
      (error, result) => (error ? reject(error as Error) : resolve(result)),
    );
  });
  instance.on('response', (_client, statusCode) => {
    if (statusCode < 200 || statusCode >= 300) return;
    const second = Math.floor((Date.now() - started) / 1000);
    perSecond[second] = (perSecond[second] ?? 0) + 1;
  });
  const result = await finished;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]));
  return {
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    seconds: result.duration,
    perSecond: Array.from(perSecond, (n) => n ?? 0).slice(0, params.seconds),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
    statusCodes,
  };
}

