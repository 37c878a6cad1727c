import { RenderServiceError, UnavailableError, ValidationError } from '../../../src/client/errors';
import { createTransport } from '../../../src/client/http-transport';

/**
 * A scripted fetch: each call takes the next answer (a Response, or an Error to throw like a dropped connection)
 * and records the request. Faked so failure sequences are exact; the real service is exercised in the
 * integration suite (test/integration/client-sdk.test.ts).
 */
function scriptedFetch(answers: Array<Response | Error | (() => Response)>) {
  const calls: Array<{ url: string; method: string; headers: Record<string, string> }> = [];
  const fetch = (async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) => {
    calls.push({ url: String(input), method: init?.method ?? 'GET', headers: { ...(init?.headers as Record<string, string>) } });
    const next = answers.shift();
    if (!next) throw new Error('no more scripted answers');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next() : next;
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const ok = (json: unknown) => new Response(JSON.stringify(json), { status: 200 });
const fail = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error: { code, message: code } }), { status, headers });

function transportWith(fetch: typeof globalThis.fetch, retry = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2_000 }) {
  return createTransport({ baseUrl: 'http://svc.test/', fetch, authHeaders: async () => ({ 'X-Api-Key': 'k' }), retry, requestTimeoutMs: 5_000, userAgent: 'test' });
}

const readJson = (res: Response) => res.json();

describe('the HTTP transport', () => {
  it('retries a network error and a 503, sending the same headers (the idempotency key) each time', async () => {
    const { fetch, calls } = scriptedFetch([new TypeError('fetch failed'), fail(503, 'unavailable'), ok({ id: 'a' })]);
    const result = await transportWith(fetch).send({ method: 'POST', path: '/v1/renders', body: { code: 'x' }, headers: { 'Idempotency-Key': 'key-1' } }, readJson);
    expect(result).toEqual({ id: 'a' });
    expect(calls.map((c) => c.headers['Idempotency-Key'])).toEqual(['key-1', 'key-1', 'key-1']);
    expect(calls[0]).toMatchObject({ url: 'http://svc.test/v1/renders', method: 'POST', headers: { 'X-Api-Key': 'k', 'Content-Type': 'application/json' } });
  });

  it('waits at least as long as Retry-After says', async () => {
    const { fetch } = scriptedFetch([fail(429, 'quota_exceeded', { 'retry-after': '1' }), ok({})]);
    const started = Date.now();
    await transportWith(fetch).send({ method: 'GET', path: '/v1/renders' }, readJson);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('gives the error back at once when Retry-After is longer than it is willing to wait', async () => {
    const { fetch, calls } = scriptedFetch([fail(503, 'unavailable', { 'retry-after': '120' })]);
    const error = await transportWith(fetch).send({ method: 'GET', path: '/x' }, readJson).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).retryAfterSeconds).toBe(120);
    expect(calls).toHaveLength(1);
  });

  it('does not retry a client error', async () => {
    const { fetch, calls } = scriptedFetch([fail(400, 'syntax_error')]);
    await expect(transportWith(fetch).send({ method: 'POST', path: '/v1/renders', body: {} }, readJson)).rejects.toBeInstanceOf(ValidationError);
    expect(calls).toHaveLength(1);
  });

  it('stops after maxAttempts with a network_error that keeps the cause', async () => {
    const { fetch, calls } = scriptedFetch([new TypeError('fetch failed'), new TypeError('fetch failed')]);
    const error = await transportWith(fetch, { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 10 }).send({ method: 'GET', path: '/x' }, readJson).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderServiceError);
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(calls).toHaveLength(2);
  });

  it('retries a connection lost while reading the body', async () => {
    const broken = () => new Response(new ReadableStream({ pull: (c) => c.error(new TypeError('terminated')) }), { status: 200 });
    const { fetch, calls } = scriptedFetch([broken, ok({ fine: true })]);
    expect(await transportWith(fetch).send({ method: 'GET', path: '/x' }, readJson)).toEqual({ fine: true });
    expect(calls).toHaveLength(2);
  });

  it('treats the done-on-retry status of a retried attempt as success (a delete whose answer was lost)', async () => {
    const { fetch } = scriptedFetch([new TypeError('fetch failed'), fail(404, 'not_found')]);
    await expect(transportWith(fetch).send({ method: 'DELETE', path: '/v1/renders/a', doneOnRetryStatus: 404 }, async () => 'done')).resolves.toBe('done');
    const first = scriptedFetch([fail(404, 'not_found')]);
    await expect(transportWith(first.fetch).send({ method: 'DELETE', path: '/v1/renders/a', doneOnRetryStatus: 404 }, async () => 'done')).rejects.toMatchObject({ status: 404 });
  });

  it('rejects with the abort reason when aborted between attempts', async () => {
    const { fetch } = scriptedFetch([fail(503, 'unavailable', { 'retry-after': '1' }), ok({})]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await expect(transportWith(fetch).send({ method: 'GET', path: '/x', signal: controller.signal }, readJson)).rejects.toThrow('caller gave up');
  });

  it('sends credentials only to the service origin', async () => {
    const { fetch, calls } = scriptedFetch([ok({}), ok({})]);
    const transport = transportWith(fetch);
    await transport.send({ method: 'GET', path: '/v1/renders' }, readJson);
    await transport.send({ method: 'GET', path: 'https://storage.googleapis.com/bucket/file?X-Goog-Signature=abc' }, readJson);
    expect(calls[0]!.headers['X-Api-Key']).toBe('k');
    expect(calls[1]!.headers['X-Api-Key']).toBeUndefined();
  });
});
