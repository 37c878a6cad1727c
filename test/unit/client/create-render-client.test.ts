import { createRenderClient } from '../../../src/client/create-render-client';
import { RenderServiceError } from '../../../src/client/errors';

/**
 * A fetch answering every request with `answer()` and counting calls. Faked to produce answers the real service
 * never gives (a proxy's page with a 200, a redirect to storage); the service itself is in the integration suite.
 */
function fakeFetch(answer: (url: URL, init?: RequestInit) => Response) {
  const calls: Array<{ url: string; headers: Record<string, string> }> = [];
  const fetch = (async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) => {
    calls.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } });
    return answer(new URL(String(input)), init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('createRenderClient', () => {
  it('refuses a 200 whose body is not JSON, without retrying it', async () => {
    const { fetch, calls } = fakeFetch(() => new Response('<html>login</html>', { status: 200 }));
    const error = await createRenderClient({ baseUrl: 'http://svc.test', auth: { type: 'none' }, fetch }).get('abc').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderServiceError);
    expect(error).toMatchObject({ code: 'invalid_response', status: 200 });
    expect(calls).toHaveLength(1);
  });

  it('follows a download redirect to storage without sending its credentials there', async () => {
    const { fetch, calls } = fakeFetch((url) =>
      url.host === 'svc.test'
        ? new Response(null, { status: 302, headers: { location: 'https://storage.example/bucket/v.mp4?sig=1' } })
        : new Response('video-bytes', { status: 200, headers: { 'content-type': 'video/mp4' } }),
    );
    const client = createRenderClient({ baseUrl: 'http://svc.test', auth: { type: 'apiKey', key: 'mrk_secret' }, fetch });
    const res = await client.download('abc', 'Scene');
    expect(await res.text()).toBe('video-bytes');
    expect(calls.map((c) => [new URL(c.url).host, c.headers['X-Api-Key']])).toEqual([
      ['svc.test', 'mrk_secret'],
      ['storage.example', undefined],
    ]);
  });

  it('sends an Idempotency-Key on every submit, a new one per call unless given', async () => {
    const job = { id: 'j', status: 'queued', progress: 0, quality: 'low', format: 'mp4', timeoutSeconds: 1, metadata: {}, scenes: [], cost: { cpuSeconds: 0, wallSeconds: 0, peakMemoryBytes: 0, instanceSeconds: 0, estimatedUsd: 0 }, createdAt: 'x', updatedAt: 'x' };
    const { fetch, calls } = fakeFetch(() => new Response(JSON.stringify(job), { status: 202 }));
    const client = createRenderClient({ baseUrl: 'http://svc.test/', auth: { type: 'none' }, fetch });
    await client.submit({ code: 'x' });
    await client.submit({ code: 'x' });
    await client.submit({ code: 'x' }, { idempotencyKey: 'nightly-2025-01-01' });
    const keys = calls.map((c) => c.headers['Idempotency-Key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).not.toBe(keys[0]);
    expect(keys[2]).toBe('nightly-2025-01-01');
    expect(calls[0]!.url).toBe('http://svc.test/v1/renders');
  });
});
