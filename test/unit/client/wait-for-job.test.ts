import type { JobView } from '../../../src/contracts/job';
import { createRenderClient } from '../../../src/client/create-render-client';
import { NotFoundError, WaitTimeoutError } from '../../../src/client/errors';

const NO_COST = { cpuSeconds: 0, wallSeconds: 0, peakMemoryBytes: 0, instanceSeconds: 0, estimatedUsd: 0 };

const job = (status: JobView['status'], progress: number): JobView => ({
  id: 'j1',
  status,
  progress,
  quality: 'low',
  format: 'mp4',
  timeoutSeconds: 60,
  metadata: {},
  scenes: [{ name: 'S', status, progress, attempts: 1, cost: NO_COST }],
  cost: NO_COST,
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: `2025-01-01T00:00:0${Math.round(progress * 9)}Z`,
});

const sse = (events: Array<[string, unknown]>) =>
  new Response(events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join(''), {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
  });

/**
 * A fake service: the progress stream answers as `events` says, `GET /v1/renders/j1` walks through `states`.
 * Faked to reach the fallbacks (a proxy that breaks streaming, a cut stream) that the real service never takes.
 */
function fakeService(params: { events: () => Response; states: JobView[] }) {
  const seen: string[] = [];
  const fetch = (async (input: Parameters<typeof globalThis.fetch>[0]) => {
    const path = new URL(String(input)).pathname;
    seen.push(path);
    if (path.endsWith('/events')) return params.events();
    const state = params.states.length > 1 ? params.states.shift()! : params.states[0]!;
    return new Response(JSON.stringify(state), { status: 200 });
  }) as typeof globalThis.fetch;
  return { client: createRenderClient({ baseUrl: 'http://svc.test', auth: { type: 'none' }, fetch, retry: { baseDelayMs: 1 } }), seen };
}

describe('wait', () => {
  it('follows the stream to the terminal job, reporting each state', async () => {
    const { client, seen } = fakeService({ events: () => sse([['job', job('rendering', 0.5)], ['job', job('succeeded', 1)], ['end', { id: 'j1' }]]), states: [] });
    const progress: number[] = [];
    const done = await client.wait('j1', { onProgress: (j) => progress.push(j.progress) });
    expect(done.status).toBe('succeeded');
    expect(progress).toEqual([0.5, 1]);
    expect(seen).toEqual(['/v1/renders/j1/events']);
  });

  it('polls when the stream is unavailable', async () => {
    const { client, seen } = fakeService({
      events: () => new Response('<html>buffering proxy</html>', { status: 200, headers: { 'content-type': 'text/html' } }),
      states: [job('rendering', 0.2), job('rendering', 0.6), job('failed', 0.6)],
    });
    const done = await client.wait('j1', { pollIntervalMs: 5 });
    expect(done.status).toBe('failed');
    expect(seen.filter((p) => p === '/v1/renders/j1')).toHaveLength(3);
  });

  it('polls when the stream ends before the job does', async () => {
    const { client } = fakeService({ events: () => sse([['job', job('rendering', 0.1)]]), states: [job('rendering', 0.4), job('cancelled', 0.4)] });
    expect((await client.wait('j1', { pollIntervalMs: 5 })).status).toBe('cancelled');
  });

  it('rejects with NotFoundError when the job is deleted while it waits', async () => {
    const { client } = fakeService({ events: () => sse([['job', job('rendering', 0.1)], ['gone', { id: 'j1' }]]), states: [] });
    await expect(client.wait('j1')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('times out with the last state seen', async () => {
    const { client } = fakeService({ events: () => new Response('', { status: 503 }), states: [job('rendering', 0.3)] });
    const error = (await client.wait('j1', { timeoutMs: 100, pollIntervalMs: 5 }).catch((e: unknown) => e)) as WaitTimeoutError;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error.lastJob?.progress).toBe(0.3);
  });
});
