import { fixture, startService, type ServiceHarness } from '../support/service-harness';

jest.setTimeout(60_000);

let service: ServiceHarness;

beforeAll(async () => {
  service = await startService({ MAX_CODE_BYTES: '2048', WARM_WORKER: 'false' });
});

afterAll(async () => {
  await service.stop();
});

async function errorOf(res: Response): Promise<{ status: number; code: string; body: { error: { code: string; message: string; details?: unknown } } }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(typeof body.error.message).toBe('string');
  return { status: res.status, code: body.error.code, body: body as never };
}

describe('bad requests get structured errors', () => {
  it('answers malformed JSON with a 400 and a fixed message', async () => {
    const res = await service.request('POST', '/v1/renders', '{"code": ', { 'content-type': 'application/json' });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  it('answers wrong types, missing and unknown fields with the issues', async () => {
    for (const body of [{}, { code: 42 }, { code: 'x', quality: 'ultra' }, { code: 'x', extra: true }, { code: 'x', scenes: ['../etc'] }]) {
      const { status, code, body: answer } = await errorOf(await service.request('POST', '/v1/renders', body));
      expect({ status, code }).toEqual({ status: 400, code: 'invalid_request' });
      expect(Array.isArray(answer.error.details)).toBe(true);
    }
  });

  it('rejects code over the configured size limit at submit time', async () => {
    const code = `${fixture('tiny.py')}\n# ${'x'.repeat(4096)}\n`;
    const { status, code: errorCode } = await errorOf(await service.request('POST', '/v1/renders', { code }));
    expect({ status, errorCode }).toEqual({ status: 400, errorCode: 'code_too_large' });
  });

  it('rejects a body far over any limit with 413', async () => {
    // Past the JSON limit of a submit (the code's and the inline files' limits together).
    const res = await service.request('POST', '/v1/renders', { code: 'x'.repeat(24 * 1024 * 1024) });
    expect(await errorOf(res)).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('tells at submit time that a scene importing a network module cannot work, with the line', async () => {
    const code = `import os\nfrom urllib.request import urlopen\n${fixture('tiny.py')}`;
    const res = await service.request('POST', '/v1/renders', { code });
    const { status, code: errorCode, body } = await errorOf(res);
    expect({ status, errorCode }).toEqual({ status: 400, errorCode: 'network_unavailable' });
    expect(body.error.details).toEqual({ line: 2 });
    expect(body.error.message).toContain('urllib.request');
  });

  it('rejects a time limit above the maximum', async () => {
    const res = await service.request('POST', '/v1/renders', { code: fixture('tiny.py'), timeoutSeconds: 3600 });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: 'timeout_too_long' });
  });

  it('answers unknown jobs, scenes and routes with 404', async () => {
    expect(await errorOf(await service.request('GET', '/v1/renders/abc123'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await errorOf(await service.request('POST', '/v1/renders/abc123/cancel'))).toMatchObject({ status: 404 });
    expect(await errorOf(await service.request('DELETE', '/v1/renders/abc123'))).toMatchObject({ status: 404 });
    expect(await errorOf(await service.request('GET', '/v1/renders/abc123/scenes/Foo/video'))).toMatchObject({ status: 404 });
    expect(await errorOf(await service.request('GET', '/v1/nothing'))).toMatchObject({ status: 404 });
  });

  it('answers ids and scene names that cannot exist with a 4xx, never touching the store', async () => {
    for (const route of ['/v1/renders/..%2F..%2Fetc', '/v1/renders/a;rm%20-rf', '/v1/renders/abc/scenes/..%2Fx/video']) {
      const res = await service.request('GET', route);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBeDefined();
    }
  });

  it('answers a video of a scene that has not finished with 409', async () => {
    const job = await service.submit({ code: fixture('never_ends.py'), timeoutSeconds: 60 });
    const res = await service.request('GET', `/v1/renders/${job.id}/scenes/NeverEnds/video`);
    expect(await errorOf(res)).toMatchObject({ status: 409, code: 'conflict' });
    await service.request('POST', `/v1/renders/${job.id}/cancel`);
  });

  it('reports liveness and readiness', async () => {
    expect((await service.request('GET', '/healthz')).status).toBe(200);
    const ready = await service.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });
});
