import fc from 'fast-check';
import { startService, type ServiceHarness } from '../support/service-harness';

// The API under malformed and adversarial input: every answer is a structured 4xx (or a 202 for the rare valid
// request), never a 5xx, and the service keeps answering.
jest.setTimeout(120_000);

let service: ServiceHarness;

beforeAll(async () => {
  service = await startService({ WARM_WORKER: 'false', QUOTA_SUBMITS_PER_MINUTE: '1000000', QUOTA_ACTIVE_SCENES: '100000' });
});

afterAll(async () => {
  await service.stop();
});

async function rawPost(route: string, body: Buffer | string, contentType = 'application/json'): Promise<Response> {
  return fetch(`${service.url}${route}`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

async function expectStructured4xx(res: Response): Promise<void> {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
  expect(typeof body.error?.code).toBe('string');
  expect(typeof body.error?.message).toBe('string');
}

describe('hostile input', () => {
  it('never answers a 5xx to any JSON body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        const res = await rawPost('/v1/renders', JSON.stringify(value));
        expect(res.status).toBeLessThan(500);
        await res.arrayBuffer();
      }),
      { numRuns: 150 },
    );
  });

  it('never answers a 5xx to bodies shaped like a render request', async () => {
    const request = fc.record(
      {
        code: fc.oneof(fc.string(), fc.constant('class A(Scene):\n  def construct(self):\n    pass\n'), fc.integer(), fc.constant(null)),
        scenes: fc.oneof(fc.array(fc.string()), fc.string(), fc.constant([])),
        quality: fc.oneof(fc.constantFrom('low', 'medium', 'ultra', ''), fc.integer()),
        format: fc.oneof(fc.constantFrom('mp4', 'png', 'exe'), fc.boolean()),
        timeoutSeconds: fc.oneof(fc.integer(), fc.double(), fc.string()),
        metadata: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.array(fc.integer()), fc.string()),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(request, async (body) => {
        const res = await rawPost('/v1/renders', JSON.stringify(body));
        expect(res.status).toBeLessThan(500);
        if (res.status === 202) {
          const job = (await res.json()) as { id: string };
          await service.request('POST', `/v1/renders/${job.id}/cancel`);
        } else {
          await expectStructured4xx(res);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never answers a 5xx to any path under the API', async () => {
    const segment = fc.oneof(fc.string(), fc.constantFrom('..', '.', '%2e%2e', '%00', ';rm -rf /', '$(id)', '`id`', '\u0000', 'a'.repeat(300)));
    await fc.assert(
      fc.asyncProperty(segment, segment, fc.constantFrom('GET', 'POST', 'DELETE'), async (id, scene, method) => {
        for (const route of [`/v1/renders/${encodeURIComponent(id)}`, `/v1/renders/${encodeURIComponent(id)}/scenes/${encodeURIComponent(scene)}/video`]) {
          const res = await fetch(`${service.url}${route}`, { method });
          expect(res.status).toBeLessThan(500);
          await res.arrayBuffer();
        }
      }),
      { numRuns: 100 },
    );
  });

  it('answers invalid UTF-8, NUL bytes, deep nesting, other content types and huge bodies with structured 4xx', async () => {
    await expectStructured4xx(await rawPost('/v1/renders', Buffer.from([0x7b, 0x22, 0x63, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])));
    await expectStructured4xx(await rawPost('/v1/renders', JSON.stringify({ code: 'class A(Scene):\u0000 pass' })));
    await expectStructured4xx(await rawPost('/v1/renders', `${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    await expectStructured4xx(await rawPost('/v1/renders', JSON.stringify({ code: { a: { b: { c: { d: 1 } } } } })));
    await expectStructured4xx(await rawPost('/v1/renders', 'code=x', 'application/x-www-form-urlencoded'));
    await expectStructured4xx(await rawPost('/v1/renders', Buffer.alloc(8 * 1024 * 1024, 0x20)));
    await expectStructured4xx(await rawPost('/v1/renders', '{"code": "x", "code": 1}'));
    expect((await service.request('GET', '/healthz')).status).toBe(200);
  });
});
