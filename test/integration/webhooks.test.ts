import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobView } from '../../src/contracts/job';
import { fixture, startService, type ServiceHarness } from '../support/service-harness';

jest.setTimeout(120_000);

interface Received {
  body: string;
  signature: string;
}

/** A webhook receiver on loopback that fails its first `failures` requests with a 500. */
async function startReceiver(failures: number) {
  const received: Received[] = [];
  let seen = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen += 1;
      if (seen <= failures) {
        res.statusCode = 500;
        res.end();
        return;
      }
      received.push({ body, signature: String(req.headers['manim-render-signature']) });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/manim`,
    received,
    attempts: () => seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function verify(received: Received, secret: string): boolean {
  const [t, v1] = received.signature.split(',').map((part) => part.split('=')[1]);
  return createHmac('sha256', secret).update(`${t}.${received.body}`).digest('hex') === v1;
}

describe('webhooks', () => {
  let service: ServiceHarness;

  beforeAll(async () => {
    // Receivers listen on loopback, which only this local setting lets webhooks reach.
    service = await startService({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', TASK_MIN_BACKOFF_MS: '100', TASK_MAX_BACKOFF_MS: '400' });
  });

  afterAll(async () => {
    await service.stop();
  });

  it('posts one signed render.finished event, retrying a failing receiver until it accepts', async () => {
    const receiver = await startReceiver(2);
    try {
      const job = await service.submit({ code: fixture('tiny.py'), quality: 'low', webhookUrl: receiver.url });
      await until(() => receiver.received.length === 1);
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiver.received).toHaveLength(1);
      expect(receiver.attempts()).toBe(3);
      const event = JSON.parse(receiver.received[0]!.body) as { id: string; type: string; data: JobView };
      expect(event).toMatchObject({ id: `render.finished:${job.id}`, type: 'render.finished', data: { id: job.id, status: 'succeeded' } });
      // The payload says what the render cost, as the job view does.
      expect(event.data.cost.instanceSeconds).toBeGreaterThan(0);
      expect(event.data.scenes[0]!.cost.cpuSeconds).toBeGreaterThan(0);
      const { secret } = (await (await service.request('GET', '/v1/webhooks/secret')).json()) as { secret: string };
      expect(verify(receiver.received[0]!, secret)).toBe(true);
      expect(verify(receiver.received[0]!, 'whsec_wrong')).toBe(false);
    } finally {
      await receiver.close();
    }
  });

  it('posts batch.finished once every item of the batch is done', async () => {
    const receiver = await startReceiver(0);
    try {
      const res = await service.request('POST', '/v1/batches', {
        items: [{ code: fixture('tiny.py') }, { code: fixture('broken_midway.py') }],
        defaults: { quality: 'low' },
        webhookUrl: receiver.url,
      });
      const batch = (await res.json()) as { id: string };
      await until(() => receiver.received.length === 1);
      const event = JSON.parse(receiver.received[0]!.body) as { type: string; data: { id: string; counts: Record<string, number> } };
      expect(event).toMatchObject({ type: 'batch.finished', data: { id: batch.id, counts: { succeeded: 1, failed: 1 } } });
    } finally {
      await receiver.close();
    }
  });

  it('sends a cancelled job\'s event too', async () => {
    const receiver = await startReceiver(0);
    try {
      const job = await service.submit({ code: fixture('never_ends.py'), timeoutSeconds: 60, webhookUrl: receiver.url });
      await service.request('POST', `/v1/renders/${job.id}/cancel`);
      await until(() => receiver.received.length === 1);
      expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ data: { id: job.id, status: 'cancelled' } });
    } finally {
      await receiver.close();
    }
  });

  it('lets no slow webhook target hold renders back: deliveries wait in slots of their own', async () => {
    // A target that holds every request for the whole 10 s a delivery may take.
    const held: http.ServerResponse[] = [];
    const slow = http.createServer((_req, res) => held.push(res));
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/slow`;
    try {
      const hooked = await Promise.all(
        [0, 1, 2, 3].map(() => service.submit({ code: fixture('tiny.py'), quality: 'low', webhookUrl: slowUrl })),
      );
      for (const job of hooked) expect((await service.waitFor(job.id)).status).toBe('succeeded');
      await until(() => held.length >= 1);
      // Webhooks are now waiting on the slow target; a render submitted now must not wait for them.
      const next = await service.waitFor((await service.submit({ code: fixture('tiny.py'), quality: 'low' })).id);
      expect(next.status).toBe('succeeded');
      // It rendered while a delivery was still waiting on the target (its connection open, not yet timed out).
      expect(held.some((res) => !res.writableEnded && res.socket !== null && !res.socket.destroyed)).toBe(true);
    } finally {
      for (const res of held) res.destroy();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });
});

describe('the webhook address guard', () => {
  it('never connects to a loopback receiver when private targets are not allowed', async () => {
    const service = await startService();
    const receiver = await startReceiver(0);
    try {
      const job = await service.submit({ code: fixture('tiny.py'), quality: 'low', webhookUrl: receiver.url });
      await service.waitFor(job.id);
      await new Promise((r) => setTimeout(r, 2000));
      expect(receiver.attempts()).toBe(0);
    } finally {
      await receiver.close();
      await service.stop();
    }
  });
});

describe('webhooks of jobs finished at birth', () => {
  it('posts render.finished and batch.finished for jobs whose every scene came from the result cache', async () => {
    const service = await startService({ RESULT_CACHE: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    const receiver = await startReceiver(0);
    try {
      const first = await service.submit({ code: fixture('tiny.py'), quality: 'low' });
      await service.waitFor(first.id);
      // Born succeeded (a cache hit): no render runs for it, and yet its webhook must go out.
      const hit = await service.submit({ code: fixture('tiny.py'), quality: 'low', webhookUrl: receiver.url });
      expect(hit.scenes[0]).toMatchObject({ status: 'succeeded', cacheHit: true });
      await until(() => receiver.received.length === 1);
      expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ type: 'render.finished', data: { id: hit.id, status: 'succeeded' } });

      const res = await service.request('POST', '/v1/batches', { items: [{ code: fixture('tiny.py') }], defaults: { quality: 'low' }, webhookUrl: receiver.url });
      const batch = (await res.json()) as { id: string };
      await until(() => receiver.received.length === 2);
      expect(JSON.parse(receiver.received[1]!.body)).toMatchObject({ type: 'batch.finished', data: { id: batch.id, counts: { succeeded: 1 } } });
    } finally {
      await receiver.close();
      await service.stop();
    }
  });
});
