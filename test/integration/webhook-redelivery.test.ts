import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TASK_PAYLOAD_VERSION, type DeliverWebhookTask } from '../../src/contracts/task-payload';
import type { Clock } from '../../src/domain/ports/clock';
import { RetryableTaskError } from '../../src/domain/retryable-task-error';
import { createLogger } from '../../src/logging/create-logger';
import { deliverWebhook, type DeliverWebhookDeps } from '../../src/webhooks/deliver-webhook';
import { jobRecord } from '../support/job-record';
import { openWebhookStores, type WebhookStores } from '../support/webhook-stores';

// What the chaos suite found in webhook delivery: Cloud Tasks may deliver one task twice at the same moment, and a
// receiver may be slow. Neither may post an event twice at once, and neither may lose it.

let dir: string;
let receiver: http.Server;
let hookUrl: string;
let arrivals: string[];
/** How long the receiver waits before it answers, per request in order (then at once). */
let delaysMs: number[];
let stores: WebhookStores;
let now: Date;
const clock: Clock = { now: () => now };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-redelivery-'));
  stores = openWebhookStores(dir);
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      arrivals.push(JSON.parse(body).id);
      setTimeout(() => res.end('ok'), delaysMs.shift() ?? 0);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

beforeEach(() => {
  arrivals = [];
  delaysMs = [];
  now = new Date();
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  for (const store of Object.values(stores)) store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const deps = (timeoutMs = 2000): DeliverWebhookDeps => ({
  ...stores,
  clock,
  logger: createLogger({ level: 'silent' }),
  policy: { requireHttps: false, allowPrivateAddresses: true, timeoutMs, maxResponseBytes: 1024 },
});

async function finishedJob(id: string): Promise<DeliverWebhookTask> {
  await stores.jobStore.createJob({ job: { ...jobRecord({ id, owner: 'alice', code: 'x', at: now, status: 'succeeded' }), webhookUrl: hookUrl } });
  return { type: 'deliver-webhook', version: TASK_PAYLOAD_VERSION, event: 'render.finished', resourceId: id };
}

describe('webhook delivery under redelivery', () => {
  it('posts once when the task is delivered twice at the same moment; the other delivery is retried and then does nothing', async () => {
    const task = await finishedJob('jobtwiceatonce');
    delaysMs = [300];
    const results = await Promise.allSettled([deliverWebhook(deps(), task), deliverWebhook(deps(), task)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(refused.reason).toBeInstanceOf(RetryableTaskError);
    await deliverWebhook(deps(), task);
    expect(arrivals).toEqual(['render.finished:jobtwiceatonce']);
  });

  it('retries a receiver slower than the deadline instead of dropping the event', async () => {
    const task = await finishedJob('jobslowreceiver');
    delaysMs = [1500];
    await expect(deliverWebhook(deps(500), task)).rejects.toBeInstanceOf(RetryableTaskError);
    await deliverWebhook(deps(500), task);
    expect(arrivals).toEqual(['render.finished:jobslowreceiver', 'render.finished:jobslowreceiver']);
    // Delivered now: a third delivery posts nothing.
    await deliverWebhook(deps(500), task);
    expect(arrivals).toHaveLength(2);
  });

  it('takes over the claim of a delivery that died mid-post once its lease is over, and not before', async () => {
    const task = await finishedJob('jobdeadclaim');
    // A delivery that claimed the event and was killed: its claim stays behind.
    await stores.idempotency.reserve({ scope: 'webhook-sending', key: 'render.finished:jobdeadclaim', record: { requestHash: `sending:${now.getTime()}`, resourceId: 'jobdeadclaim' }, now });
    await expect(deliverWebhook(deps(), task)).rejects.toBeInstanceOf(RetryableTaskError);
    expect(arrivals).toEqual([]);
    now = new Date(now.getTime() + 60_000);
    await deliverWebhook(deps(), task);
    expect(arrivals).toEqual(['render.finished:jobdeadclaim']);
  });
});
